import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  kimg,
  kimgOk,
  makeTempDir,
  makeTestCa,
  removeTempDirs,
  runOk,
  startRegistry,
  testHelm,
  type RunningRegistry,
} from '../harness';
import type { PinnedSource } from '../../src/build';
import { writeRandomImage } from '../fixtures/random-image';
import { writeTree } from './discovery/fixture-context';

// Remote APP sources (issue 10, "Deliver 1"): charts pushed by the real Helm to a real docker-registry
// (oci://), a chart repository made by `helm repo index` and served over plain HTTP (helm://), and files and a
// packaged chart served over TLS (https://). The build must land them in the app's folder, find their images
// with Helm, embed those, and pin every source by the sha256 of the bytes the servers sent.
let registry: RunningRegistry;
let root: string;
let helm: string;
let helmEnv: NodeJS.ProcessEnv;
let repoServer: StaticServer;
let fileServer: StaticServer;
let certDir: string;
const tgz: Record<string, Buffer> = {};

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

interface StaticServer {
  server: Server;
  port: number;
  /** Bytes sent per path (what the test's digests are computed from). */
  served: Map<string, Buffer>;
  requests: () => number;
  stop(): Promise<void>;
}

/** A static file server: the whole chart-repository protocol (index.yaml + archives) is GETs of files. */
async function serveFiles(dir: string, tls?: { cert: string; key: string }): Promise<StaticServer> {
  const served = new Map<string, Buffer>();
  let requests = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/huge.yaml') {
      // 2 MiB announced, streamed in chunks: the download cap must stop it.
      res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => undefined);
      return pump();
    }
    readFile(join(dir, path))
      .then((data) => {
        served.set(path, data);
        res.writeHead(200, { 'content-length': String(data.length) });
        res.end(data);
      })
      .catch(() => {
        res.writeHead(404);
        res.end('not found');
      });
  };
  const server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    served,
    requests: () => requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A chart whose one Deployment runs `image`. */
function chartFiles(name: string, version: string, image: string): Record<string, string> {
  return {
    [`${name}/Chart.yaml`]: `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
    [`${name}/values.yaml`]: `image: ${image}\n`,
    [`${name}/templates/deploy.yaml`]: [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: ${name}`,
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      `        - name: ${name}`,
      '          image: {{ .Values.image }}',
      '',
    ].join('\n'),
  };
}

/** `helm package` of a chart into `out`; returns the archive's path. */
async function packageChart(name: string, version: string, image: string, out: string): Promise<string> {
  const src = await makeTempDir('kimg-chart-src-');
  await writeTree(src, chartFiles(name, version, image));
  await runOk(helm, ['package', join(src, name), '-d', out], { env: helmEnv });
  const file = join(out, `${name}-${version}.tgz`);
  tgz[`${name}-${version}`] = await readFile(file);
  return file;
}

beforeAll(async () => {
  helm = await testHelm();
  const helmHome = await makeTempDir('kimg-helm-home-');
  helmEnv = {
    ...process.env,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  registry = await startRegistry();
  root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir('kimg-layout-');
  for (const [seed, name] of ['web', 'api', 'tool', 'manifest'].entries()) {
    await writeRandomImage(layout, { ref: name, seed: 60 + seed, layers: 1 });
    await kimgOk(['copy', `oci:${layout}:${name}`, `docker://${registry.host}/acme/${name}:1`], {
      root: layout,
    });
  }
  const img = (name: string) => `${registry.host}/acme/${name}:1`;

  // oci://: `helm push` of a packaged chart, as publishers do.
  const pushed = await makeTempDir('kimg-oci-charts-');
  const web = await packageChart('web', '0.1.0', img('web'), pushed);
  await runOk(helm, ['push', web, `oci://${registry.host}/charts`, '--plain-http'], { env: helmEnv });
  const rc = await packageChart('web', '0.2.0-rc.1', `${registry.host}/acme/rc:1`, pushed);
  await runOk(helm, ['push', rc, `oci://${registry.host}/charts`, '--plain-http'], { env: helmEnv });

  // helm://: a repository made by `helm repo index` (digests included), three versions, one a prerelease.
  const repo = await makeTempDir('kimg-chart-repo-');
  await mkdir(join(repo, 'stable'));
  await packageChart('api', '0.1.0', `${registry.host}/acme/old:1`, join(repo, 'stable'));
  await packageChart('api', '0.2.0', img('api'), join(repo, 'stable'));
  await packageChart('api', '0.3.0-rc.1', `${registry.host}/acme/rc:1`, join(repo, 'stable'));
  await runOk(helm, ['repo', 'index', join(repo, 'stable')], { env: helmEnv });
  // A repository whose index names a digest the archive does not have.
  await mkdir(join(repo, 'tampered'));
  await packageChart('api', '0.2.0', img('api'), join(repo, 'tampered'));
  await runOk(helm, ['repo', 'index', join(repo, 'tampered')], { env: helmEnv });
  const indexFile = join(repo, 'tampered', 'index.yaml');
  const index = await readFile(indexFile, 'utf8');
  await writeFile(indexFile, index.replace(/digest: [0-9a-f]{64}/, `digest: ${'0'.repeat(64)}`));
  repoServer = await serveFiles(repo);

  // https://: a packaged chart and a manifest, served over TLS by a CA the build trusts through --cert-dir.
  const files = await makeTempDir('kimg-https-files-');
  await packageChart('tool', '1.0.0', img('tool'), files);
  await writeTree(files, {
    'manifest.yaml': [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: side',
      'spec:',
      '  containers:',
      '    - name: side',
      `      image: ${img('manifest')}`,
      '',
    ].join('\n'),
  });
  // A .tgz that is no chart: two top-level folders.
  await writeTree(files, { 'loose/a/x.yaml': 'a: 1\n', 'loose/b/y.yaml': 'b: 1\n' });
  await runOk('tar', ['-czf', join(files, 'loose.tgz'), '-C', join(files, 'loose'), 'a', 'b']);
  // Hostile charts: Chart.yaml a link out of the chart; a 6 MiB file (Helm's bound is 5 MiB per file).
  await mkdir(join(files, 'linked', 'evil'), { recursive: true });
  await runOk('ln', ['-s', '/etc/passwd', join(files, 'linked', 'evil', 'Chart.yaml')]);
  await runOk('tar', ['-czf', join(files, 'linked.tgz'), '-C', join(files, 'linked'), 'evil']);
  await writeTree(files, { 'big/fat/Chart.yaml': 'apiVersion: v2\nname: fat\nversion: 1.0.0\n' });
  await writeFile(join(files, 'big', 'fat', 'blob.bin'), Buffer.alloc(6 * 1024 * 1024));
  await runOk('tar', ['-czf', join(files, 'fat-1.0.0.tgz'), '-C', join(files, 'big'), 'fat']);
  const ca = await makeTestCa();
  const cert = await ca.issueServerCert(['127.0.0.1']);
  fileServer = await serveFiles(files, { cert: cert.certPem, key: cert.keyPem });
  certDir = await makeTempDir('kimg-cert-dir-');
  await writeFile(join(certDir, 'ca.crt'), ca.caCertPem);
}, 180_000);

afterAll(async () => {
  await repoServer?.stop();
  await fileServer?.stop();
  await registry?.stop();
  await removeTempDirs();
});

async function context(kubefile: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await makeTempDir('kimg-remote-ctx-');
  await writeTree(dir, { Kubefile: kubefile, ...files });
  return dir;
}

function build(dir: string, extra: string[] = []) {
  return kimg(['build', '--platform', 'linux/amd64', '--helm', helm, '--cert-dir', certDir, ...extra, dir], {
    root,
  });
}

const https = () => `https://127.0.0.1:${fileServer.port}`;
const chartRepo = (path = 'stable') => `helm://127.0.0.1:${repoServer.port}/${path}`;

function appsKubefile(): string {
  return [
    'FROM scratch',
    `APP x oci://${registry.host}/charts/web:0.1.0`,
    `APP y ${chartRepo()}/api`,
    `APP z ${https()}/tool-1.0.0.tgz ${https()}/manifest.yaml`,
    '',
  ].join('\n');
}

type Pin = PinnedSource;

describe('kimg build with oci://, helm:// and https:// APP sources', () => {
  let report: {
    digest: string;
    sources: Pin[];
    steps: { instruction: string; layer?: { digest: string } }[];
  };

  beforeAll(async () => {
    const built = await build(await context(appsKubefile()), ['-t', 'remote:1', '--format', 'json']);
    expect(built.stderr).not.toMatch(/error|warning/);
    expect(built.code).toBe(0);
    report = JSON.parse(built.stdout);
  }, 120_000);

  it('pins every source by the sha256 of the bytes the server sent, with the chosen version', () => {
    const byApp = (app: string) => report.sources.filter((s) => s.app === app);
    expect(byApp('x')).toEqual([
      expect.objectContaining({
        source: `oci://${registry.host}/charts/web:0.1.0`,
        digest: sha256(tgz['web-0.1.0'] as Buffer),
        path: 'charts/web/',
        chart: 'web',
        version: '0.1.0',
        manifest: expect.stringMatching(/^sha256:/),
      }),
    ]);
    // No version: the latest stable one (0.3.0-rc.1 is a prerelease), its digest checked against index.yaml.
    expect(byApp('y')).toEqual([
      expect.objectContaining({
        source: `${chartRepo()}/api`,
        digest: sha256(repoServer.served.get('/stable/api-0.2.0.tgz') as Buffer),
        version: '0.2.0',
        path: 'charts/api/',
        url: `http://127.0.0.1:${repoServer.port}/stable/api-0.2.0.tgz`,
      }),
    ]);
    expect(byApp('z').map((s) => [s.source, s.digest, s.path])).toEqual([
      [
        `${https()}/manifest.yaml`,
        sha256(fileServer.served.get('/manifest.yaml') as Buffer),
        'manifest.yaml',
      ],
      [
        `${https()}/tool-1.0.0.tgz`,
        sha256(fileServer.served.get('/tool-1.0.0.tgz') as Buffer),
        'charts/tool/',
      ],
    ]);
  });

  it('lands the charts unpacked and the file as it is in the app folders', async () => {
    const layers = report.steps.filter((s) => /^APP /.test(s.instruction)).map((s) => s.layer?.digest);
    expect(layers).toHaveLength(3);
    const listing = new Set<string>();
    for (const digest of layers) {
      const blob = join(root, 'blobs', 'sha256', (digest as string).slice(7));
      (await runOk('tar', ['-tzf', blob])).stdout.split('\n').forEach((name) => listing.add(name));
    }
    for (const file of [
      'application/apps/x/charts/web/Chart.yaml',
      'application/apps/x/charts/web/templates/deploy.yaml',
      'application/apps/y/charts/api/values.yaml',
      'application/apps/z/charts/tool/Chart.yaml',
      'application/apps/z/manifest.yaml',
    ]) {
      expect(listing).toContain(file);
    }
  });

  it('finds the images of the fetched charts and file with Helm and embeds them, with provenance', async () => {
    const inspected = JSON.parse(
      (await kimgOk(['inspect', '--format', 'json', 'remote:1'], { root })).stdout,
    ) as {
      config: { labels: Record<string, string> };
      layers: { digest: string; mediaType: string }[];
    };
    const images = JSON.parse(inspected.config.labels['io.kimg.images'] ?? '[]') as {
      name: string;
      sources: string[];
    }[];
    expect(images.map((i) => [i.name, i.sources])).toEqual([
      ['acme/api:1', ['application/apps/y/charts/api/templates/deploy.yaml:10']],
      ['acme/manifest:1', ['application/apps/z/manifest.yaml:8']],
      ['acme/tool:1', ['application/apps/z/charts/tool/templates/deploy.yaml:10']],
      ['acme/web:1', ['application/apps/x/charts/web/templates/deploy.yaml:10']],
    ]);
    // They are in the image's registry/ layer (the last one, uncompressed), under their stored names.
    const last = inspected.layers[inspected.layers.length - 1];
    expect(last?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    const listing = (
      await runOk('tar', ['-tf', join(root, 'blobs', 'sha256', (last?.digest ?? '').slice(7))])
    ).stdout;
    for (const name of ['api', 'manifest', 'tool', 'web']) {
      expect(listing).toContain(
        `registry/docker/registry/v2/repositories/acme/${name}/_manifests/tags/1/current/link`,
      );
    }
    const apps = JSON.parse(inspected.config.labels['io.kimg.apps'] ?? '[]') as {
      name: string;
      pins?: { source: string; digest: string; version?: string }[];
    }[];
    expect(apps.find((a) => a.name === 'y')?.pins).toEqual([
      {
        source: `${chartRepo()}/api`,
        digest: report.sources.find((s) => s.app === 'y')?.digest,
        version: '0.2.0',
      },
    ]);
  });

  it('a rebuild fetches again and, the bytes unchanged, reuses the APP layers', async () => {
    const again = await build(await context(appsKubefile()), ['-t', 'remote:2', '--format', 'json']);
    expect(again.code).toBe(0);
    const second = JSON.parse(again.stdout) as typeof report;
    expect(second.sources).toEqual(report.sources);
    const apps = (r: typeof report) => r.steps.filter((s) => /^APP /.test(s.instruction));
    expect(apps(second).map((s) => s.layer?.digest)).toEqual(apps(report).map((s) => s.layer?.digest));
    expect(apps(second).every((s) => (s as { cached?: boolean }).cached)).toBe(true);
  }, 120_000);

  it('oci:// without a tag takes the highest stable version, as Helm does', async () => {
    const dry = await build(await context(`FROM scratch\nAPP w oci://${registry.host}/charts/web\n`), [
      '--dry-run',
      '--format',
      'json',
    ]);
    expect(dry.code).toBe(0);
    const found = JSON.parse(dry.stdout) as { sources: Pin[]; images: { normalized: string }[] };
    expect(found.sources.map((s) => [s.version, s.digest])).toEqual([
      ['0.1.0', sha256(tgz['web-0.1.0'] as Buffer)],
    ]);
    expect(found.images.map((i) => i.normalized)).toEqual([`${registry.host}/acme/web:1`]);
    const human = await build(await context(`FROM scratch\nAPP w oci://${registry.host}/charts/web\n`), [
      '--dry-run',
    ]);
    expect(human.stdout).toContain(
      `source oci://${registry.host}/charts/web\n  ${sha256(tgz['web-0.1.0'] as Buffer)}  version 0.1.0  → charts/web/\n`,
    );
  }, 60_000);

  it('--dry-run lists the remote sources with their digests and versions, then the images', async () => {
    const dry = await build(await context(appsKubefile()), ['--dry-run', '--format', 'json']);
    expect(dry.code).toBe(0);
    const found = JSON.parse(dry.stdout) as {
      sources: Pin[];
      images: { normalized: string; digest?: string }[];
    };
    expect(found.sources.map((s) => [s.source, s.digest, s.version])).toEqual(
      report.sources.map((s) => [s.source, s.digest, s.version]),
    );
    expect(found.images.map((i) => i.normalized)).toHaveLength(4);
    expect(found.images.every((i) => i.digest?.startsWith('sha256:'))).toBe(true);
    // Nothing of the dry run is left in the store's scratch space.
    expect(await readdir(join(root, '.kimg', 'scratch')).catch(() => [])).toEqual([]);
  }, 60_000);
});

describe('remote APP sources that cannot be used fail the build, naming the source and the way out', () => {
  async function fails(app: string, extra: string[] = []): Promise<string> {
    const failed = await build(await context(`FROM scratch\nAPP bad ${app}\n`), ['-t', 'bad:1', ...extra]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Kubefile:2:1: /);
    return failed.stderr;
  }

  it('a 404', async () => {
    const stderr = await fails(`${https()}/nope.yaml`);
    expect(stderr).toContain(`${https()}/nope.yaml: the server answered 404 (not found)`);
  }, 60_000);

  it('a digest that differs from index.yaml', async () => {
    const stderr = await fails(`${chartRepo('tampered')}/api@0.2.0`);
    expect(stderr).toContain(`but the repository's index.yaml says sha256:${'0'.repeat(64)}`);
  }, 60_000);

  it('an unknown version, listing the available ones', async () => {
    const stderr = await fails(`${chartRepo()}/api@9.9.9`);
    expect(stderr).toContain('chart api has no version 9.9.9');
    expect(stderr).toContain('available: 0.3.0-rc.1, 0.2.0, 0.1.0');
  }, 60_000);

  it('a body over the download cap', async () => {
    const stderr = await fails(`${https()}/huge.yaml`, ['--max-download-size', '1MiB']);
    expect(stderr).toContain('the server announces 2097152 bytes, over the download size cap of 1 MiB');
    expect(stderr).toContain('--max-download-size');
  }, 60_000);

  it('a .tgz that is no chart', async () => {
    const stderr = await fails(`${https()}/loose.tgz`);
    expect(stderr).toContain(`${https()}/loose.tgz is not a Helm chart: it holds 2 top-level entries`);
  }, 60_000);

  it("a chart whose Chart.yaml is a link, and one with a file over Helm's 5 MiB bound", async () => {
    expect(await fails(`${https()}/linked.tgz`)).toContain(
      'evil/Chart.yaml is missing (or not a file under 1 MiB)',
    );
    const fat = await fails(`${https()}/fat-1.0.0.tgz`);
    expect(fat).toMatch(/over the entry size cap of 5 MiB/);
    expect(fat).toContain('KIMG_MAX_UNPACK_ENTRY_SIZE');
  }, 60_000);

  it('an oci:// reference that is a container image, not a chart', async () => {
    const stderr = await fails(`oci://${registry.host}/acme/web:1`);
    expect(stderr).toContain('is not a Helm chart: its config is application/vnd.oci.image.config.v1+json');
  }, 60_000);

  it('a source the planner can see is wrong, before anything is fetched', async () => {
    const before = repoServer.requests() + fileServer.requests();
    const failed = await build(await context('FROM scratch\nAPP bad oci://charts/web:1\n'), ['-t', 'bad:1']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('names no registry host');
    expect(failed.stderr).toMatch(/Kubefile:2:\d+/);
    expect(repoServer.requests() + fileServer.requests()).toBe(before);
  }, 60_000);
});
