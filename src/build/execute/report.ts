import type { PinnedSource } from '../app-sources/app-sources';

/** One line of the build report (`kimg build --format json`): what each step did and what it cost. */
export interface StepReport {
  platform: string;
  stage: number;
  stageName?: string;
  /** `Kubefile:3:1`. */
  at: string;
  instruction: string;
  /** Reused from the build cache (a layer step: its layer; a config step: the same key was built before). */
  cached: boolean;
  /** The step's cache key. */
  key: string;
  /**
   * COPY/ADD missed the step cache but found its layer by the layer's own key (same files, flags and settings
   * after a config-only change above it): the layer was reused, not written and compressed again.
   */
  layerReused?: boolean;
  /** Context bytes read to compute the step's key (0 when the stat index vouched for every file). */
  hashedBytes?: number;
  /** The layer the step added (COPY, ADD, RUN, APP). */
  layer?: { digest: string; diffId: string; size: number };
  seconds: number;
}

export interface PlatformReport {
  platform: string;
  manifest: string;
  config: string;
}

export interface BuildReport {
  /** What the names point to: the manifest, or the index of a multi-platform build. */
  digest: string;
  mediaType: string;
  names: string[];
  platforms: PlatformReport[];
  steps: StepReport[];
  /** Where the image was also written (`--push`, `--output`). */
  outputs: string[];
  /** Remote APP/CNI/CSI sources as fetched, each pinned by the sha256 of its bytes (src/build/app-sources). */
  sources?: PinnedSource[];
  seconds: number;
}
