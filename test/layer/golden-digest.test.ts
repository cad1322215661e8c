import { describe, expect, it } from '@jest/globals';
import { writeLayer, type LayerCompressionKind, type LayerEntry } from '../../src/layer';
import { fileEntry, memorySink, patternBytes } from './helpers';

/**
 * Golden digests (STYLE.md): the layer format is a promise — the same entries give these bytes on any machine,
 * with any core count. A change here changes every image kimg has built: bump it only on purpose, and say so
 * in the changelog. (The gzip bytes are those of Node's bundled zlib; see src/layer/README.md.)
 */
const GOLDEN: Record<LayerCompressionKind, { digest: string; size: number }> = {
  none: { digest: 'sha256:a55568e223a4e1b4e3b61d4b6cacd15647c6bd584a2474791950bc106ab7f5a8', size: 3004416 },
  gzip: { digest: 'sha256:2e9c207daccb0c11fc7d2f96c8a334dab6af7fe3c2de01f74f1d60342fada0d2', size: 1625966 },
  zstd: { digest: 'sha256:7f11fc51f3ce25521f77a5989e70dd4e9a20104df5ee7c1826fb402b6eb88680', size: 1561694 },
};

function entries(): LayerEntry[] {
  return [
    fileEntry('etc/a.yaml', 'a: 1\n'),
    fileEntry('bin/x', patternBytes('x', 1_500_000).toString('hex'), { mode: 0o755 }),
    { path: 'bin/y', type: 'symlink', mode: 0o777, linkTarget: 'x' },
  ];
}

describe('layer golden digests', () => {
  it.each(Object.keys(GOLDEN) as LayerCompressionKind[])('%s', async (compression) => {
    const { sink } = memorySink();
    const written = await writeLayer(entries(), sink, { compression, workers: 3 });
    expect({ digest: written.digest, size: written.size }).toEqual(GOLDEN[compression]);
    expect(written.diffId).toBe(GOLDEN.none.digest);
  });
});

/**
 * zstd in libzstd's multi-threaded mode (src/layer/zstd-blocks.ts): 20 MB of text cut into three 8 MiB jobs, and the
 * same bytes whatever the worker count — the property the format relies on (facebook/zstd#2238).
 */
const GOLDEN_ZSTD_JOBS = {
  digest: 'sha256:6af957910ae25812476ad1961d3b5bba22a5d9c762455f13e84c0d9434e46299',
  size: 10_408_383,
};

describe('zstd golden digest across libzstd worker counts', () => {
  it.each([1, 2, 4])('%i workers', async (zstdWorkers) => {
    const { sink } = memorySink();
    const big: LayerEntry[] = [fileEntry('opt/big', patternBytes('big', 10_000_000).toString('hex'))];
    const written = await writeLayer(big, sink, { compression: 'zstd', zstdWorkers });
    expect({ digest: written.digest, size: written.size }).toEqual(GOLDEN_ZSTD_JOBS);
  });
});
