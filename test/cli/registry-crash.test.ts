import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  kimgOk,
  makeTempDir,
  removeTempDirs,
  REPO_ROOT,
  skopeo,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type ProxyRequestRecord,
  type RunningRegistry,
} from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';

// Interrupted copy (issue 4): SIGKILL `kimg copy` in the middle of a ~50 MB push, run it again. Blobs a registry
// accepted are complete (the PUT with ?digest= is atomic on the registry side), so the rerun HEADs them and
// uploads only the rest; no tag was written by the killed run (tags go last, at commit).
let registry: RunningRegistry;
let proxy: FaultProxy;
let layout: string;
let image: FixtureImage;
let root: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  layout = await makeTempDir();
  root = await makeTempDir('kimg-root-');
  image = await writeRandomImage(layout, {
    ref: 'big',
    seed: 9,
    layers: 5,
    filesPerLayer: 10,
    fileSize: 1 << 20,
    compression: 'none',
  });
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await removeTempDirs();
});

const completedUploads = (requests: ProxyRequestRecord[]) =>
  requests
    .filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/') && r.status === 201)
    .map((r) => new URL(r.path, 'http://x').searchParams.get('digest'));
const startedUploads = (requests: ProxyRequestRecord[]) =>
  requests.filter((r) => (r.method === 'PUT' || r.method === 'PATCH') && r.path.includes('/blobs/uploads/'));

describe('kimg copy killed mid-transfer', () => {
  it('the rerun finishes without re-sending completed blobs and the image is valid', async () => {
    const destination = `docker://${proxy.host}/crash/big:1`;
    const args = [
      join(REPO_ROOT, 'bin', 'kimg'),
      'copy',
      '--concurrency',
      '1',
      `oci:${layout}:big`,
      destination,
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, KIMG_ROOT: root },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const deadline = Date.now() + 60_000;
    while (completedUploads(proxy.requests).length < 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const firstRun = completedUploads(proxy.requests);
    expect(firstRun.length).toBeGreaterThanOrEqual(1);
    expect(firstRun.length).toBeLessThan(image.layers.length + 1);
    // No tag yet: the killed run never reached commit.
    const before = await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/crash/big:1`]);
    expect(before.code).not.toBe(0);

    proxy.reset();
    const rerun = JSON.parse(
      (await kimgOk(['copy', `oci:${layout}:big`, destination, '--format', 'json'], { root })).stdout,
    );
    const secondRun = completedUploads(proxy.requests);
    expect(secondRun.filter((digest) => firstRun.includes(digest))).toEqual([]);
    expect(startedUploads(proxy.requests)).toHaveLength(secondRun.length);
    expect(rerun.blobsSkipped).toBeGreaterThanOrEqual(firstRun.length);
    expect(rerun.digest).toBe(image.manifestDigest);

    const inspect = await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/crash/big:1`]);
    expect(JSON.parse(inspect.stdout).Digest).toBe(image.manifestDigest);
    // Every blob reads back verified.
    const out = await makeTempDir();
    await kimgOk(['copy', `docker://${registry.host}/crash/big:1`, `oci:${out}:x`], { root });
    process.stderr.write(
      `registry-crash: first run completed ${firstRun.length} uploads; rerun uploaded ${secondRun.length}, skipped ${rerun.blobsSkipped}\n`,
    );
  });
});
