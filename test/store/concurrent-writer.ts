// Child process of concurrency.test.ts (run with node -r test/harness/ts-register.js): commits `count` random
// images into the store at argv[2], named w<id>-<n>, each in its own transaction, and prints their digests.
import { join } from 'node:path';
import { writeRandomImage } from '../fixtures/random-image';
import { openLocalStore } from '../../src/transport/local';
import { openOciLayout } from '../../src/transport/oci-layout';
import { copyGraph } from './helpers';

async function main(): Promise<void> {
  const [root, scratch, id, count] = process.argv.slice(2);
  if (!root || !scratch || !id || !count) throw new Error('usage: concurrent-writer ROOT SCRATCH ID COUNT');
  const store = openLocalStore(root);
  const written: Record<string, string> = {};
  for (let n = 0; n < Number(count); n++) {
    const dir = join(scratch, `w${id}-${n}`);
    const fixture = await writeRandomImage(dir, { seed: Number(id) * 100 + n, layers: 2, fileSize: 4096 });
    await copyGraph(openOciLayout(dir), fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, `w${id}-${n}`);
    // All writers also (re)tag one shared image, so they race on the same name and the same blobs.
    const shared = await writeRandomImage(join(scratch, `shared-${id}-${n}`), { seed: 424242 });
    await copyGraph(openOciLayout(join(scratch, `shared-${id}-${n}`)), shared.manifestDescriptor, store);
    await store.tag(shared.manifestDescriptor, 'shared');
    await store.commit();
    written[`docker.io/library/w${id}-${n}:latest`] = fixture.manifestDigest;
    // crash.test.ts waits for these to kill a writer that is known to be among its commits.
    if (process.env.KIMG_TEST_REPORT_COMMITS === '1') process.stderr.write('committed\n');
  }
  process.stdout.write(JSON.stringify(written));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
