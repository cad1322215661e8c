import { afterAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { transfer } from '../../src/copy';
import type { CopyEvent } from '../../src/copy/copy-graph';
import { ProgressReporter } from '../../src/cli/progress';
import { openOciLayout } from '../../src/transport/oci-layout';
import { makeTempDir, removeTempDirs } from '../harness';
import { writeRandomImage } from '../fixtures/random-image';

/** A stderr stand-in that keeps what was written; `tty` makes it look like a terminal. */
function captureStream(tty: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return Object.assign(stream, { isTTY: tty, columns: 100, text: () => chunks.join('') }) as never;
}

async function copyWithEvents(byteProgress?: boolean): Promise<{ events: CopyEvent[]; sizes: number[] }> {
  const layout = await makeTempDir();
  const image = await writeRandomImage(layout, { ref: 'p', seed: 901, layers: 2, fileSize: 300_000 });
  const events: CopyEvent[] = [];
  await transfer(openOciLayout(layout), openOciLayout(await makeTempDir()), [{ ref: 'p', names: ['p'] }], {
    onEvent: (event) => events.push(event),
    ...(byteProgress !== undefined && { byteProgress }),
  });
  return { events, sizes: image.layers.map((layer) => layer.size) };
}

describe('copy progress', () => {
  afterAll(removeTempDirs);

  it('reports the bytes of every blob as they flow, ending at its size', async () => {
    const { events, sizes } = await copyWithEvents();
    for (const size of sizes) {
      const seen = events.filter((e) => e.type === 'progress' && e.descriptor.size === size);
      expect(seen.length).toBeGreaterThan(0);
      const counts = seen.map((e) => (e.type === 'progress' ? e.bytes : 0));
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).toBe(size);
    }
    expect(events.filter((e) => e.type === 'copied')).toHaveLength(sizes.length + 2); // + config, manifest
  });

  it('byteProgress: false keeps the per-blob events and drops the byte counting', async () => {
    const { events, sizes } = await copyWithEvents(false);
    expect(events.some((e) => e.type === 'progress')).toBe(false);
    expect(events.filter((e) => e.type === 'copied')).toHaveLength(sizes.length + 2);
  });

  it('a TTY gets one redrawn status line with bytes; other streams get a line per blob; disabled prints nothing', () => {
    const descriptor = { mediaType: 'x', digest: `sha256:${'a'.repeat(64)}`, size: 2_000_000 };
    const feed = (reporter: ProgressReporter) => {
      reporter.onEvent({ type: 'start', descriptor });
      reporter.onEvent({ type: 'progress', descriptor, bytes: 1_000_000 });
      reporter.onEvent({ type: 'copied', descriptor });
      reporter.finish();
    };
    const tty = captureStream(true);
    const onTty = new ProgressReporter(tty);
    expect(onTty.drawsBytes).toBe(true);
    feed(onTty);
    expect(tty.text()).toContain('\r\x1b[K');
    expect(tty.text()).toMatch(/1 copied, 0 skipped, 0 mounted, 1\.00 MB at /);
    expect(tty.text()).not.toContain('\n');

    const plain = captureStream(false);
    const onPlain = new ProgressReporter(plain);
    expect(onPlain.drawsBytes).toBe(false);
    feed(onPlain);
    expect(plain.text()).toMatch(/^Copied {2}sha256:a{12} 2(\.00)? MB\n$/);

    const silent = captureStream(true);
    const off = new ProgressReporter(silent, false);
    expect(off.drawsBytes).toBe(false);
    feed(off);
    expect(silent.text()).toBe('');
  });
});
