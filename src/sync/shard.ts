import { createHash } from 'node:crypto';
import { KimgError } from '../errors';

/** One of N parts of a sync's images: pod `index` of an Indexed Job of `count` completions. */
export interface Shard {
  index: number;
  count: number;
}

/** Indexed Jobs give each pod its index in this variable (Kubernetes `completionMode: Indexed`). */
export const JOB_INDEX_VARIABLE = 'JOB_COMPLETION_INDEX';
const MAX_SHARDS = 10_000;

/**
 * `--shard I/N` or `--shard auto/N` (the index from JOB_COMPLETION_INDEX), so N pods share the work with no
 * coordinator: each takes the images whose name hashes to its index.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const match = /^(auto|\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw usage(`--shard ${text} is not I/N or auto/N`);
  const count = Number(match[2]);
  let indexText = match[1] as string;
  if (indexText === 'auto') {
    const fromEnv = env[JOB_INDEX_VARIABLE];
    if (fromEnv === undefined || !/^\d+$/.test(fromEnv)) {
      throw new KimgError(
        'INVALID_ARGUMENT',
        `--shard auto/${count} needs ${JOB_INDEX_VARIABLE} (a number), but it is ${fromEnv === undefined ? 'unset' : JSON.stringify(fromEnv)}`,
        'run it in a Job with completionMode: Indexed, or give the index: --shard 0/N',
      );
    }
    indexText = fromEnv;
  }
  const index = Number(indexText);
  if (count < 1 || count > MAX_SHARDS) throw usage(`--shard ${text}: N must be 1 to ${MAX_SHARDS}`);
  if (index >= count) throw usage(`--shard ${text}: the index must be below ${count} (0-based)`);
  return { index, count };
}

/**
 * The shard an image name belongs to: the first 48 bits of its SHA-256, modulo N. Stable across machines,
 * Node versions and runs (unlike a language hash), and even: every pod gets about 1/N of the images.
 */
export function shardOf(name: string, count: number): number {
  const hash = createHash('sha256').update(name).digest();
  return hash.readUIntBE(0, 6) % count;
}

export function inShard(name: string, shard: Shard | undefined): boolean {
  return shard === undefined || shardOf(name, shard.count) === shard.index;
}

function usage(message: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    message,
    'write it as --shard 0/3 (this pod is part 0 of 3) or --shard auto/3',
  );
}
