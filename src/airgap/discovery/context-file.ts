import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { KimgError } from '../../errors';
import { describeBytes, DiscoveryEnv } from './discovery-limits';

/**
 * Reading the files of a build context that discovery looks at. The context is untrusted input: a link may
 * point anywhere on the builder's host (`manifests/x.yaml -> /etc/shadow`), a FIFO would block `open` forever,
 * and a file may be huge. So: links are followed only while they stay inside the context, only regular files
 * are read (opened with O_NONBLOCK so a FIFO cannot hang the open), and the size is checked by fstat first.
 */
export interface ContextRoot {
  /** The context as given (messages name it). */
  dir: string;
  /** Its real path: every file read must resolve below it. */
  real: string;
}

export async function openContextRoot(dir: string): Promise<ContextRoot> {
  try {
    const real = await realpath(dir);
    if (!(await stat(real)).isDirectory()) throw new Error('not a directory');
    return { dir, real };
  } catch (err) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `build context ${dir} is not a directory (${(err as Error).message})`,
    );
  }
}

/** True when `path` (real) is `root.real` or below it. */
function inside(root: ContextRoot, real: string): boolean {
  const rel = relative(root.real, real);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of a context path, refusing a link that leads out of the context. */
export async function resolveInContext(root: ContextRoot, rel: string): Promise<string> {
  const real = await realpath(join(root.real, rel));
  if (!inside(root, real)) {
    throw new KimgError(
      'DISCOVERY_INPUT_INVALID',
      `${rel} in the build context ${root.dir} is a symlink that leads out of the context (to ${real})`,
      'copy the file into the context, or make the link point inside it',
    );
  }
  return real;
}

/** Reads a file of at most `maxBytes`; `label` names it in errors (context-relative, or as the user gave it). */
export async function readBoundedFile(path: string, label: string, maxBytes: number): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: unknown) => {
    throw new KimgError('IO_ERROR', `cannot read ${label}: ${(err as Error).message}`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new KimgError(
        'DISCOVERY_INPUT_INVALID',
        `${label} is not a regular file`,
        'remove it or replace it with a file',
      );
    }
    if (info.size > maxBytes) throw tooLarge(label, info.size, maxBytes);
    // Read at most one byte more than the cap: a file that grows after fstat is still caught.
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) {
        if (length > maxBytes) throw tooLarge(label, length, maxBytes);
        break;
      }
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

function tooLarge(label: string, size: number, maxBytes: number): KimgError {
  return new KimgError(
    'SIZE_LIMIT',
    `${label} is ${size > maxBytes ? 'larger than' : 'at'} the discovery file size limit of ${describeBytes(maxBytes)} (${size} bytes)`,
    `raise it with ${DiscoveryEnv.maxFileBytes}=<bytes|NMiB>, or move the file out of the context's scanned folders`,
  );
}

/** Reads a context file (relative path), refusing links out of the context. */
export async function readContextFile(root: ContextRoot, rel: string, maxBytes: number): Promise<string> {
  return readBoundedFile(await resolveInContext(root, rel), rel, maxBytes);
}

/** Whether a context path exists (links are followed; a dangling link is absent). */
export async function contextEntryKind(
  root: ContextRoot,
  rel: string,
): Promise<'file' | 'dir' | 'other' | undefined> {
  try {
    await lstat(join(root.real, rel));
  } catch {
    return undefined;
  }
  const real = await resolveInContext(root, rel).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  if (real === undefined) return undefined;
  const info = await stat(real);
  return info.isFile() ? 'file' : info.isDirectory() ? 'dir' : 'other';
}

/**
 * Files below a context folder whose names end with one of `suffixes`, as sorted context-relative paths
 * (`/`-separated). Linked folders are entered while they stay inside the context, each real folder and file
 * once (a link loop ends).
 */
export async function listContextFiles(
  root: ContextRoot,
  folder: string,
  suffixes: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = async (rel: string): Promise<void> => {
    const real = await resolveInContext(root, rel);
    if (seen.has(real)) return;
    seen.add(real);
    const names = (await readdir(real)).sort();
    for (const name of names) {
      const child = `${rel}/${name}`;
      const kind = await contextEntryKind(root, child);
      if (kind === 'dir') await visit(child);
      else if (kind !== undefined && suffixes.some((suffix) => name.endsWith(suffix))) {
        // A file reached again through a link is read once, under the first path that reaches it.
        const real = await resolveInContext(root, child);
        if (!seen.has(real)) found.push(child);
        seen.add(real);
      }
    }
  };
  await visit(folder);
  return found;
}
