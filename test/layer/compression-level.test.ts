import { describe, expect, it } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import { decompress } from 'zstd-napi';
import { isKimgError } from '../../src/errors';
import {
  COMPRESSION_LEVELS,
  DEFAULT_COMPRESSION_LEVEL,
  parseCompressionLevel,
  writeLayer,
  type LayerCompressionKind,
  type LayerEntry,
} from '../../src/layer';
import { fileEntry, memorySink } from './helpers';

/**
 * The layer compression level (issue 13, "same size ±3 %": `buildah push --compression-level`): its ranges,
 * the refusals, and that the level reaches the compressor (sizes move with it, bytes stay reproducible).
 */

/** ~600 KB of YAML-like text: compressible, and level 1 and 9 compress it measurably differently. */
function manifests(): LayerEntry[] {
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  const lines: string[] = [];
  for (let i = 0; i < 12_000; i++) lines.push(`  - name: app-${next() % 997}\n    replicas: ${next() % 13}`);
  return [fileEntry('manifests/apps.yaml', `items:\n${lines.join('\n')}\n`)];
}

async function layer(compression: LayerCompressionKind, level?: number) {
  const { sink, bytes } = memorySink();
  const written = await writeLayer(manifests(), sink, {
    compression,
    workers: 1,
    ...(level !== undefined && { level }),
  });
  return { written, bytes: bytes() };
}

function refusal(fn: () => unknown): { code: string; message: string; hint?: string } {
  try {
    fn();
  } catch (err) {
    if (isKimgError(err))
      return { code: err.code, message: err.message, ...(err.hint && { hint: err.hint }) };
    throw err;
  }
  throw new Error('not refused');
}

describe('compression level', () => {
  it('takes zlib 1–9 and libzstd 1–22; defaults 6 and 3; a flag text is parsed', () => {
    expect(COMPRESSION_LEVELS).toEqual({ none: undefined, gzip: [1, 9], zstd: [1, 22] });
    expect(DEFAULT_COMPRESSION_LEVEL).toEqual({ none: undefined, gzip: 6, zstd: 3 });
    expect(parseCompressionLevel('gzip', 1)).toBe(1);
    expect(parseCompressionLevel('gzip', '9')).toBe(9);
    expect(parseCompressionLevel('zstd', ' 19 ')).toBe(19);
  });

  it.each([
    ['gzip', '0', /^--compression-level 0: gzip levels are 1 to 9$/],
    ['gzip', '10', /^--compression-level 10: gzip levels are 1 to 9$/],
    ['gzip', '4.5', /^--compression-level 4\.5: gzip levels are 1 to 9$/],
    ['gzip', 'fast', /^--compression-level fast: gzip levels are 1 to 9$/],
    ['gzip', '', /^--compression-level : gzip levels are 1 to 9$/],
    ['zstd', '23', /^--compression-level 23: zstd levels are 1 to 22$/],
    ['zstd', '-1', /^--compression-level -1: zstd levels are 1 to 22$/],
    ['none', '3', /^--compression-level 3: none layers are not compressed and have no level$/],
  ] as const)('refuses %s level "%s", naming the flag, the value and the range', (kind, text, message) => {
    const err = refusal(() => parseCompressionLevel(kind, text, '--compression-level'));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(kind === 'none' ? /gzip \(1 to 9\) or zstd \(1 to 22\)/ : /default [36]$/);
  });

  it('refuses a bad level in the writer too (library callers)', async () => {
    await expect(layer('gzip', 12)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(layer('zstd', 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reaches the compressor: gzip 1 > 6 (default) > 9 in size, same tar, same bytes run to run', async () => {
    const one = await layer('gzip', 1);
    const byDefault = await layer('gzip');
    const six = await layer('gzip', 6);
    const nine = await layer('gzip', 9);
    expect(six.bytes.equals(byDefault.bytes)).toBe(true);
    expect(one.written.size).toBeGreaterThan(byDefault.written.size);
    expect(byDefault.written.size).toBeGreaterThan(nine.written.size);
    expect(one.written.diffId).toBe(nine.written.diffId);
    expect(gunzipSync(one.bytes).equals(gunzipSync(nine.bytes))).toBe(true);
    expect((await layer('gzip', 1)).bytes.equals(one.bytes)).toBe(true);
  });

  it('reaches zstd: level 1 is larger than 19, both decompress to the same tar', async () => {
    const one = await layer('zstd', 1);
    const nineteen = await layer('zstd', 19);
    expect(one.written.size).toBeGreaterThan(nineteen.written.size);
    expect(decompress(one.bytes).equals(decompress(nineteen.bytes))).toBe(true);
    expect((await layer('zstd', 3)).bytes.equals((await layer('zstd')).bytes)).toBe(true);
  });
});
