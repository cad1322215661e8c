import type { z } from 'zod';
import { KimgError } from '../../errors';
import { defineLazyExports, zod } from '../../lazy/lazy';
import { descriptorSchema, MAX_METADATA_BYTES } from '../../manifest';
import type { ArchiveMembers } from '../archive/archive-members';
import { parseJsonFile } from '../archive/layout-files';

/**
 * `manifest.json` of `docker save` (moby image/tarexport: `manifestItem`). Config and Layers are member paths:
 * `<hex>.json` / `<id>/layer.tar` before Docker 25, `blobs/sha256/<hex>` since. LayerSources maps diff IDs of
 * foreign (non-distributable) layers to their descriptors.
 */
export const MANIFEST_JSON_FILE = 'manifest.json';
/** Legacy `{repo: {tag: topLayerId}}`, read by docker load only when manifest.json is absent (pre-1.10 format). */
export const REPOSITORIES_FILE = 'repositories';

function buildSchemas() {
  const z = zod();
  return {
    dockerManifestItemSchema: z.looseObject({
      Config: z.string().min(1),
      RepoTags: z.array(z.string()).nullish(),
      Layers: z.array(z.string()),
      LayerSources: z.record(z.string(), descriptorSchema).nullish(),
    }),
  };
}

/** Built (and zod loaded) on first read, not at module load: see ../../lazy/lazy.ts. */
export declare const dockerManifestItemSchema: ReturnType<typeof buildSchemas>['dockerManifestItemSchema'];
defineLazyExports(exports, ['dockerManifestItemSchema'], buildSchemas);
export type DockerManifestItem = z.infer<typeof dockerManifestItemSchema>;

export async function readManifestJson(tar: ArchiveMembers): Promise<DockerManifestItem[]> {
  if (!tar.has(MANIFEST_JSON_FILE)) {
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${tar.file} has no manifest.json, so it is not a docker-archive`,
      'write it with `docker save` (Docker ≥ 1.10) or `kimg save --format docker-archive`',
    );
  }
  const parsed = zod()
    .array(dockerManifestItemSchema)
    .safeParse(
      parseJsonFile(
        await tar.readEntry(MANIFEST_JSON_FILE, MAX_METADATA_BYTES),
        `${tar.file}: manifest.json`,
      ),
    );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${tar.file}: manifest.json is not a docker save manifest (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'})`,
      'the archive is corrupt or not written by docker save',
    );
  }
  return parsed.data;
}
