import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { KimgError } from '../errors';
import { readBoundedFile } from '../fs';
import { parseBoundedJson } from '../manifest';
import { OWNER_FILE, type IngestOwner } from './ingest';
import { parseIngestDirName, thisHostTag } from './ingest-name';

/**
 * Whether an ingest dir is a leftover: its owner process is gone (same host only — a pid means nothing on
 * another machine sharing the store over NFS), or nothing in it has been written for `maxAgeMs` (pids get
 * reused; a live transaction streaming a layer keeps touching its file's mtime).
 */
export async function isStaleIngest(dir: string, now: Date, maxAgeMs: number): Promise<boolean> {
  const owner = await readOwner(dir);
  if (owner && owner.hostname === hostname() && !isProcessAlive(owner.pid)) return true;
  try {
    const age = now.getTime() - (await newestMtime(dir));
    // A writer killed between creating its dir and writing owner.json leaves no owner file; the dir's name says
    // who made it (ingest-name.ts). Made on this host by a dead pid: a leftover at once. An older name without a
    // host tag: after a short grace — a live writer on another host sharing the store writes owner.json within
    // microseconds — a dead pid there marks a leftover too. Made on another host: only age tells.
    const named = owner ? undefined : parseIngestDirName(basename(dir));
    if (named && !isProcessAlive(named.pid)) {
      if (named.hostTag === thisHostTag()) return true;
      if (named.hostTag === undefined && age > OWNERLESS_GRACE_MS) return true;
    }
    return age > maxAgeMs;
  } catch (err) {
    // Its transaction committed or aborted while we looked: gone already, nothing to sweep.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** How long an ingest dir without owner.json and without a host tag in its name is left alone. */
export const OWNERLESS_GRACE_MS = 2_000;

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** owner.json is `{pid, hostname, createdAt}`: a few dozen bytes. */
const MAX_OWNER_BYTES = 4096;

async function readOwner(dir: string): Promise<IngestOwner | undefined> {
  try {
    // A store other tools can write to: owner.json may be anything, even a FIFO (fs/ refuses it).
    const bytes = await readBoundedFile(join(dir, OWNER_FILE), {
      what: 'ingest owner',
      within: dir,
      limit: MAX_OWNER_BYTES,
      limitHint: 'owner.json is written by kimg and small',
    });
    const parsed = parseBoundedJson(bytes, {
      what: OWNER_FILE,
      maxBytes: MAX_OWNER_BYTES,
      invalid: (message) => new KimgError('LAYOUT_INVALID', message),
    }) as Partial<IngestOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return undefined;
    return { pid: parsed.pid, hostname: parsed.hostname, createdAt: String(parsed.createdAt) };
  } catch {
    return undefined;
  }
}

async function newestMtime(dir: string): Promise<number> {
  let newest = (await fs.stat(dir)).mtimeMs;
  for (const name of await fs.readdir(dir)) {
    const stat = await fs.stat(join(dir, name)).catch(() => undefined);
    if (stat && stat.mtimeMs > newest) newest = stat.mtimeMs;
  }
  return newest;
}
