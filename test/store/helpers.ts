import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { isManifestMediaType, manifestChildren, parseManifest, type Descriptor } from '../../src/manifest';
import type { ReadOnlyTarget, Target } from '../../src/transport/types';

export async function readAllBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A minimal graph copy (children before parents) for tests, so the store is tested without src/copy.
 * Returns the digests pushed.
 */
export async function copyGraph(src: ReadOnlyTarget, root: Descriptor, dst: Target): Promise<string[]> {
  const pushed: string[] = [];
  const visit = async (desc: Descriptor): Promise<void> => {
    if (isManifestMediaType(desc.mediaType)) {
      const bytes = await readAllBytes(await src.fetch(desc));
      for (const child of manifestChildren(parseManifest(bytes, desc.mediaType))) await visit(child);
    }
    if (await dst.exists(desc)) return;
    await dst.push(desc, await src.fetch(desc));
    pushed.push(desc.digest);
  };
  await visit(root);
  return pushed;
}

/**
 * Every file under `dir` with its sha256, sorted; `.kimg/` (the private lock and staging area) is left out
 * because staging writes there by design before a commit fails.
 */
export async function treeHash(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (current: string): Promise<void> => {
    let names: string[];
    try {
      names = await fs.readdir(current);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const path = join(current, name);
      const rel = relative(dir, path);
      if (rel === '.kimg') continue;
      const stat = await fs.lstat(path);
      if (stat.isDirectory()) {
        out[`${rel}/`] = 'dir';
        await walk(path);
      } else {
        out[rel] = createHash('sha256')
          .update(await fs.readFile(path))
          .digest('hex');
      }
    }
  };
  await walk(dir);
  return out;
}

export async function listFilesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await fs.readdir(current, { withFileTypes: true }).catch(() => [])) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.push(relative(dir, path));
    }
  };
  await walk(dir);
  return out.sort();
}

export function streamOf(data: Buffer | string): Readable {
  return Readable.from([Buffer.from(data)]);
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
