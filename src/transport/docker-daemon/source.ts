import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import type { Descriptor } from '../../manifest';
import { formatReference, parseReference, withDefaultTag } from '../../reference';
import type { IoOptions, NamedImage, ReadOnlyTarget } from '../types';
import { connectDaemon, type DaemonConnection, type DaemonOptions } from './connection';
import { daemonError } from './daemon-error';
import { exportImages, type ExportedArchive } from './export-image';

const IMAGE_ID = /^sha256:[a-f0-9]{64}$/;
/** Older daemons list untagged images with this placeholder RepoTag in `GET /images/json`; newer ones with none. */
const NO_TAG = '<none>:<none>';

/**
 * `docker-daemon:REF` as a source: each image is exported from the daemon (`docker save`, see export-image.ts)
 * and read with the docker-archive reader, whose manifest synthesis gives the digest we report (the Engine API
 * keeps no manifest for images in its graphdriver store). `ref` is a name (`nginx:1`, `…@sha256:` digest) or an
 * image ID (`sha256:<64 hex>`); exports are kept until close, so fetch serves what resolve and list described.
 */
export class DockerDaemonSource implements ReadOnlyTarget {
  readonly description: string;
  private readonly resolved = new Map<string, Promise<Descriptor>>();
  private readonly archives: ExportedArchive[] = [];

  private constructor(
    private readonly connection: DaemonConnection,
    private readonly scratch: DaemonOptions,
  ) {
    this.description = `docker-daemon (${connection.endpoint.display})`;
  }

  static async open(options: DaemonOptions = {}): Promise<DockerDaemonSource> {
    return new DockerDaemonSource(await connectDaemon(options), options);
  }

  async resolve(ref: string | undefined, options: IoOptions = {}): Promise<Descriptor> {
    const name = ref ?? (await this.onlyImage());
    let pending = this.resolved.get(name);
    if (!pending) {
      pending = this.export(name, options.signal);
      pending.catch(() => this.resolved.delete(name)); // a later call tries again and reports again
      this.resolved.set(name, pending);
    }
    return pending;
  }

  /** Every image `GET /images/json` lists, exported in one request (one entry per image in manifest.json). */
  async list(options: IoOptions = {}): Promise<NamedImage[]> {
    const names = (await this.images()).flatMap((image) => {
      const tags = (image.RepoTags ?? []).filter((tag) => tag !== NO_TAG);
      return tags.length > 0 ? tags : [image.Id];
    });
    if (names.length === 0) return [];
    return (await this.exportOf(names, options.signal)).list();
  }

  async fetch(desc: Descriptor, options: IoOptions = {}): Promise<Readable> {
    for (const { source } of this.archives) {
      if (await source.exists(desc)) return source.fetch(desc, options);
    }
    throw new KimgError(
      'BLOB_UNKNOWN',
      `blob ${desc.digest} is not in any image exported from ${this.description}`,
      'resolve the image first',
    );
  }

  async exists(desc: Descriptor): Promise<boolean> {
    for (const { source } of this.archives) if (await source.exists(desc)) return true;
    return false;
  }

  async close(): Promise<void> {
    await Promise.all(this.archives.splice(0).map((archive) => archive.close()));
    this.resolved.clear();
  }

  private async export(ref: string, signal: AbortSignal | undefined): Promise<Descriptor> {
    const id = await this.imageId(ref);
    // A tag is exported as itself, so manifest.json carries it in RepoTags; an ID or a digest reference as the
    // image ID (save.go puts only tags in RepoTags). A bare name would export every tag of it: add `latest`.
    const tagged = IMAGE_ID.test(ref) ? undefined : withDefaultTag(parseReference(ref));
    const name = tagged?.tag !== undefined && tagged.digest === undefined ? formatReference(tagged) : id;
    return (await this.exportOf([name], signal)).resolve('@0');
  }

  private async exportOf(names: string[], signal: AbortSignal | undefined) {
    const archive = await exportImages(this.connection, names, this.scratch, signal);
    this.archives.push(archive);
    return archive.source;
  }

  /** `GET /images/{name}/json`: 404 means the daemon has no such image (API "Inspect an image"). */
  private async imageId(ref: string): Promise<string> {
    try {
      return (await this.connection.docker.getImage(ref).inspect()).Id;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        throw new KimgError(
          'IMAGE_NOT_FOUND',
          `the Docker daemon at ${this.connection.endpoint.display} has no image "${ref}"`,
          'list its images with `docker images`; pull, build or load the image first',
        );
      }
      throw daemonError(err, this.connection.endpoint.display, `inspect ${ref}`);
    }
  }

  private async images() {
    try {
      return await this.connection.docker.listImages();
    } catch (err) {
      throw daemonError(err, this.connection.endpoint.display, 'list images');
    }
  }

  /** With no REF, a daemon holding exactly one image means that image (the Target contract). */
  private async onlyImage(): Promise<string> {
    const images = await this.images();
    const only = images[0];
    if (images.length === 1 && only) return only.Id;
    const names = images.flatMap((image) => image.RepoTags ?? []).filter((tag) => tag !== NO_TAG);
    const where = this.connection.endpoint.display;
    const holding =
      names.length > 0 ? ` (it holds ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})` : '';
    throw new KimgError(
      images.length === 0 ? 'IMAGE_NOT_FOUND' : 'AMBIGUOUS_IMAGE',
      images.length === 0
        ? `the Docker daemon at ${where} holds no images`
        : `the Docker daemon at ${where} holds ${images.length} images; say which one`,
      `write docker-daemon:NAME:TAG or docker-daemon:sha256:<id>${holding}`,
    );
  }
}
