import { digestOf } from '../../digest';
import { KimgError } from '../../errors';
import type { ArchiveMembers } from '../archive/archive-members';
import { MAX_CONFIG_BYTES, MediaType, parseImageConfig, type Descriptor } from '../../manifest';
import { canonicalJson } from '../../manifest/canonical-json';
import { describeMember, type MemberBlob } from './layer-member';
import type { DockerManifestItem } from './manifest-json';
import { matchesLayers, type StoredManifest } from './stored-manifests';

/** One manifest.json entry seen as an OCI image: its manifest bytes and where each blob lives. */
export interface ArchiveImage {
  descriptor: Descriptor;
  manifestBytes: Buffer;
  /** Members by digest: the config and the layers. */
  members: Map<string, string>;
}

/** A config member named by its digest: `<hex>.json` (Docker < 25) or `blobs/sha256/<hex>`. */
const HEX_NAME = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/;

/**
 * Turns a manifest.json entry into an image manifest. The config digest is computed from the bytes (and must
 * agree with a digest-shaped member name); layers are described by layer-member.ts. A matching manifest stored
 * by Docker ≥ 25 is used verbatim; otherwise one is synthesized as canonical JSON, so the same archive always
 * yields the same manifest digest.
 */
export async function buildImage(
  tar: ArchiveMembers,
  item: DockerManifestItem,
  stored: () => Promise<StoredManifest[]>,
  describe: (path: string, diffId: string | undefined) => Promise<MemberBlob> = (path, diffId) =>
    describeMember(tar, path, diffId),
): Promise<ArchiveImage> {
  const configEntry = tar.get(item.Config);
  if (!configEntry || configEntry.type !== 'file') {
    throw new KimgError(
      'BLOB_UNKNOWN',
      `${tar.file}: manifest.json names config "${item.Config}", which is not in the archive`,
      'the archive is incomplete; produce it again',
    );
  }
  const configBytes = await tar.readEntry(configEntry.name, MAX_CONFIG_BYTES);
  const configDigest = digestOf(configBytes);
  const named = HEX_NAME.exec(configEntry.name);
  if (named && `sha256:${named[1]}` !== configDigest) {
    throw new KimgError(
      'DIGEST_MISMATCH',
      `${tar.file}: config "${configEntry.name}" has digest ${configDigest}, not the one its name says`,
      'the archive is corrupt; produce it again',
    );
  }
  const config = parseImageConfig(configBytes, `${tar.file}: ${configEntry.name}`);
  if (config.rootfs.diff_ids.length !== item.Layers.length) {
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${tar.file}: config "${configEntry.name}" lists ${config.rootfs.diff_ids.length} layers but manifest.json names ${item.Layers.length}`,
      'the archive is corrupt; docker load would refuse it too',
    );
  }
  const layers: MemberBlob[] = [];
  for (const [i, path] of item.Layers.entries()) layers.push(await describe(path, config.rootfs.diff_ids[i]));

  const members = new Map<string, string>([
    [configDigest, configEntry.name],
    ...layers.map((l): [string, string] => [l.digest, l.member]),
  ]);
  const match = (await stored()).find((s) =>
    matchesLayers(
      s.manifest,
      configDigest,
      layers.map((l) => l.digest),
    ),
  );
  if (match) return { descriptor: match.descriptor, manifestBytes: match.bytes, members };

  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestBytes = canonicalJson(manifest);
  return {
    descriptor: {
      mediaType: MediaType.OciManifest,
      digest: digestOf(manifestBytes),
      size: manifestBytes.length,
    },
    manifestBytes,
    members,
  };
}
