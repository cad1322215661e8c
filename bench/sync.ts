// kimg sync against skopeo sync (and a loop of skopeo copy), in the same run, on the same images (issue 12):
//
//   npm run bench -- sync [--runs 3] [--images 30] [--loop-images 20] [--latency-ms 40] [--only kimg|skopeo]
//                         [--cases sync,warm,loop]
//
// Cases, each on a fresh destination registry per run:
// 1. `--images` images sharing base layers A → B: `kimg sync -f` vs `skopeo sync --src yaml` with the same file
//    (target: ≤ 0.3 behind latency; the loopback figure is reported too);
// 2. the same sync again onto a destination that has everything (warm, no-op): time, and requests per image
//    through the counting proxy (target: ≤ 1 destination request per image);
// 3. `--loop-images` of them: `kimg sync` vs a loop of `skopeo copy`, one process per image (target ≤ 0.5).
// With `--latency-ms N`, cases 1 and 2 also run with both registries behind a latency proxy
// (bench/lib/latency-proxy.ts: every request pays N ms, upload Locations kept on the proxy).
import * as fs from 'fs';
import * as path from 'path';
import { startLatencyProxy } from './lib/latency-proxy';
import { parseArgs } from 'util';
import { capture, rssMethod } from './lib/measure';
import { numberOption, onlyOption, sharedOptions } from './lib/options';
import { kimgToMeasure, repoRoot, requireTool, rmrf } from './lib/paths';
import { writeLayerBlob, writeLayout, type LayoutEntry, type WrittenLayer } from './lib/random-image';
import {
  checkDigests,
  cleanupHarness,
  requestsTable,
  runRegistryCases,
  skopeoCopyArgs,
  skopeoEnv,
  startBenchRegistry,
  type BenchRegistry,
  type RegistryCase,
  type RegistryCaseResult,
  type Trial,
} from './lib/registries';
import { kimgRevision, machineInfo, machineLine, table, writeJson } from './lib/report';

const HELP = `usage: npm run bench -- sync [options]
  --runs N          timed runs per tool and case, median reported (default 3)
  --images N        images of the sync cases (default 30)
  --loop-images N   images of the sync-vs-copy-loop case (default 20)
  --base-layers N   base layers every image shares (default 4)
  --base-mb N       their content together, MiB (default 16)
  --own-kb N        the one layer of each image's own, KiB (default 256)
  --latency-ms N    also run the sync cases behind a latency proxy of N ms per request (needs
                    bench/lib/latency-proxy.ts; default 0: loopback only)
  --only TOOL       run only kimg or only skopeo
  --cases LIST      which cases, of sync,warm,loop (default all; e.g. --cases loop for the 20-image
                    sync vs skopeo copy loop alone)
  --workdir DIR     scratch space (default .bench-work/sync)
  --json FILE       results file (default bench/results/sync.json)
  --regen           regenerate the input images`;

interface Options {
  runs: number;
  images: number;
  loopImages: number;
  baseLayers: number;
  baseMiB: number;
  ownKiB: number;
  latencyMs: number;
  only: 'kimg' | 'skopeo' | null;
  cases: ReadonlySet<CaseName>;
  workdir: string;
  json: string;
  regen: boolean;
}

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions('sync'),
      images: { type: 'string', default: '30' },
      'loop-images': { type: 'string', default: '20' },
      'base-layers': { type: 'string', default: '4' },
      'base-mb': { type: 'string', default: '16' },
      'own-kb': { type: 'string', default: '256' },
      'latency-ms': { type: 'string', default: '0' },
      cases: { type: 'string', default: CASE_NAMES.join(',') },
    },
  });
  if (values.help) return null;
  return {
    runs: numberOption('runs', values.runs, 1),
    images: numberOption('images', values.images, 1),
    loopImages: numberOption('loop-images', values['loop-images'], 1),
    baseLayers: numberOption('base-layers', values['base-layers'], 1),
    baseMiB: numberOption('base-mb', values['base-mb'], 1),
    ownKiB: numberOption('own-kb', values['own-kb'], 1),
    latencyMs: numberOption('latency-ms', values['latency-ms'], 0),
    only: onlyOption(values.only, ['kimg', 'skopeo'] as const),
    cases: casesOption(values.cases),
    workdir: values.workdir,
    json: values.json,
    regen: values.regen,
  };
}

const CASE_NAMES = ['sync', 'warm', 'loop'] as const;
type CaseName = (typeof CASE_NAMES)[number];

function casesOption(value: string): ReadonlySet<CaseName> {
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(CASE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0)
    throw new Error(`--cases takes ${CASE_NAMES.join(', ')}; got '${value}'`);
  return new Set(names as CaseName[]);
}

const appName = (i: number) => `app-${String(i + 1).padStart(2, '0')}`;
const REPO_PREFIX = 'bench';

/** The images: shared base layers plus one small layer each, as an OCI layout (cached while parameters match). */
async function prepareInputs(o: Options): Promise<{ dir: string; entries: LayoutEntry[] }> {
  const dir = path.join(o.workdir, 'input');
  const stamp = path.join(o.workdir, 'input.json');
  const count = Math.max(o.images, o.loopImages);
  const params = { count, baseLayers: o.baseLayers, baseMiB: o.baseMiB, ownKiB: o.ownKiB };
  if (!o.regen && fs.existsSync(stamp) && fs.existsSync(dir)) {
    const saved = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { params: unknown; entries: LayoutEntry[] };
    if (JSON.stringify(saved.params) === JSON.stringify(params)) return { dir, entries: saved.entries };
  }
  rmrf(dir);
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const base: WrittenLayer[] = [];
  for (let i = 0; i < o.baseLayers; i++) {
    const bytes = Math.ceil((o.baseMiB * 2 ** 20) / o.baseLayers);
    base.push(
      await writeLayerBlob(blobs, { seed: 'kimg-bench-sync-base', index: i, bytes, textFraction: 0.25 }),
    );
  }
  const images = [];
  for (let n = 0; n < count; n++) {
    const own = await writeLayerBlob(blobs, {
      seed: `kimg-bench-sync-${appName(n)}`,
      index: o.baseLayers,
      bytes: o.ownKiB * 1024,
      textFraction: 0.5,
    });
    images.push({ ref: appName(n), layers: [...base, own], label: `sync-${appName(n)}` });
  }
  const entries = writeLayout(dir, images);
  fs.writeFileSync(stamp, JSON.stringify({ params, entries }, null, 2));
  return { dir, entries };
}

/** What a latency proxy gives: a host to talk to instead of the registry's. */
interface Proxy {
  host: string;
  stop(): Promise<void>;
}
type ProxyFactory = (upstreamUrl: string) => Promise<Proxy>;

/** The bench's latency proxy (lib/latency-proxy.ts) adding `latencyMs` per request, or null on loopback. */
function latencyProxy(latencyMs: number): ProxyFactory | null {
  if (latencyMs <= 0) return null;
  return (url) => startLatencyProxy(url, latencyMs);
}

function cases(
  o: Options,
  entries: LayoutEntry[],
  src: BenchRegistry,
  kimg: string | null,
  skopeo: string,
  proxy: ProxyFactory | null,
): RegistryCase[] {
  const w = (...p: string[]) => path.join(o.workdir, ...p);
  const sEnv = skopeoEnv(o.workdir);
  type Tool = 'kimg' | 'skopeo';

  /** The sync file both tools read: skopeo's format, each image by its tag. */
  const syncFile = (srcHost: string, images: LayoutEntry[]) => {
    const file = w(`sync-${srcHost.replace(/[^0-9a-z]/gi, '-')}-${images.length}.yaml`);
    const lines = [`${srcHost}:`, '  tls-verify: false', '  images:'];
    for (const e of images) lines.push(`    ${REPO_PREFIX}/${e.ref}: ["v1"]`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  const syncArgs = (tool: Tool, root: string, file: string, dstHost: string) =>
    tool === 'kimg'
      ? ['--root', root, '--quiet', 'sync', '-f', file, `${dstHost}/mirror`]
      : [
          '--insecure-policy',
          'sync',
          '--src',
          'yaml',
          '--dest',
          'docker',
          '--dest-tls-verify=false',
          '--preserve-digests',
          '--all',
          file,
          `${dstHost}/mirror`,
        ];
  const check = (dst: BenchRegistry, images: LayoutEntry[]) => () =>
    checkDigests(
      skopeo,
      images.map((e) => ({ ref: `docker://${dst.directHost}/mirror/${e.ref}:v1`, digest: e.manifestDigest })),
    );

  /** A sync into a fresh destination; `warm`: one that already holds every image (filled untimed by skopeo). */
  const sync =
    (tool: Tool, images: LayoutEntry[], warm: boolean, slow: boolean) =>
    async ({ counted }: { counted: boolean }): Promise<Trial> => {
      const dst = await startBenchRegistry(w(`registry-dst-${tool}`), { counted });
      const root = w('kimg-root');
      rmrf(root);
      const srcProxy = slow && proxy ? await proxy(src.url) : null;
      const dstProxy = slow && proxy ? await proxy(`http://${dst.host}`) : null;
      const file = syncFile(srcProxy?.host ?? src.host, images);
      if (warm)
        await capture(skopeo, syncArgs('skopeo', root, syncFile(src.host, images), dst.directHost), sEnv);
      return {
        cmd: tool === 'kimg' ? (kimg as string) : skopeo,
        args: syncArgs(tool, root, file, dstProxy?.host ?? dst.host),
        env: tool === 'kimg' ? process.env : sEnv,
        check: check(dst, images),
        requests: () => dst.requests ?? [],
        registries: { src, dst },
        done: async () => {
          await srcProxy?.stop();
          await dstProxy?.stop();
          await dst.stop();
          rmrf(root);
        },
      };
    };

  /** skopeo copy once per image, one process each (the issue's "loop of skopeo copy"). */
  const copyLoop =
    (images: LayoutEntry[]) =>
    async ({ counted }: { counted: boolean }): Promise<Trial> => {
      const dst = await startBenchRegistry(w('registry-dst-loop'), { counted });
      const script = w('loop.sh');
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const lines = images.map(
        (e) =>
          [
            skopeo,
            ...skopeoCopyArgs(
              `docker://${src.host}/${REPO_PREFIX}/${e.ref}:v1`,
              `docker://${dst.host}/mirror/${e.ref}:v1`,
            ),
          ]
            .map(q)
            .join(' ') + ' || exit 1',
      );
      fs.writeFileSync(script, ['set -e', ...lines, ''].join('\n'));
      return {
        cmd: 'bash',
        args: [script],
        env: sEnv,
        check: check(dst, images),
        requests: () => dst.requests ?? [],
        registries: { src, dst },
        done: async () => {
          await dst.stop();
          rmrf(script);
        },
      };
    };

  const both = (make: (tool: Tool) => (x: { counted: boolean }) => Promise<Trial>) => ({
    kimg: kimg ? make('kimg') : null,
    peer: o.only === 'kimg' ? null : make('skopeo'),
  });
  const images = entries.slice(0, o.images);
  const loopImages = entries.slice(0, o.loopImages);
  const list: RegistryCase[] = [];
  if (o.cases.has('sync')) {
    list.push({
      name: `${images.length} images A→B, sync vs sync (loopback)`,
      ...both((t) => sync(t, images, false, false)),
      countAt: 'dst',
    });
  }
  if (o.cases.has('warm')) {
    list.push({
      name: `${images.length} images, warm no-op sync (loopback)`,
      ...both((t) => sync(t, images, true, false)),
      countAt: 'dst',
    });
  }
  if (proxy && o.cases.has('sync')) {
    list.push({
      name: `${images.length} images A→B, sync vs sync (+${o.latencyMs} ms/request)`,
      ...both((t) => sync(t, images, false, true)),
    });
  }
  if (proxy && o.cases.has('warm')) {
    list.push({
      name: `${images.length} images, warm no-op sync (+${o.latencyMs} ms/request)`,
      ...both((t) => sync(t, images, true, true)),
    });
  }
  if (o.cases.has('loop')) {
    list.push({
      name: `${loopImages.length} images, kimg sync vs skopeo copy loop`,
      kimg: kimg ? sync('kimg', loopImages, false, false) : null,
      peer: o.only === 'kimg' ? null : copyLoop(loopImages),
      countAt: 'dst',
    });
  }
  return list;
}

export async function run(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (!o) {
    console.log(HELP);
    return 0;
  }
  const skopeo = requireTool('skopeo', 'it is the peer');
  requireTool('docker-registry', '');
  const kimg = kimgToMeasure(o.only === 'skopeo');
  fs.mkdirSync(o.workdir, { recursive: true });
  const input = await prepareInputs(o);
  const proxy = latencyProxy(o.latencyMs);
  const notes: string[] = [];
  const src = await startBenchRegistry(path.join(o.workdir, 'registry-src'));
  let results: RegistryCaseResult[] = [];
  try {
    const sEnv = skopeoEnv(o.workdir);
    process.stdout.write('source registry: filling with skopeo … ');
    for (const e of input.entries) {
      await capture(
        skopeo,
        skopeoCopyArgs(`oci:${input.dir}:${e.ref}`, `docker://${src.host}/${REPO_PREFIX}/${e.ref}:v1`),
        sEnv,
      );
    }
    console.log('done');
    for (const note of notes) console.log(`note: ${note}`);
    console.log(`peak RSS and CPU via ${rssMethod()}; ${o.runs} runs each`);
    results = await runRegistryCases(cases(o, input.entries, src, kimg, skopeo, proxy), o.runs);
    const skopeoVersion = (await capture(skopeo, ['--version'])).trim();
    const revision = kimgRevision(repoRoot());
    console.log('\n' + machineLine({ skopeo: skopeoVersion }, revision));
    console.log('\n' + table(results, 'skopeo', { peerCheck: true, cpu: true }));
    console.log('\n' + requestsTable(results));
    writeJson(o.json, {
      benchmark: 'sync',
      date: new Date().toISOString(),
      machine: machineInfo(),
      kimg: revision,
      peers: { skopeo: skopeoVersion },
      params: { ...o, workdir: undefined, json: undefined },
      notes,
      cases: results.map((r) => ({ ...r, skopeo: r.peer, peer: undefined })),
    });
    console.log(`\nresults: ${o.json}`);
  } finally {
    await src.stop();
    await cleanupHarness();
    for (const entry of fs.readdirSync(o.workdir))
      if (!entry.startsWith('input')) rmrf(path.join(o.workdir, entry));
  }
  return results.some((r) => Object.keys(r.errors).length > 0) ? 1 : 0;
}
