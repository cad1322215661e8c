// An OCI image layout made by hand from raw layer tars, for images no builder would produce: a layer bomb, a
// whiteout named `.wh..`. `kimg copy oci:DIR:REF NAME` puts it in a store without unpacking anything.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const digestOf = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function blob(layout: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const digest = digestOf(data);
  await writeFile(join(layout, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: Buffer.byteLength(data) };
}

/** Writes `layout` (an OCI image layout) holding one linux/amd64 image `ref` whose layers are `tars`, gzipped. */
export async function writeImageLayout(layout: string, ref: string, tars: Buffer[]): Promise<void> {
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const layers = [];
  for (const tar of tars) {
    layers.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      ...(await blob(layout, gzipSync(tar))),
    });
  }
  const config = await blob(
    layout,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: tars.map((tar) => digestOf(tar)) },
      history: tars.map(() => ({ created_by: 'hand-made' })),
    }),
  );
  const manifest = await blob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers,
    }),
  );
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'org.opencontainers.image.ref.name': ref },
        },
      ],
    }),
  );
}
