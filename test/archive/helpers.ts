import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest, type Descriptor } from '../../src/manifest';
import type { ReadOnlyTarget, Target } from '../../src/transport/types';
import type { FixtureImage } from '../fixtures/random-image';

function blobFile(layoutDir: string, digest: string): string {
  return join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/** Pushes a fixture image from its OCI layout into `target`, children first (the Target call order). */
export async function pushFixture(
  layoutDir: string,
  image: FixtureImage,
  target: Target,
  ref?: string,
): Promise<void> {
  const manifestBytes = await readFile(blobFile(layoutDir, image.manifestDigest));
  const parsed = parseManifest(manifestBytes);
  if (parsed.kind !== 'manifest') throw new Error('fixture is not an image manifest');
  for (const desc of [parsed.manifest.config, ...parsed.manifest.layers]) {
    await target.push(desc, createReadStream(blobFile(layoutDir, desc.digest)));
  }
  await target.push(image.manifestDescriptor, createReadStream(blobFile(layoutDir, image.manifestDigest)));
  await target.tag(image.manifestDescriptor, ref);
}

export async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Fetches the manifest `desc` and every blob it names (each read is verified by the source); returns the manifest. */
export async function fetchImage(
  source: ReadOnlyTarget,
  desc: Descriptor,
): Promise<{ manifest: Buffer; blobs: Descriptor[] }> {
  const manifest = await readStream(await source.fetch(desc));
  const parsed = parseManifest(manifest, desc.mediaType);
  if (parsed.kind !== 'manifest') throw new Error('expected an image manifest');
  const blobs = [parsed.manifest.config, ...parsed.manifest.layers];
  for (const blob of blobs) {
    expect(await source.exists(blob)).toBe(true);
    const bytes = await readStream(await source.fetch(blob));
    expect(bytes.length).toBe(blob.size);
  }
  return { manifest, blobs };
}
