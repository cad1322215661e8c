import { Readable } from 'node:stream';
import { digestOf } from '../../src/digest';
import type { Descriptor } from '../../src/manifest/descriptor';
import { MediaType } from '../../src/manifest/media-types';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry';
import type { HttpEvent } from '../../src/registry/http/transport';
import { seededBytes } from '../fixtures/random-image';

/** Test blobs: deterministic bytes and their descriptor. */
export function blob(
  seed: string,
  size: number,
  mediaType: string = MediaType.OciLayerGzip,
): { bytes: Buffer; desc: Descriptor } {
  const bytes = seededBytes(seed, size);
  return { bytes, desc: { mediaType, digest: digestOf(bytes), size } };
}

/** A re-openable source, counting how often it was opened (uploads re-open it for retries). */
export function opener(
  bytes: Buffer,
  pieceSize = 64 * 1024,
): { open: () => Promise<Readable>; opened: () => number } {
  let count = 0;
  return {
    open: async () => {
      count++;
      const pieces: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += pieceSize) pieces.push(bytes.subarray(at, at + pieceSize));
      return Readable.from(pieces);
    },
    opened: () => count,
  };
}

export async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A small image manifest (config + one layer) as the exact bytes a registry stores. */
export function imageManifest(
  config: Descriptor,
  layers: Descriptor[],
  extra: Record<string, unknown> = {},
): { bytes: Buffer; desc: Descriptor } {
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers, ...extra }),
  );
  return { bytes, desc: { mediaType: MediaType.OciManifest, digest: digestOf(bytes), size: bytes.length } };
}

/** A client with fast retries (tests must not sleep for seconds) that records every HTTP attempt. */
export function testClient(options: RegistryClientOptions = {}): {
  client: RegistryClient;
  events: HttpEvent[];
} {
  const events: HttpEvent[] = [];
  const client = new RegistryClient({
    retry: { baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5_000 },
    ...options,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  return { client, events };
}

/** Pushes config + layer blobs and the manifest; returns the manifest descriptor. */
export async function pushImage(
  client: RegistryClient,
  domain: string,
  name: string,
  tag: string,
  seed: string,
): Promise<{ manifest: Descriptor; bytes: Buffer; config: Descriptor; layer: Descriptor }> {
  const repo = client.repository(domain, name, { push: true });
  const config = blob(`${seed}-config`, 200, MediaType.OciConfig);
  const layer = blob(`${seed}-layer`, 3000);
  await repo.pushBlob(config.desc, opener(config.bytes).open);
  await repo.pushBlob(layer.desc, opener(layer.bytes).open);
  const manifest = imageManifest(config.desc, [layer.desc]);
  await repo.putManifest(tag, manifest.bytes, MediaType.OciManifest);
  return { manifest: manifest.desc, bytes: manifest.bytes, config: config.desc, layer: layer.desc };
}
