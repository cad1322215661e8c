import { Readable } from 'node:stream';
import { transfer } from '../../src/copy';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf, encodedPart } from '../../src/digest';
import { MediaType, type Descriptor } from '../../src/manifest';
import { parseImageLocation } from '../../src/reference';
import type { RegistryClient } from '../../src/registry';
import { openOciLayout } from '../../src/transport/oci-layout';
import { locationRef, openDestination, openSource, type OpenContext } from '../../src/transport/open';
import type { ProxyRequestRecord } from '../harness';
import type { FixtureImage } from '../fixtures/random-image';

/** Opens `docker://REF` (or any location) as source or destination on a shared client. */
export async function open(
  client: RegistryClient,
  location: string,
  role: 'source' | 'destination',
  extra: Omit<OpenContext, 'registryClient'> = {},
) {
  const parsed = parseImageLocation(location);
  const context: OpenContext = { ...extra, registryClient: async () => client };
  const target =
    role === 'source' ? await openSource(parsed, context) : await openDestination(parsed, context);
  return { target, ref: locationRef(parsed) };
}

/** kimg copy SRC DST through the library, on one shared client. */
export async function copy(
  client: RegistryClient,
  from: string,
  to: string,
  options: Parameters<typeof transfer>[3] = {},
) {
  const source = await open(client, from, 'source');
  const destination = await open(client, to, 'destination');
  try {
    return await transfer(
      source.target,
      destination.target as Parameters<typeof transfer>[1],
      [
        {
          ...(source.ref !== undefined && { ref: source.ref }),
          names: destination.ref ? [destination.ref] : [],
        },
      ],
      options,
    );
  } finally {
    await source.target.close();
    await destination.target.close();
  }
}

/** Pushes the fixture image `ref` of an OCI layout to `docker://dest`. */
export async function pushLayout(client: RegistryClient, layout: string, ref: string, dest: string) {
  const destination = await open(client, dest, 'destination');
  try {
    return await transfer(openOciLayout(layout), destination.target as never, [
      { ref, names: [destination.ref as string] },
    ]);
  } finally {
    await destination.target.close();
  }
}

/** An OCI 1.1 artifact manifest whose subject is `subject` (a signature-like referrer). */
export function artifact(subject: Descriptor, seed: string) {
  const empty = Buffer.from('{}');
  const emptyDesc = { mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: 2 };
  const payload = Buffer.from(`signature ${seed}`);
  const payloadDesc = {
    mediaType: 'application/vnd.example.sig',
    digest: digestOf(payload),
    size: payload.length,
  };
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: 'application/vnd.example.sig',
      config: emptyDesc,
      layers: [payloadDesc],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
  );
  const desc = { mediaType: MediaType.OciManifest, digest: digestOf(bytes), size: bytes.length };
  return { empty, emptyDesc, payload, payloadDesc, bytes, desc };
}

export const body = (bytes: Buffer) => async () => Readable.from([bytes]);

/** Blob uploads seen by a counting proxy: the PUTs and PATCHes that carried bytes, per digest when known. */
export function uploads(requests: ProxyRequestRecord[]): ProxyRequestRecord[] {
  return requests.filter(
    (r) => (r.method === 'PUT' || r.method === 'PATCH') && r.path.includes('/blobs/uploads/'),
  );
}

export function summary(requests: ProxyRequestRecord[]): string[] {
  return requests.map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')} ${r.status}`);
}

/** A manifest with the layers of `base` then those of `top` (and `top`'s config), added to the layout as `ref`. */
export async function stack(
  dir: string,
  base: FixtureImage,
  top: FixtureImage,
  ref: string,
): Promise<string> {
  const read = async (digest: string) => readFile(join(dir, 'blobs', 'sha256', encodedPart(digest)));
  const topManifest = JSON.parse((await read(top.manifestDigest)).toString()) as {
    config: unknown;
    layers: unknown[];
  };
  const baseManifest = JSON.parse((await read(base.manifestDigest)).toString()) as { layers: unknown[] };
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: topManifest.config,
      layers: [...baseManifest.layers, ...topManifest.layers],
    }),
  );
  const digest = digestOf(bytes);
  await writeFile(join(dir, 'blobs', 'sha256', encodedPart(digest)), bytes);
  const indexPath = join(dir, 'index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: unknown[] };
  index.manifests.push({
    mediaType: MediaType.OciManifest,
    digest,
    size: bytes.length,
    annotations: { 'org.opencontainers.image.ref.name': ref },
  });
  await writeFile(indexPath, JSON.stringify(index));
  return ref;
}
