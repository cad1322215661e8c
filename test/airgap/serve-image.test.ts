import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpRequest, kimg, kimgOk, makeTempDir, removeTempDirs, skopeo, treeHash } from '../harness';
import { writeServeFixture, type ServeFixture } from './serve-fixtures';
import { pull, sha256, startServe, type ServeProcess } from './serve-process';

// `kimg registry serve --image`: the registry/ of a cluster image built by `kimg build --compression none`,
// served from the layer blob in the store through its tar index — nothing unpacked, nothing written.
let fixture: ServeFixture;
let root: string;
let server: ServeProcess;

async function buildContext(kubefile: string): Promise<string> {
  const context = await makeTempDir('kimg-serve-ctx-');
  await cp(fixture.storage, join(context, 'registry'), { recursive: true });
  await mkdir(join(context, 'etc'));
  await writeFile(join(context, 'etc', 'cluster.conf'), 'a file in another layer\n');
  await writeFile(join(context, 'Kubefile'), kubefile);
  return context;
}

beforeAll(async () => {
  fixture = await writeServeFixture();
  root = await makeTempDir('kimg-root-');
  const kubefile =
    'FROM scratch\nCOPY etc /etc/\nCOPY registry /registry/\nLABEL sealos.io.type=application\n';
  await kimgOk(['build', '--compression', 'none', '-t', 'cluster:1', await buildContext(kubefile)], { root });
  await kimgOk(['build', '-t', 'cluster:gzip', await buildContext(kubefile)], { root });
  await kimgOk(
    ['build', '--compression', 'none', '-t', 'empty:1', await buildContext('FROM scratch\nCOPY etc /etc/\n')],
    {
      root,
    },
  );
  // A gzip base (no registry/ in it) under an uncompressed registry/ layer: the base is scanned and skipped.
  await kimgOk(['build', '-t', 'base:1', await buildContext('FROM scratch\nCOPY etc /etc/\n')], { root });
  await kimgOk(
    [
      'build',
      '--compression',
      'none',
      '-t',
      'mixed:1',
      await buildContext('FROM base:1\nCOPY registry /registry/\n'),
    ],
    { root },
  );
  server = await startServe(['--image', 'cluster:1'], { root });
});
afterAll(async () => {
  await server?.stop();
  await removeTempDirs();
});

describe('kimg registry serve --image (uncompressed registry/ layer)', () => {
  it('skopeo inspect and copy get every embedded image with its original digest', async () => {
    for (const [name, digest] of fixture.images) {
      const inspect = await skopeo([
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${server.host}/${name}`,
      ]);
      expect(inspect.code).toBe(0);
      expect(sha256(Buffer.from(inspect.stdout))).toBe(digest);
      expect(await pull(server.host, name)).toBe(digest);
    }
    expect(await pull(server.host, `library/multi@${fixture.multi.index.digest}`)).toBe(
      fixture.multi.index.digest,
    );
  });

  it('blob ranges come from the right offsets of the layer', async () => {
    const layer = fixture.app.layers[1]!;
    const url = `${server.url}/v2/library/app/blobs/${layer.digest}`;
    const whole = await httpRequest(url);
    expect(sha256(whole.body)).toBe(layer.digest);
    const part = await httpRequest(url, { headers: { Range: 'bytes=100-' } });
    expect(part.status).toBe(206);
    expect(part.body.equals(whole.body.subarray(100))).toBe(true);
    const catalog = JSON.parse((await httpRequest(`${server.url}/v2/_catalog`)).body.toString());
    expect(catalog.repositories).toEqual(['library/app', 'library/multi', 'team/tool']);
  });

  it('8 concurrent skopeo clients', async () => {
    const names = [...fixture.images.keys()];
    const jobs = Array.from({ length: 8 }, (_, i) => names[(i * 3) % names.length] as string);
    expect(await Promise.all(jobs.map((name) => pull(server.host, name)))).toEqual(
      jobs.map((name) => fixture.images.get(name)),
    );
  });

  it('serves in place: the store is unchanged and nothing is written anywhere in it', async () => {
    const before = await treeHash(root);
    const own = await startServe(['--image', 'cluster:1', '--format', 'json'], { root });
    expect(JSON.parse(own.line)).toEqual({
      url: own.url,
      storage: expect.stringContaining('image cluster:1'),
    });
    expect(await pull(own.host, 'team/tool:2')).toBe(fixture.images.get('team/tool:2'));
    await own.stop();
    expect(await treeHash(root)).toBe(before);
  });

  it('a gzip base layer without registry/ under an uncompressed registry/ layer is served', async () => {
    const mixed = await startServe(['--image', 'mixed:1'], { root });
    try {
      expect(await pull(mixed.host, 'library/multi:1')).toBe(fixture.images.get('library/multi:1'));
    } finally {
      await mixed.stop();
    }
  });

  it('a gzip-compressed layer holding registry/ is refused with the way out', async () => {
    const started = Date.now();
    const result = await kimg(['registry', 'serve', '--image', 'cluster:gzip', '--addr', '127.0.0.1:0'], {
      root,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /kimg: error: cluster:gzip: layer 2 \(sha256:[0-9a-f]{64}\) is gzip-compressed and holds registry\//,
    );
    expect(result.stderr).toContain('kimg build --compression none');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('an image without registry/ says so', async () => {
    const result = await kimg(['registry', 'serve', '--image', 'empty:1', '--addr', '127.0.0.1:0'], { root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('empty:1 has no registry/ folder');
  });

  it('DIR and --image together, or neither, is a usage error', async () => {
    const both = await kimg(['registry', 'serve', fixture.storage, '--image', 'cluster:1'], { root });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('a folder (DIR) or an image (--image IMAGE)');
    const addr = await kimg(['registry', 'serve', fixture.storage, '--addr', ':5000'], { root });
    expect(addr.code).toBe(2);
    expect(addr.stderr).toContain('is not HOST:PORT');
  });
});
