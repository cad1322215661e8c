import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { kimg, kimgOk, makeTempDir, removeTempDirs, treeHash } from '../harness';
import { storeImageFiles, writeTree } from './build-helpers';

/**
 * `ADD http(s)://…` (Dockerfile reference "ADD", "Adding files from a URL") against a local http server:
 * mode 0600, the file name from the URL, redirects followed, `--checksum`, the cache keyed by ETag (a 304 is a
 * cached step) or the checksum (no request at all), and a 404 naming the Kubefile line.
 */
let work: string;
let server: Server;
let base: string;
let version = 'v1';
const requests: string[] = [];

beforeAll(async () => {
  work = await makeTempDir();
  server = createServer((req, res) => {
    requests.push(`${req.url} ${req.headers['if-none-match'] ?? ''}`.trim());
    if (req.url === '/redirect') return res.writeHead(302, { location: '/files/tool.sh' }).end();
    if (req.url === '/files/tool.sh') {
      const etag = `"${version}"`;
      if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
      return res.writeHead(200, { etag }).end(`tool ${version}\n`);
    }
    if (req.url === '/plain.txt') return res.writeHead(200).end('plain\n');
    res.writeHead(404).end('no such file');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await removeTempDirs();
});

type Report = { steps: { instruction: string; cached: boolean }[] };

async function build(context: string, root: string): Promise<Report> {
  const args = ['build', '--format', 'json', '--platform', 'linux/amd64', '-t', 'url:1', context];
  return JSON.parse((await kimgOk(args, { root })).stdout) as Report;
}

describe('kimg build: ADD of URLs', () => {
  it('downloads into the destination (0600, name from the URL), follows redirects, caches by ETag and checksum', async () => {
    const context = join(work, 'urls');
    const sum = createHash('sha256').update('plain\n').digest('hex');
    await writeTree(context, {
      Kubefile: [
        'FROM scratch',
        `ADD ${base}/files/tool.sh /opt/`,
        `ADD ${base}/redirect /opt/renamed.sh`,
        `ADD --checksum=sha256:${sum} ${base}/plain.txt /plain.txt`,
        '',
      ].join('\n'),
    });
    const root = join(work, 'urls-store');
    const first = await build(context, root);
    expect(first.steps.map((s) => s.cached)).toEqual([false, false, false]);
    const image = await storeImageFiles(root, 'docker.io/library/url:1');
    const files = image.members.filter((m) => m.type === 'file');
    expect(files.map((m) => [m.name, m.mode, m.content])).toEqual([
      ['opt/tool.sh', 0o600, 'tool v1\n'],
      ['opt/renamed.sh', 0o600, 'tool v1\n'],
      ['plain.txt', 0o600, 'plain\n'],
    ]);

    requests.length = 0;
    const again = await build(context, root);
    expect(again.steps.map((s) => s.cached)).toEqual([true, true, true]);
    // Conditional GETs answered 304; the checksummed URL is not asked at all.
    expect(requests).toEqual(['/files/tool.sh "v1"', '/redirect "v1"', '/files/tool.sh "v1"']);

    version = 'v2';
    const changed = await build(context, root);
    // Both URLs serve new content; the checksummed step after them has a new parent.
    expect(changed.steps.map((s) => s.cached)).toEqual([false, false, false]);
    const updated = await storeImageFiles(root, 'docker.io/library/url:1');
    expect(updated.members.find((m) => m.name === 'opt/tool.sh')?.content).toBe('tool v2\n');
  });

  it('a 404 or a wrong --checksum is an error naming the Kubefile line; the store is unchanged', async () => {
    const root = join(work, 'bad-store');
    await writeTree(join(work, 'seed'), { 'a.txt': 'a\n', Kubefile: 'FROM scratch\nCOPY a.txt /a.txt\n' });
    await kimgOk(['build', '-t', 'seed:1', join(work, 'seed')], { root });
    const missing = join(work, 'missing');
    await writeTree(missing, { Kubefile: `FROM scratch\nADD ${base}/nope.txt /nope.txt\n` });
    const before = await treeHash(root);
    const notFound = await kimg(['build', '-t', 'bad:1', missing], { root });
    expect(notFound.code).not.toBe(0);
    expect(notFound.stderr).toContain('Kubefile:2:1');
    expect(notFound.stderr).toContain(`${base}/nope.txt`);
    expect(notFound.stderr).toMatch(/404/);

    const wrong = join(work, 'wrong-sum');
    await writeTree(wrong, {
      Kubefile: `FROM scratch\nADD --checksum=sha256:${'0'.repeat(64)} ${base}/plain.txt /p\n`,
    });
    const mismatch = await kimg(['build', '-t', 'bad:1', wrong], { root });
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toContain('Kubefile:2:1');
    expect(mismatch.stderr).toMatch(/expected sha256:0{64}/);
    expect(await treeHash(root)).toBe(before);
  });
});
