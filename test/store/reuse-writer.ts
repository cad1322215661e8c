// Child process of reuse.test.ts (run with node -r test/harness/ts-register.js): copies the image `src` of the
// layout SOURCE into the store ROOT — every blob is already there, so the copy only asks `exists` — prints
// "checked", waits for a line on stdin, then commits it as NAME (`commit`) or aborts (`abort`). `hold` never
// goes on: the test kills it.
import { createInterface } from 'node:readline';
import { openLocalStore } from '../../src/transport/local';
import { openOciLayout } from '../../src/transport/oci-layout';
import { copyGraph } from './helpers';

async function main(): Promise<void> {
  const [root, source, name, mode] = process.argv.slice(2);
  if (!root || !source || !name || !mode) throw new Error('usage: reuse-writer ROOT SOURCE NAME MODE');
  const store = openLocalStore(root);
  const src = openOciLayout(source);
  const desc = await src.resolve('src');
  const pushed = await copyGraph(src, desc, store);
  if (pushed.length > 0) throw new Error(`expected to reuse every blob, pushed ${pushed.join(', ')}`);
  process.stdout.write('checked\n');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
  if (mode === 'hold') await new Promise(() => undefined);
  if (mode === 'abort') await store.abort();
  else {
    await store.tag(desc, name);
    await store.commit();
  }
  process.stdout.write('done\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
