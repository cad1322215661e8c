import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Ingest dirs are named `<pid>-<host tag>-<random>`: the writer's pid and 8 hex digits of sha256(hostname). A
 * writer killed between creating its dir and writing owner.json leaves a dir whose name alone says who made it,
 * so prune can tell at once that a dir made on this host by a dead pid is a leftover; without the host tag a pid
 * could belong to another machine sharing the store (NFS). Older names, `<pid>-<random>`, carry no tag.
 */
export function newIngestDirName(): string {
  return `${process.pid}-${thisHostTag()}-${randomBytes(6).toString('hex')}`;
}

export interface IngestDirName {
  pid: number;
  /** Absent in names written before the tag existed. */
  hostTag?: string;
}

export function parseIngestDirName(name: string): IngestDirName | undefined {
  const match = /^(\d+)-(?:([0-9a-f]{8})-)?[0-9a-f]+$/.exec(name);
  if (!match) return undefined;
  return match[2] === undefined ? { pid: Number(match[1]) } : { pid: Number(match[1]), hostTag: match[2] };
}

let tag: string | undefined;

export function thisHostTag(): string {
  tag ??= createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
  return tag;
}
