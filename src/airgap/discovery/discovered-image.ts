import type { AppRecord } from '../../cluster';
import type { ImageLocation } from '../../reference';
import type { DiscoveryLimits } from './discovery-limits';

/**
 * How an image was found, as a stable string scripts can match on:
 * - `manifest:<kind>:<field path>` — `manifest:CronJob:spec.jobTemplate.spec.template.spec.containers[0].image`
 * - `chart:<chart>:<template>` — rendered by Helm; `<template>` is Helm's `# Source:` comment
 * - `chart-annotation:helm.sh/images` (or `artifacthub.io/images`) — Chart.yaml's image list
 * - `chart-values` — read from a chart's values without Helm (best effort)
 * - `shim-list`, `skopeo-tar-list`, `image-list-flag` — a line of `images/shim/*`, `images/skopeo/tar.txt`,
 *   or a file given with `--image-list`
 */
export type DiscoveryMethod = string;

export interface ImageSource {
  /** Context-relative (`/`-separated), or the `--image-list` path as given. For a rendered chart, the template. */
  file: string;
  /** 1-based. For a rendered chart: the line in that template's rendered output (after its `# Source:` line). */
  line: number;
  /** 1-based, where known. */
  column?: number;
  how: DiscoveryMethod;
  /** The reference exactly as this source wrote it (two spellings of one image are one image with two sources). */
  written: string;
}

export interface DiscoveredImage {
  /** As written by the first source (digests kept exactly: `name:tag@sha256:…`). */
  reference: string;
  /** The one spelling images are compared by: `docker.io/library/nginx:latest`, or `docker-archive:x.tar`. */
  normalized: string;
  /** Present when the image is not in a registry: an archive, a layout or the Docker daemon. */
  location?: ImageLocation;
  /** Every place that asked for it, sorted by file, line, column, how. */
  sources: ImageSource[];
}

export interface DiscoveryResult {
  /** Sorted by `normalized` (code-point order): the same context gives the same list. */
  images: DiscoveredImage[];
  /** Charts not rendered, references skipped, ignore entries that matched nothing… one line each. */
  warnings: string[];
}

export interface DiscoveryOptions {
  /** The Helm binary; `false` never runs Helm (values best effort). Default: `KIMG_HELM`, then `helm` on PATH. */
  helm?: string | false;
  /** Extra image lists (`--image-list FILE`), read like `images/shim/*`; paths as given (relative to the cwd). */
  imageLists?: readonly string[];
  /** Lists of images to leave out (`--ignore-images FILE`), same format. */
  ignoreLists?: readonly string[];
  /** APP/CNI/CSI of the Kubefile: sources that are chart folders, manifest files or folders of the context. */
  apps?: readonly AppRecord[];
  /**
   * Remote APP sources the build fetched (`https://`, `helm://`, `oci://` as written → a folder and the path in
   * it, as they land in the image: `application/apps/<app>/charts/<chart>`): read like context sources, with
   * that path as the provenance file. A remote source missing here is warned about, not fetched.
   */
  fetchedSources?: ReadonlyMap<string, { root: string; path: string }>;
  /** `helm template --kube-version` (Capabilities.KubeVersion), for charts whose `kubeVersion` needs it. */
  kubeVersion?: string;
  /** Environment for `KIMG_HELM`, the limits' variables, PATH, and Helm itself. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Overrides of the limits (else from env, else the defaults in discovery-limits.ts). */
  limits?: Partial<DiscoveryLimits>;
  signal?: AbortSignal;
}
