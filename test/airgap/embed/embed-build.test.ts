import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  kimg,
  kimgOk,
  makeTempDir,
  REPO_ROOT,
  removeTempDirs,
  runOk,
  skopeo,
  startFaultProxy,
  startRegistry,
  treeHash,
  testHelm,
  type RunningRegistry,
} from '../../harness';
import { writeMultiArchLayout, type MultiArchFixture } from '../../fixtures/multi-arch';
import { writeRandomImage, type FixtureImage } from '../../fixtures/random-image';
import { writeTree } from '../discovery/fixture-context';
import { sha256, startServe } from '../serve-process';

// `kimg build` embeds the images of manifests/, charts/ and images/shim/ into one uncompressed registry/ layer
// (issue 10, items 3–4), checked with real components: images pushed to a real docker-registry, charts rendered
// by the real Helm, the layer served by docker-registry after `umoci unpack` of the image and by `kimg registry serve --image`.
let source: RunningRegistry;
let root: string;
let helm: string;
let app: FixtureImage;
let web: FixtureImage;
let multi: MultiArchFixture;

const EMBEDDED_LAYER = 'application/vnd.oci.image.layer.v1.tar';

beforeAll(async () => {
  helm = await testHelm();
  source = await startRegistry();
  root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir('kimg-layout-');
  app = await writeRandomImage(layout, { ref: 'app', seed: 41 });
  web = await writeRandomImage(layout, { ref: 'web', seed: 42, layers: 1 });
  const multiLayout = await makeTempDir('kimg-multi-');
  multi = await writeMultiArchLayout(multiLayout, 'multi', 43);
  const push = (from: string, to: string, extra: string[] = []) =>
    kimgOk(['copy', ...extra, from, `docker://${source.host}/${to}`], { root: layout });
  await push(`oci:${layout}:app`, 'acme/app:1');
  await push(`oci:${layout}:web`, 'acme/web:2');
  await push(`oci:${multiLayout}:multi`, 'acme/multi:1', ['--all-platforms']);
  // tool is multi's amd64 child (same seed) under another name: its blobs are shared with multi's.
  const tool = await writeRandomImage(layout, { ref: 'tool', seed: 43, architecture: 'amd64' });
  expect(tool.manifestDigest).toBe(multi.children[0]?.manifestDigest);
  await push(`oci:${layout}:tool`, 'team/tool:2');
}, 120_000);

afterAll(async () => {
  await source?.stop();
  await removeTempDirs();
});

/** A context with a chart, a manifest and a shim list naming the four pushed images. */
async function writeContext(options: { templateNote?: string; extraShim?: string } = {}): Promise<string> {
  const context = await makeTempDir('kimg-embed-ctx-');
  await writeTree(context, {
    Kubefile:
      'FROM scratch\nCOPY manifests /manifests/\nCOPY charts /charts/\nLABEL sealos.io.type=application\n',
    'manifests/app.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: app',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: app',
      `          image: ${source.host}/acme/app:1`,
      '',
    ].join('\n'),
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'charts/web/values.yaml': `image: ${source.host}/acme/web:2\n`,
    'charts/web/templates/pod.yaml': [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      `  name: web${options.templateNote ?? ''}`,
      'spec:',
      '  containers:',
      '    - name: web',
      '      image: {{ .Values.image }}',
      '',
    ].join('\n'),
    'images/shim/list': [
      '# the tool, and the multi-arch index pinned by digest',
      `${source.host}/team/tool:2`,
      `${source.host}/acme/multi@${multi.index.digest}`,
      ...(options.extraShim !== undefined ? [options.extraShim] : []),
      '',
    ].join('\n'),
  });
  return context;
}

async function build(context: string, extra: string[] = []) {
  return kimg(['build', '--platform', 'linux/amd64', '--helm', helm, ...extra, context], { root });
}

interface Inspected {
  digest: string;
  platforms: string[];
  config?: { labels?: Record<string, string> };
  layers?: { digest: string; mediaType: string }[];
  manifests?: Inspected[];
  embeddedImages?: { name: string }[];
}

async function inspect(ref: string): Promise<Inspected> {
  return JSON.parse((await kimgOk(['inspect', '--format', 'json', ref], { root })).stdout) as Inspected;
}

/** The blob of `digest` in the store, found by its hex name. */
async function storeBlob(digest: string): Promise<string> {
  const hex = digest.slice('sha256:'.length);
  const found = (await runOk('find', [root, '-type', 'f', '-name', hex])).stdout.trim().split('\n')[0];
  if (!found) throw new Error(`${digest} not in the store`);
  return found;
}

/** Requests for manifests and blobs in the source registry's access log. */
async function sourcePulls(): Promise<number> {
  const log = await readFile(source.logPath, 'utf8');
  return log.split('\n').filter((line) => /"(GET|HEAD) \/v2\/[^ ]+\/(blobs|manifests)\//.test(line)).length;
}

async function blobGets(): Promise<number> {
  const log = await readFile(source.logPath, 'utf8');
  return log.split('\n').filter((line) => /"GET \/v2\/[^ ]+\/(blobs|manifests)\//.test(line)).length;
}

describe('kimg build embeds the images its apps need', () => {
  let context: string;
  let registryLayer: string;
  const originals = (): Map<string, string> =>
    new Map([
      ['acme/app:1', app.manifestDigest],
      ['acme/web:2', web.manifestDigest],
      ['team/tool:2', multi.children[0]?.manifestDigest as string],
      [`acme/multi@${multi.index.digest}`, multi.index.digest],
    ]);

  /** Every embedded image, by its stored name at `host`, has the manifest bytes of the original. */
  async function expectOriginalDigests(host: string): Promise<void> {
    for (const [name, digest] of originals()) {
      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${host}/${name}`]);
      expect(raw.stderr).toBe('');
      expect(sha256(Buffer.from(raw.stdout))).toBe(digest);
    }
  }

  beforeAll(async () => {
    context = await writeContext();
    const built = await build(context, ['-t', 'apps:1']);
    expect(built.stderr).not.toMatch(/warning|error/);
    expect(built.code).toBe(0);
  }, 120_000);

  it('records exactly the discovered images in io.kimg.images, with provenance', async () => {
    const image = await inspect('apps:1');
    const records = JSON.parse(image.config?.labels?.['io.kimg.images'] ?? '[]') as {
      name: string;
      digest: string;
      platforms: string[];
      sources: string[];
      reference: string;
    }[];
    expect(records.map((r) => [r.name, r.digest]).sort()).toEqual([...originals()].sort());
    const byName = new Map(records.map((r) => [r.name, r]));
    expect(byName.get('acme/app:1')?.sources).toEqual(['manifests/app.yaml:10']);
    expect(byName.get('acme/web:2')?.sources).toEqual(['charts/web/templates/pod.yaml:8']);
    expect(byName.get('team/tool:2')?.sources).toEqual(['images/shim/list:2']);
    expect(byName.get('team/tool:2')?.reference).toBe(`${source.host}/team/tool:2`);
    expect(records.every((r) => r.platforms.join() === 'linux/amd64')).toBe(true);
    // Shown parsed by kimg inspect, without unpacking a layer.
    expect(image.embeddedImages?.map((r) => r.name)).toEqual(records.map((r) => r.name));
  });

  it('adds one uncompressed registry/ layer; the image unpacked by umoci has a registry/ docker-registry serves', async () => {
    const image = await inspect('apps:1');
    const last = image.layers?.[image.layers.length - 1];
    expect(last?.mediaType).toBe(EMBEDDED_LAYER);
    registryLayer = last?.digest as string;
    // The layer holds registry/ and nothing else.
    expect(
      (await runOk('tar', ['-tf', await storeBlob(registryLayer)])).stdout
        .split('\n')
        .filter((name) => name !== '' && !name.startsWith('registry/')),
    ).toEqual([]);
    // The whole image unpacked by a peer (umoci), as an offline site without kimg would.
    const layout = await makeTempDir('kimg-umoci-layout-');
    await kimgOk(['copy', 'apps:1', `oci:${layout}:apps`], { root });
    const bundle = join(await makeTempDir('kimg-umoci-'), 'bundle');
    await runOk('umoci', ['unpack', '--rootless', '--image', `${layout}:apps`, bundle]);
    const unpacked = join(bundle, 'rootfs');
    expect(await readdir(unpacked)).toEqual(expect.arrayContaining(['registry', 'manifests', 'charts']));

    // Shared blobs are stored once: every distinct blob of the four images, one data file each.
    const blobs = new Set<string>([multi.index.digest]);
    for (const image of [app, web, multi.children[0] as FixtureImage]) {
      blobs.add(image.manifestDigest).add(image.configDigest);
      image.layers.forEach((l) => blobs.add(l.digest));
    }
    const data = (await runOk('find', [join(unpacked, 'registry'), '-name', 'data', '-type', 'f'])).stdout
      .trim()
      .split('\n');
    expect(data.length).toBe(blobs.size);
    // The arm64 child of the index is not embedded: a sparse index, pullable by its digest.
    expect(data.some((p) => p.includes(multi.children[1]?.manifestDigest.slice(7) as string))).toBe(false);

    const offline = await startRegistry({ storageDir: join(unpacked, 'registry') });
    try {
      await expectOriginalDigests(offline.host);
    } finally {
      await offline.stop();
    }
  });

  it('is served in place by kimg registry serve --image with the original digests', async () => {
    const server = await startServe(['--image', 'apps:1'], { root });
    try {
      await expectOriginalDigests(server.host);
      // The sparse index pulls for its platform by the index digest (skopeo picks the linux/amd64 child).
      const out = join(await makeTempDir('kimg-pulled-'), 'image');
      const pulled = await skopeo([
        'copy',
        '--override-os',
        'linux',
        '--override-arch',
        'amd64',
        '--src-tls-verify=false',
        `docker://${server.host}/acme/multi@${multi.index.digest}`,
        `dir:${out}`,
      ]);
      expect(pulled.stderr).toBe('');
      expect(sha256(await readFile(join(out, 'manifest.json')))).toBe(multi.children[0]?.manifestDigest);
    } finally {
      await server.stop();
    }
  });

  it('survives kimg save / kimg load into another store and is served there (the offline workflow)', async () => {
    const archive = join(await makeTempDir('kimg-archive-'), 'apps.tar');
    await kimgOk(['save', '-o', archive, 'apps:1'], { root });
    const site = await makeTempDir('kimg-site-');
    await kimgOk(['load', '-i', archive], { root: site });
    const server = await startServe(['--image', 'apps:1'], { root: site });
    try {
      await expectOriginalDigests(server.host);
    } finally {
      await server.stop();
    }
  });

  it('a template-only change re-pulls nothing and keeps the registry/ layer digest', async () => {
    const changed = await writeContext({ templateNote: '-renamed' });
    const before = await blobGets();
    expect(before).toBeGreaterThan(0); // the first build's pulls are in the log: the count below can fail
    const rebuilt = await build(changed, ['-t', 'apps:2']);
    expect(rebuilt.code).toBe(0);
    expect(await blobGets()).toBe(before);
    const image = await inspect('apps:2');
    expect(image.digest).not.toBe((await inspect('apps:1')).digest);
    expect(image.layers?.[image.layers.length - 1]?.digest).toBe(registryLayer);
  });
});

describe('images that cannot be pulled', () => {
  it('fail the build naming the image and its file:line', async () => {
    const context = await writeContext({ extraShim: `${source.host}/acme/missing:1` });
    const failed = await build(context, ['-t', 'broken:1']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(
      `image ${source.host}/acme/missing:1 (images/shim/list:4) cannot be embedded`,
    );
    expect((await kimg(['inspect', 'broken:1'], { root })).code).not.toBe(0);
  }, 60_000);

  it('are left out with a warning under --ignore-missing-images', async () => {
    const context = await writeContext({ extraShim: `${source.host}/acme/missing:1` });
    const built = await build(context, ['-t', 'partial:1', '--ignore-missing-images']);
    expect(built.code).toBe(0);
    expect(built.stderr).toContain(`warning: image ${source.host}/acme/missing:1 (images/shim/list:4)`);
    const records = JSON.parse((await inspect('partial:1')).config?.labels?.['io.kimg.images'] ?? '[]');
    expect(records).toHaveLength(4);
  }, 60_000);
});

/**
 * A context whose shim list names `repos` at `host`, built once with --save-images=false: the store's own dirs
 * exist afterwards, so only embedding can change the store's tree.
 */
async function listContextBuiltOnce(host: string, repos: string[]): Promise<string> {
  const context = await makeTempDir('kimg-embed-list-');
  await writeTree(context, {
    Kubefile: 'FROM scratch\nCOPY images /images/\n',
    'images/shim/list': repos.map((repo) => `${host}/${repo}\n`).join(''),
  });
  expect((await build(context, ['--save-images=false', '-t', 'list-base:0'])).code).toBe(0);
  return context;
}

describe('a blob damaged on the way', () => {
  it('fails the build naming the image and file:line; the store is as it was', async () => {
    const proxy = await startFaultProxy(source.url, {
      rules: [{ kind: 'corrupt-byte', method: 'GET', path: /\/blobs\/sha256:/, offset: 10 }],
    });
    try {
      const context = await listContextBuiltOnce(proxy.host, ['acme/web:2']);
      const before = await treeHash(root);
      const failed = await build(context, ['-t', 'corrupt:1']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(
        `image ${proxy.host}/acme/web:2 (images/shim/list:1) cannot be embedded`,
      );
      expect(failed.stderr).toContain('digest mismatch for blob');
      expect(proxy.requests.some((r) => r.faults.includes('corrupt-byte'))).toBe(true);
      // Nothing left behind: the registry-dir was in the build's scratch dir, the transaction aborted.
      expect(await treeHash(root)).toBe(before);
    } finally {
      await proxy.stop();
    }
  }, 60_000);
});

describe('interrupted while embedding', () => {
  it('SIGINT: exit 130 within seconds, no scratch dir left, the store as it was', async () => {
    // Every blob GET stalls after 100 bytes: the copy is under way and never finishes on its own.
    const proxy = await startFaultProxy(source.url, {
      rules: [{ kind: 'stall-mid-body', method: 'GET', path: /\/blobs\/sha256:/, afterBytes: 100 }],
    });
    try {
      const context = await listContextBuiltOnce(proxy.host, ['acme/app:1', 'acme/web:2']);
      const before = await treeHash(root);
      const child = spawn(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'kimg'), 'build', '--platform', 'linux/amd64', '-t', 'sigint:1', context],
        { env: { ...process.env, KIMG_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const stalled = () =>
        proxy.requests.filter((r) => r.method === 'GET' && r.faults.includes('stall-mid-body')).length;
      const deadline = Date.now() + 20_000;
      while (stalled() < 2) {
        if (Date.now() > deadline) throw new Error(`the build never started copying: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const signalled = Date.now();
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect(stderr).toContain('kimg: interrupted by SIGINT; temporary files removed');
      expect(await readdir(join(root, '.kimg', 'scratch')).catch(() => [])).toEqual([]);
      expect(await treeHash(root)).toBe(before);
    } finally {
      await proxy.stop();
    }
  }, 60_000);
});

describe('--save-images=false and several platforms', () => {
  it('--save-images=false embeds nothing and pulls nothing', async () => {
    const context = await writeContext();
    const before = await sourcePulls();
    expect(before).toBeGreaterThan(0);
    const built = await build(context, ['-t', 'bare:1', '--save-images=false']);
    expect(built.code).toBe(0);
    expect(await sourcePulls()).toBe(before);
    const image = await inspect('bare:1');
    expect(image.config?.labels?.['io.kimg.images']).toBeUndefined();
    expect((image.layers ?? []).every((l) => l.mediaType !== EMBEDDED_LAYER)).toBe(true);
  }, 60_000);

  it('gives each platform the children of its own platform', async () => {
    const context = await makeTempDir('kimg-embed-multi-');
    await mkdir(join(context, 'images', 'shim'), { recursive: true });
    await writeFile(join(context, 'images', 'shim', 'list'), `${source.host}/acme/multi:1\n`);
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY images /images/\n');
    await kimgOk(['build', '--platform', 'linux/amd64,linux/arm64', '-t', 'multi:1', context], { root });
    const index = await inspect('multi:1');
    expect(index.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    for (const [i, image] of (index.manifests ?? []).entries()) {
      const layer = image.layers?.[image.layers.length - 1]?.digest as string;
      const listing = (await runOk('tar', ['-tf', await storeBlob(layer)])).stdout;
      const own = multi.children[i]?.manifestDigest.slice(7) as string;
      const other = multi.children[1 - i]?.manifestDigest.slice(7) as string;
      expect(listing).toContain(`blobs/sha256/${own.slice(0, 2)}/${own}/data`);
      expect(listing).not.toContain(`blobs/sha256/${other.slice(0, 2)}/${other}/data`);
    }
  }, 60_000);
});

describe('--all-platforms', () => {
  it('embeds every child of an index and records the platforms as all', async () => {
    const context = await makeTempDir('kimg-embed-all-');
    await mkdir(join(context, 'images', 'shim'), { recursive: true });
    await writeFile(join(context, 'images', 'shim', 'list'), `${source.host}/acme/multi:1\n`);
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY images /images/\n');
    await kimgOk(['build', '--platform', 'linux/amd64', '--all-platforms', '-t', 'all:1', context], { root });
    const image = await inspect('all:1');
    expect(image.embeddedImages).toEqual([
      expect.objectContaining({ name: 'acme/multi:1', digest: multi.index.digest, platforms: ['all'] }),
    ]);
    const layer = image.layers?.[image.layers.length - 1]?.digest as string;
    const listing = (await runOk('tar', ['-tf', await storeBlob(layer)])).stdout;
    for (const child of multi.children) {
      const hex = child.manifestDigest.slice(7);
      expect(listing).toContain(`blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
    }
  }, 60_000);
});

describe('kimg build --dry-run', () => {
  it('lists the images with provenance and digests by HEAD only; pulls nothing, store unchanged; fails on a missing one unless --ignore-missing-images', async () => {
    const context = await writeContext({ extraShim: `${source.host}/acme/missing:9` });
    const logStart = (await readFile(source.logPath)).length;
    const tree = await treeHash(root);
    const json = await build(context, ['--dry-run', '--max-pull-procs', '2', '--format', 'json']);
    // The list is printed whole; then the image that cannot be resolved fails the dry run, as it would the build.
    expect(json.code).toBe(1);
    expect(json.stderr).toContain(
      `kimg: error: image ${source.host}/acme/missing:9 (images/shim/list:4) cannot be embedded`,
    );
    expect(json.stderr).toContain('--ignore-missing-images');
    const found = JSON.parse(json.stdout) as {
      images: {
        reference: string;
        digest?: string;
        error?: string;
        sources: { file: string; line: number; how: string }[];
      }[];
    };
    const digests = new Map(found.images.map((i) => [i.reference, i.digest]));
    expect(digests).toEqual(
      new Map([
        [`${source.host}/acme/app:1`, app.manifestDigest],
        [`${source.host}/acme/missing:9`, undefined],
        [`${source.host}/acme/multi@${multi.index.digest}`, multi.index.digest],
        [`${source.host}/acme/web:2`, web.manifestDigest],
        [`${source.host}/team/tool:2`, multi.children[0]?.manifestDigest],
      ]),
    );
    const missing = found.images.find((i) => i.reference.endsWith('acme/missing:9'));
    expect(missing?.error).toMatch(/acme\/missing:9 \(images\/shim\/list:4\) cannot be embedded/);
    const app0 = found.images.find((i) => i.reference.endsWith('acme/app:1'));
    expect(app0?.sources).toEqual([
      expect.objectContaining({
        file: 'manifests/app.yaml',
        line: 10,
        how: expect.stringMatching(/^manifest:Deployment:/),
      }),
    ]);
    const human = await build(context, ['--dry-run', '--ignore-missing-images']);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(
      /warning: image .*acme\/missing:9 \(images\/shim\/list:4\) cannot be embedded/,
    );
    expect(human.stdout).toContain(
      `${source.host}/team/tool:2\n  images/shim/list:2  shim-list\n  digest: ${multi.children[0]?.manifestDigest}`,
    );
    expect(human.stdout).toMatch(
      /acme\/missing:9\n {2}images\/shim\/list:4 {2}shim-list\n {2}error: .*cannot be embedded/,
    );
    // The registry saw only the API check and manifest HEADs: no manifest or blob was pulled.
    const requests = (await readFile(source.logPath, 'utf8'))
      .slice(logStart)
      .split('\n')
      .map((line) => /"([A-Z]+) (\/v2\/[^ ]*) HTTP/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]} ${m[2]}`);
    expect(requests.filter((r) => r.startsWith('HEAD ') && r.includes('/manifests/')).length).toBe(10);
    expect(
      requests.filter((r) => !/^(GET|HEAD) \/v2\/$/.test(r) && !/^HEAD \/v2\/.+\/manifests\//.test(r)),
    ).toEqual([]);
    expect(await treeHash(root)).toBe(tree);
  }, 60_000);

  it("sees the images of the Kubefile's APP sources", async () => {
    const context = await makeTempDir('kimg-embed-app-');
    await writeTree(context, {
      Kubefile: 'FROM scratch\nAPP db local://db.yaml\n',
      'db.yaml': `apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  containers:\n    - name: db\n      image: ${source.host}/acme/app:1\n`,
    });
    const json = await build(context, ['--dry-run', '--format', 'json']);
    expect(json.stderr).toBe('');
    const found = JSON.parse(json.stdout) as {
      images: { reference: string; sources: { file: string; line: number }[] }[];
    };
    expect(found.images).toEqual([
      expect.objectContaining({
        reference: `${source.host}/acme/app:1`,
        sources: [expect.objectContaining({ file: 'db.yaml', line: 8 })],
      }),
    ]);
  }, 60_000);
});
