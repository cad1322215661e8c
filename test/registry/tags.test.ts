import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { removeTempDirs, startRegistry, type RunningRegistry } from '../harness';
import { pushImage, testClient } from './helpers';

describe('tags and catalog against docker-registry', () => {
  let registry: RunningRegistry;
  const { client, events } = testClient();
  const tags = Array.from({ length: 57 }, (_, i) => `t${String(i).padStart(3, '0')}`);
  const repositories = Array.from({ length: 12 }, (_, i) => `catalog/r${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    registry = await startRegistry();
    const image = await pushImage(client, registry.host, 'tags/many', tags[0] as string, 'many');
    const repo = client.repository(registry.host, 'tags/many', { push: true });
    for (const tag of tags.slice(1)) await repo.putManifest(tag, image.bytes, image.manifest.mediaType);
    for (const name of repositories) await pushImage(client, registry.host, name, 'v1', 'catalog');
  });
  afterAll(async () => {
    await client.close();
    await registry?.stop();
    await removeTempDirs();
  });

  it('lists every tag (distribution 2.8 ignores n for tags and answers in one page)', async () => {
    const listed = await client.repository(registry.host, 'tags/many').listTags({ pageSize: 10 });
    expect([...listed].sort()).toEqual(tags);
  });

  it('reports an unknown repository as NAME_UNKNOWN', async () => {
    await expect(client.repository(registry.host, 'tags/none').listTags()).rejects.toMatchObject({
      code: 'NAME_UNKNOWN',
    });
  });

  it('lists the catalog across pages linked by Link', async () => {
    events.splice(0);
    expect(await client.catalog(registry.host, { pageSize: 5 })).toEqual([...repositories, 'tags/many']);
    // 13 names in pages of 5: 3 pages, each following the registry's Link.
    expect(events.filter((e) => e.url.includes('/_catalog')).map((e) => new URL(e.url).search)).toEqual([
      '?n=5',
      '?last=catalog%2Fr04&n=5',
      '?last=catalog%2Fr09&n=5',
    ]);
  });
});

/**
 * Tag pagination as distribution 3 / the spec do it (n + Link with relative URLs), which 2.8 cannot produce:
 * a scripted server, beside the real-registry tests above.
 */
describe('tag pagination (scripted registry)', () => {
  let server: Server;
  let host = '';
  const all = Array.from({ length: 23 }, (_, i) => `v${i}`);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
      if (url.pathname === '/v2/evil/tags/list') {
        res.setHeader('link', '<http://127.0.0.1:1/v2/evil/tags/list?n=2&last=b>; rel="next"');
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"name":"evil","tags":["a","b"]}');
      }
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const start = last ? all.indexOf(last) + 1 : 0;
      const page = all.slice(start, start + n);
      if (start + n < all.length)
        res.setHeader('link', `</v2/app/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"`);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ name: 'app', tags: page }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('follows relative Link headers to the last page', async () => {
    const { client, events } = testClient({ scheme: () => 'http' });
    try {
      expect(await client.repository(host, 'app').listTags({ pageSize: 5 })).toEqual(all);
      expect(events.filter((e) => e.url.includes('tags/list'))).toHaveLength(5);
    } finally {
      await client.close();
    }
  });

  it('refuses a next page on another origin', async () => {
    const { client } = testClient({ scheme: () => 'http' });
    try {
      await expect(client.repository(host, 'evil').listTags()).rejects.toThrow(/another origin/);
    } finally {
      await client.close();
    }
  });
});
