// Child process of scratch.test.ts (node -r test/harness/ts-register.js): opens a scratch dir in the store ROOT,
// writes a file in it, adopts OUTSIDE (a temp file beside some output, created after adopting), prints the
// scratch dir's path and waits to be killed. With `handlers` it installs the CLI's interrupt handlers first.
import { promises as fs } from 'node:fs';
import { installInterruptHandlers } from '../../src/interrupt';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Ingest, LayoutPaths, Scratch } from '../../src/store';

async function main(): Promise<void> {
  const [root, outside, mode] = process.argv.slice(2);
  if (!root || !outside || !mode) throw new Error('usage: scratch-writer ROOT OUTSIDE handlers|none|ingest');
  if (mode !== 'none') installInterruptHandlers();
  if (mode === 'ingest') {
    // A transaction that has staged a blob and not committed: its ingest dir is what a signal must remove.
    const ingest = new Ingest(new LayoutPaths(root));
    const bytes = Buffer.from('staged blob');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await ingest.stage(
      { mediaType: 'application/octet-stream', digest, size: bytes.length },
      Readable.from([bytes]),
    );
    process.stdout.write(`${ingest.dir}\n`);
    setInterval(() => undefined, 60_000);
    return;
  }
  const scratch = await Scratch.open(new LayoutPaths(root), 'test');
  await fs.writeFile(scratch.path('inflated.tar'), Buffer.alloc(1024 * 1024));
  await scratch.adopt(outside);
  await fs.writeFile(outside, 'partial archive');
  process.stdout.write(`${scratch.dir}\n`);
  // Something for the event loop to wait on, so the process stays until it is signalled.
  setInterval(() => undefined, 60_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
