import type { Descriptor, Platform } from '../../manifest/descriptor';

/** One history entry of image-spec config.md. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/**
 * The image a build stage has produced so far: a config document kept as plain JSON (so fields of a base image
 * we do not model pass through untouched), the compressed layer descriptors and their diff IDs.
 */
export interface StageImage {
  platform: Platform;
  /** image-spec config.md `config` object (Env, Cmd, Labels…), Docker's capitalisation. */
  runConfig: Record<string, unknown>;
  /** Top-level config fields other than config/rootfs/history (author, os.version, …) kept from the base. */
  extra: Record<string, unknown>;
  layers: Descriptor[];
  diffIds: string[];
  history: HistoryEntry[];
}

export function emptyStage(platform: Platform): StageImage {
  return { platform, runConfig: {}, extra: {}, layers: [], diffIds: [], history: [] };
}
