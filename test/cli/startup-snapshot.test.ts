import { afterAll, describe, expect, it } from '@jest/globals';
import {
  cpSync,
  existsSync,
  readFileSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { kimg, kimgOk, makeTempDir, removeTempDirs, REPO_ROOT, run } from '../harness';

// The start-up snapshot (scripts/build-snapshot.js, cli/snapshot-main.ts, bin/kimg's shell lines). Every other
// CLI test runs bin/kimg through it; these check that it is used when it should be, that the ordinary start
// takes over when it must not be, and that both give the same results.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is plain JavaScript
const { nodeKey } = require('../../scripts/build-snapshot.js') as { nodeKey: () => string };

const STARTED = 'kimg: debug: started from the start-up snapshot';

afterAll(removeTempDirs);

/** A Kubefile build small enough for seconds; returns the image digest and the JSON report. */
async function buildOnce(env: NodeJS.ProcessEnv): Promise<{ digest: string; stderr: string }> {
  const root = await makeTempDir();
  const context = await makeTempDir();
  writeFileSync(join(context, 'Kubefile'), 'FROM scratch\nCOPY . /rootfs/\nLABEL io.kimg.test=snapshot\n');
  writeFileSync(join(context, 'a.yaml'), 'kind: ConfigMap\n');
  const built = await kimgOk(['--debug', 'build', '-t', 'snap/test:1', '--format', 'json', context], {
    root,
    env: { ...env, SOURCE_DATE_EPOCH: '0' },
  });
  return { digest: (JSON.parse(built.stdout) as { digest: string }).digest, stderr: built.stderr };
}

describe('start-up snapshot', () => {
  it('npm run build made one for this node, and bin/kimg starts from it', async () => {
    const blob = join(REPO_ROOT, 'dist', 'snapshot', `kimg-${nodeKey()}.blob`);
    expect(existsSync(blob)).toBe(true);
    const root = await makeTempDir();
    const listed = await kimgOk(['--debug', 'images'], { root });
    expect(listed.stderr).toContain(`${STARTED} ${blob}`);
  });

  it('gives the same image as the ordinary start; KIMG_NO_SNAPSHOT and NODE_OPTIONS take the ordinary start', async () => {
    const fromSnapshot = await buildOnce({});
    const ordinary = await buildOnce({ KIMG_NO_SNAPSHOT: '1' });
    // V8 refuses a snapshot under other V8 flags: NODE_OPTIONS set means the ordinary start, never a failure.
    const withOptions = await buildOnce({ NODE_OPTIONS: '--max-old-space-size=512' });
    expect(fromSnapshot.stderr).toContain(STARTED);
    expect(ordinary.stderr).not.toContain(STARTED);
    expect(withOptions.stderr).not.toContain(STARTED);
    expect(ordinary.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fromSnapshot.digest).toBe(ordinary.digest);
    expect(withOptions.digest).toBe(ordinary.digest);
    const viaNode = await run(process.execPath, [join(REPO_ROOT, 'bin', 'kimg'), '--debug', '--version']);
    expect(viaNode.code).toBe(0);
    expect(viaNode.stderr).not.toContain(STARTED);
  });

  it('a moved package finds itself; a stale or foreign snapshot is not used', async () => {
    // A copy of the package elsewhere (mtimes kept): the snapshot's paths are the build folder's, so what it
    // reads at run time (package.json's version here) must come from where it runs.
    const copy = await makeTempDir();
    for (const part of ['bin', 'dist'])
      cpSync(join(REPO_ROOT, part), join(copy, part), { recursive: true, preserveTimestamps: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...pkg, version: '9.9.9-moved' }));
    const bin = join(copy, 'bin', 'kimg');

    const moved = await run(bin, ['--debug', '--version']);
    expect(moved.stderr).toContain(`${STARTED} ${join(copy, 'dist', 'snapshot')}`);
    expect(moved.stdout.trim()).toBe('9.9.9-moved');

    // dist/ rebuilt after the snapshot (tsc alone): the snapshot holds older code.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy, 'dist', 'cli', 'main.js'), later, later);
    const stale = await run(bin, ['--debug', '--version']);
    expect(stale.code).toBe(0);
    expect(stale.stderr).not.toContain(STARTED);
    expect(stale.stdout.trim()).toBe('9.9.9-moved');

    // A snapshot made by another node binary (another key): ignored, not a failure.
    utimesSync(join(copy, 'dist', 'cli', 'main.js'), new Date(0), new Date(0));
    const blob = join(copy, 'dist', 'snapshot', `kimg-${nodeKey()}.blob`);
    renameSync(blob, join(copy, 'dist', 'snapshot', 'kimg-1-1.blob'));
    const foreign = await run(bin, ['--debug', '--version']);
    expect(foreign.code).toBe(0);
    expect(foreign.stderr).not.toContain(STARTED);
    renameSync(join(copy, 'dist', 'snapshot', 'kimg-1-1.blob'), blob);
    expect((await run(bin, ['--debug', '--version'])).stderr).toContain(STARTED);
  });

  it('a failing command exits the same way from the snapshot', async () => {
    const root = await makeTempDir();
    const fromSnapshot = await kimg(['inspect', 'no/such:image'], { root });
    const ordinary = await kimg(['inspect', 'no/such:image'], { root, env: { KIMG_NO_SNAPSHOT: '1' } });
    expect(fromSnapshot.code).toBe(1);
    expect(fromSnapshot.code).toBe(ordinary.code);
    expect(fromSnapshot.stderr).toBe(ordinary.stderr);
  });
});
