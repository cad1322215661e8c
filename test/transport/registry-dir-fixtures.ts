import { mkdir, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { transfer } from '../../src/copy';
import type { Descriptor } from '../../src/manifest';
import { openOciLayout } from '../../src/transport/oci-layout';
import { openRegistryDir } from '../../src/transport/registry-dir';
import type { ReadOnlyTarget } from '../../src/transport/types';

/** Copies image `ref` of an OCI layout into a registry dir as `names`, with the real copy engine. */
export async function copyLayoutToRegistryDir(
  layoutDir: string,
  ref: string,
  registryDir: string,
  names: string[],
): Promise<void> {
  const source = openOciLayout(layoutDir);
  const destination = openRegistryDir(registryDir);
  try {
    await transfer(source, destination, [{ ref, names }]);
  } finally {
    await destination.close();
    await source.close();
  }
}

export async function readBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Copies `ref` of any source into a fresh OCI layout (every blob fetched, hence verified) and returns its root. */
export async function copyToLayout(
  source: ReadOnlyTarget,
  ref: string,
  layoutDir: string,
): Promise<Descriptor> {
  await mkdir(layoutDir, { recursive: true });
  const destination = openOciLayout(layoutDir);
  try {
    const result = await transfer(source, destination, [{ ref, names: ['copied'] }]);
    return (result.images[0] as { descriptor: Descriptor }).descriptor;
  } finally {
    await destination.close();
  }
}

export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}
