// kimg copy against skopeo copy between registries and OCI layouts, in the same run, on the same images:
//
//   npm run bench -- copy [--runs 3] [--size-mb 256] [--layers 8] [--images 20] [--only kimg|skopeo] [--regen]
//
// 1. registry→registry copy of a ~250 MB, 8-layer image (target: kimg/skopeo ≤ 0.9)
// 2. registry→OCI layout (pull) and OCI layout→registry (push) of the same image
// 3. 20 images sharing 6 base layers (+ 2 small layers of their own) between two registries: one copy per image
//    in a loop for both tools (and `kimg sync`, when kimg has it, against `skopeo sync`)
// Every destination registry is started on empty storage for each run. After the timed runs, each tool runs
// each case once more, untimed, with the harness's counting proxy in front of the destination (the source for
// the pull), for the requests table.
// The registry→registry case also times two references ("floors", not tools): a curl pipeline (no hashing on
// the client at all) and a minimal undici program that hashes every blob (lib/node-floor.ts). Every sample
// records the client's CPU seconds (GNU time) and the registries' (/proc/PID/stat), to show where the time goes.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { capture, rssMethod } from './lib/measure';
import { kimgToMeasure, repoRoot, rmrf, requireTool } from './lib/paths';
import { clockTicks } from './lib/proc';
import { LayoutEntry, writeLayerBlob, writeLayout, WrittenLayer } from './lib/random-image';
import {
  BenchRegistry,
  checkDigests,
  cleanupHarness,
  countingProxy,
  kimgCopyArgs,
  RegistryCase,
  RegistryCaseResult,
  requestsTable,
  runRegistryCases,
  skopeoCopyArgs,
  skopeoEnv,
  startBenchRegistry,
  Trial,
} from './lib/registries';
import { kimgRevision, machineInfo, machineLine, table, ToolResult, writeJson } from './lib/report';
import { numberOption, onlyOption, sharedOptions } from './lib/options';

const HELP = `usage: npm run bench -- copy [options]
  --runs N            timed runs per tool and case, median reported (default 3)
  --size-mb N         uncompressed content of the single image, MiB (default 256: ~231 MiB of gzip layers)
  --layers N          its layers (default 8)
  --text-fraction F   compressible share of its files, 0..1 (default 0.1)
  --images N          images in the many-images case (default 20)
  --base-layers N     base layers they share (default 6)
  --base-mb N         content of the shared base layers together, MiB (default 96)
  --own-layers N      layers of each image's own (default 2)
  --own-kb N          content of each own layer, KiB (default 512)
  --only TOOL         run only kimg or only skopeo (and no references)
  --no-floors         skip the reference rows of registry→registry (curl pipeline, node floor)
  --no-requests       skip the untimed counting runs behind the proxy
  --workdir DIR       scratch space, ~1.5 GB (default .bench-work/copy)
  --json FILE         results file (default bench/results/copy.json)
  --regen             regenerate the input images even if matching ones exist`;

interface Options {
  runs: number;
  sizeMiB: number;
  layers: number;
  textFraction: number;
  images: number;
  baseLayers: number;
  baseMiB: number;
  ownLayers: number;
  ownKiB: number;
  only: 'kimg' | 'skopeo' | null;
  floors: boolean;
  requests: boolean;
  workdir: string;
  json: string;
  regen: boolean;
}

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions('copy'),
      'size-mb': { type: 'string', default: '256' },
      layers: { type: 'string', default: '8' },
      'text-fraction': { type: 'string', default: '0.1' },
      images: { type: 'string', default: '20' },
      'base-layers': { type: 'string', default: '6' },
      'base-mb': { type: 'string', default: '96' },
      'own-layers': { type: 'string', default: '2' },
      'own-kb': { type: 'string', default: '512' },
      'no-requests': { type: 'boolean', default: false },
      'no-floors': { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const num = numberOption;
  return {
    runs: Math.floor(num('runs', values.runs, 1)),
    sizeMiB: num('size-mb', values['size-mb'], 1),
    layers: Math.floor(num('layers', values.layers, 1)),
    textFraction: Math.min(1, num('text-fraction', values['text-fraction'], 0)),
    images: Math.floor(num('images', values.images, 1)),
    baseLayers: Math.floor(num('base-layers', values['base-layers'], 0)),
    baseMiB: num('base-mb', values['base-mb'], 0),
    ownLayers: Math.floor(num('own-layers', values['own-layers'], 1)),
    ownKiB: num('own-kb', values['own-kb'], 1),
    only: onlyOption(values.only, ['kimg', 'skopeo']),
    floors: !values['no-floors'] && values.only === undefined,
    requests: !values['no-requests'],
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
  };
}

/** Bumped when the generator's output changes, so cached inputs are rebuilt. */
const INPUT_VERSION = 1;
const SINGLE_REF = 'v1';

interface Inputs {
  singleDir: string;
  single: LayoutEntry;
  multiDir: string;
  /** ref = the repository's short name (app-01 …), pushed as bench/<ref>:v1. */
  multi: LayoutEntry[];
}

const appName = (i: number) => `app-${String(i + 1).padStart(2, '0')}`;

/** The two input layouts, generated once and cached while the parameters match. */
async function prepareInputs(o: Options): Promise<Inputs> {
  const singleDir = path.join(o.workdir, 'input-single');
  const multiDir = path.join(o.workdir, 'input-multi');
  const stamp = path.join(o.workdir, 'inputs.json');
  const params = {
    version: INPUT_VERSION,
    sizeMiB: o.sizeMiB,
    layers: o.layers,
    textFraction: o.textFraction,
    images: o.images,
    baseLayers: o.baseLayers,
    baseMiB: o.baseMiB,
    ownLayers: o.ownLayers,
    ownKiB: o.ownKiB,
  };
  if (!o.regen && fs.existsSync(stamp) && fs.existsSync(singleDir) && fs.existsSync(multiDir)) {
    const saved = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { params: unknown; inputs: Inputs };
    if (JSON.stringify(saved.params) === JSON.stringify(params)) {
      console.log(`inputs: reusing ${o.workdir} (--regen to rebuild)`);
      return saved.inputs;
    }
  }
  rmrf(singleDir);
  rmrf(multiDir);
  const t0 = Date.now();
  console.log(`inputs: generating ${o.layers} gzip layers (${o.sizeMiB} MiB) and ${o.images} images …`);

  // The single image: the same generator and content mix as load-save (parallel gzip, 2 at a time).
  const singleBlobs = path.join(singleDir, 'blobs', 'sha256');
  fs.mkdirSync(singleBlobs, { recursive: true });
  const perLayer = Math.ceil((o.sizeMiB * 2 ** 20) / o.layers);
  const layers: WrittenLayer[] = new Array(o.layers);
  let next = 0;
  const worker = async () => {
    while (next < o.layers) {
      const i = next++;
      layers[i] = await writeLayerBlob(singleBlobs, {
        seed: 'kimg-bench-copy',
        index: i,
        bytes: perLayer,
        textFraction: o.textFraction,
      });
    }
  };
  await Promise.all([worker(), worker()]);
  const [single] = writeLayout(singleDir, [{ ref: SINGLE_REF, layers, label: 'copy-single' }]);
  if (!single) throw new Error('no image written');

  // The many images: shared base layers, then small layers of each image's own.
  const multiBlobs = path.join(multiDir, 'blobs', 'sha256');
  fs.mkdirSync(multiBlobs, { recursive: true });
  const base: WrittenLayer[] = [];
  const perBase = Math.ceil((o.baseMiB * 2 ** 20) / Math.max(1, o.baseLayers));
  for (let i = 0; i < o.baseLayers; i++) {
    base.push(
      await writeLayerBlob(multiBlobs, {
        seed: 'kimg-bench-base',
        index: i,
        bytes: perBase,
        textFraction: o.textFraction,
      }),
    );
  }
  const images = [];
  for (let n = 0; n < o.images; n++) {
    const own: WrittenLayer[] = [];
    for (let j = 0; j < o.ownLayers; j++) {
      own.push(
        await writeLayerBlob(multiBlobs, {
          seed: `kimg-bench-${appName(n)}`,
          index: o.baseLayers + j,
          bytes: Math.round(o.ownKiB * 1024),
          textFraction: 0.5,
        }),
      );
    }
    images.push({ ref: appName(n), layers: [...base, ...own], label: `copy-${appName(n)}` });
  }
  const multi = writeLayout(multiDir, images);
  const inputs: Inputs = { singleDir, single, multiDir, multi };
  fs.writeFileSync(stamp, JSON.stringify({ params, inputs }, null, 2));
  console.log(`inputs: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return inputs;
}

const SINGLE_REPO = 'bench/image';
const multiRepo = (ref: string) => `bench/${ref}`;

/** Fills the source registry with skopeo (untimed) and checks it holds the inputs byte for byte. */
async function fillSource(skopeo: string, env: NodeJS.ProcessEnv, src: BenchRegistry, inp: Inputs) {
  const push = async (from: string, repo: string, digest: string) => {
    const to = `docker://${src.host}/${repo}:v1`;
    await capture(skopeo, skopeoCopyArgs(from, to), env);
    return { ref: to, digest };
  };
  const want = [await push(`oci:${inp.singleDir}:${SINGLE_REF}`, SINGLE_REPO, inp.single.manifestDigest)];
  for (const e of inp.multi)
    want.push(await push(`oci:${inp.multiDir}:${e.ref}`, multiRepo(e.ref), e.manifestDigest));
  const check = await checkDigests(skopeo, want);
  if (!check.startsWith('same')) throw new Error(`source registry: ${check}`);
}

/**
 * The curl floor: `bash curl-floor.sh SRC_URL DST_URL REPO TAG` copies one image the way the distribution API
 * allows with the least client work: GET the manifest, then every blob in parallel (POST an upload, GET piped
 * into a monolithic PUT), then PUT the manifest. curl hashes nothing; the destination registry still checks
 * every blob's digest. `Expect:` is blanked so curl does not wait for a 100-continue before sending the body.
 */
const CURL_FLOOR = String.raw`#!/usr/bin/env bash
set -euo pipefail
SRC=$1 DST=$2 REPO=$3 TAG=$4
ACCEPT='application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -s -f -H "Accept: $ACCEPT" -D "$tmp/headers" -o "$tmp/manifest" "$SRC/v2/$REPO/manifests/$TAG"
type=$(grep -i '^content-type:' "$tmp/headers" | tail -n 1 | cut -d' ' -f2- | tr -d '\r')
# config and layer digests (no jq: every "digest" of a single-platform manifest is a blob of the image)
digests=$(grep -o '"digest": *"sha256:[0-9a-f]\{64\}"' "$tmp/manifest" | grep -o 'sha256:[0-9a-f]\{64\}' | sort -u)

copy_blob() {
  local digest=$1 location
  location=$(curl -s -f -X POST -D - -o /dev/null "$DST/v2/$REPO/blobs/uploads/" |
    grep -i '^location:' | tail -n 1 | cut -d' ' -f2- | tr -d '\r')
  [ -n "$location" ] || { echo "no Location for $digest" >&2; return 1; }
  case $location in http://* | https://*) ;; *) location="$DST$location" ;; esac
  case $location in *\?*) location="$location&digest=$digest" ;; *) location="$location?digest=$digest" ;; esac
  curl -s -f "$SRC/v2/$REPO/blobs/$digest" |
    curl -s -f -X PUT -H 'Expect:' -H 'Content-Type: application/octet-stream' -T - -o /dev/null "$location"
}

pids=''
for digest in $digests; do
  copy_blob "$digest" &
  pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done # set -e: the first failed blob fails the script
curl -s -f -X PUT -H "Content-Type: $type" --data-binary "@$tmp/manifest" -o /dev/null "$DST/v2/$REPO/manifests/$TAG"
`;

/** `kimg sync`'s usage line when this kimg has a multi-image command, else null. */
async function kimgSyncHelp(kimg: string): Promise<string | null> {
  const help = await capture(kimg, ['--help']).catch(() => '');
  if (!/^\s*kimg sync\b/m.test(help)) return null;
  return capture(kimg, ['sync', '--help']).catch(() => null);
}

function cases(
  o: Options,
  inp: Inputs,
  src: BenchRegistry,
  kimg: string | null,
  skopeo: string,
): RegistryCase[] {
  const w = (...p: string[]) => path.join(o.workdir, ...p);
  const sEnv = skopeoEnv(o.workdir);
  const srcRef = (repo: string) => `docker://${src.host}/${repo}:v1`;
  type Tool = 'kimg' | 'skopeo';
  const bin = (tool: Tool) => (tool === 'kimg' ? (kimg as string) : skopeo);
  const copyArgs = (tool: Tool, root: string, from: string, to: string) =>
    tool === 'kimg' ? kimgCopyArgs(root, from, to) : skopeoCopyArgs(from, to);
  const env = (tool: Tool) => (tool === 'kimg' ? process.env : sEnv);
  const both = (make: (tool: Tool) => (o2: { counted: boolean }) => Promise<Trial>) => ({
    kimg: kimg ? make('kimg') : null,
    peer: o.only === 'kimg' ? null : make('skopeo'),
  });

  /** A run whose destination is a fresh registry (behind the counting proxy on the counted run). */
  const toRegistry =
    (tool: Tool, from: (tool: Tool) => string) =>
    async ({ counted }: { counted: boolean }): Promise<Trial> => {
      const dst = await startBenchRegistry(w(`registry-dst-${tool}`), { counted });
      const root = w(`kimg-root`);
      rmrf(root);
      const to = `docker://${dst.host}/${SINGLE_REPO}:v1`;
      const direct = `docker://${dst.directHost}/${SINGLE_REPO}:v1`;
      const source = from(tool);
      return {
        cmd: bin(tool),
        args: copyArgs(tool, root, source, to),
        env: env(tool),
        check: () => checkDigests(skopeo, [{ ref: direct, digest: inp.single.manifestDigest }]),
        requests: () => dst.requests ?? [],
        registries: source.startsWith('docker://') ? { src, dst } : { dst },
        done: async () => {
          await dst.stop();
          rmrf(root);
        },
      };
    };

  const pull =
    (tool: Tool) =>
    async ({ counted }: { counted: boolean }): Promise<Trial> => {
      const proxy = counted ? await countingProxy(src.url) : null;
      const dir = w(`pull-${tool}`);
      const root = w(`kimg-root`);
      rmrf(dir);
      rmrf(root);
      const from = `docker://${proxy ? proxy.host : src.host}/${SINGLE_REPO}:v1`;
      const to = `oci:${dir}:${SINGLE_REF}`;
      return {
        cmd: bin(tool),
        args: copyArgs(tool, root, from, to),
        env: env(tool),
        check: () => checkDigests(skopeo, [{ ref: to, digest: inp.single.manifestDigest }]),
        requests: () => proxy?.requests ?? [],
        registries: { src },
        done: async () => {
          await proxy?.stop();
          rmrf(dir);
          rmrf(root);
        },
      };
    };

  /** One copy per image, as a shell loop (one process per image: peak RSS is the largest of them). */
  const loop =
    (tool: Tool) =>
    async ({ counted }: { counted: boolean }): Promise<Trial> => {
      const dst = await startBenchRegistry(w(`registry-dst-${tool}`), { counted });
      const root = w(`kimg-root`);
      rmrf(root);
      const script = w(`loop-${tool}.sh`);
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const lines = inp.multi.map((e) => {
        const args = copyArgs(
          tool,
          root,
          srcRef(multiRepo(e.ref)),
          `docker://${dst.host}/${multiRepo(e.ref)}:v1`,
        );
        return [bin(tool), ...args].map(q).join(' ') + ' || exit 1';
      });
      fs.writeFileSync(script, ['set -e', ...lines, ''].join('\n'));
      return {
        cmd: 'bash',
        args: [script],
        env: env(tool),
        check: () =>
          checkDigests(
            skopeo,
            inp.multi.map((e) => ({
              ref: `docker://${dst.directHost}/${multiRepo(e.ref)}:v1`,
              digest: e.manifestDigest,
            })),
          ),
        requests: () => dst.requests ?? [],
        registries: { src, dst },
        done: async () => {
          await dst.stop();
          rmrf(root);
          rmrf(script);
        },
      };
    };

  /** A reference copy registry→registry (never counted): `cmd SRC_URL DST_URL REPO TAG` into a fresh registry. */
  const floor = (name: string, cmd: string, pre: string[]) => async (): Promise<Trial> => {
    const dst = await startBenchRegistry(w(`registry-dst-${name}`));
    const direct = `docker://${dst.directHost}/${SINGLE_REPO}:v1`;
    return {
      cmd,
      args: [...pre, src.url, `http://${dst.host}`, SINGLE_REPO, 'v1'],
      check: () => checkDigests(skopeo, [{ ref: direct, digest: inp.single.manifestDigest }]),
      registries: { src, dst },
      done: () => dst.stop(),
    };
  };
  const curlScript = w('curl-floor.sh');
  fs.writeFileSync(curlScript, CURL_FLOOR);
  // node-floor.js is compiled with the bench (tsconfig.bench.json) beside this file's output: dist-bench/bench/lib/.
  const nodeFloor = path.join(__dirname, 'lib', 'node-floor.js');
  const references = o.floors
    ? {
        references: [
          { name: 'curl pipeline', trial: floor('curl', 'bash', [curlScript]) },
          { name: 'node floor', trial: floor('node', process.execPath, [nodeFloor]) },
        ],
      }
    : {};

  const countAt = (where: 'dst' | 'src') => (o.requests ? { countAt: where } : {});
  const n = inp.multi.length;
  return [
    {
      name: 'copy registry→registry',
      ...both((tool) => toRegistry(tool, () => srcRef(SINGLE_REPO))),
      ...references,
      ...countAt('dst'),
    },
    { name: 'pull registry→oci', ...both(pull), ...countAt('src') },
    {
      name: 'push oci→registry',
      ...both((tool) => toRegistry(tool, () => `oci:${inp.singleDir}:${SINGLE_REF}`)),
      ...countAt('dst'),
    },
    { name: `${n} images, copy loop`, ...both(loop), ...countAt('dst') },
  ];
}

/**
 * Where the CPU went, one line per case: each runner's median CPU seconds of the source and destination
 * registries, and the busy cores (client + registries CPU over wall time; this machine has os.cpus() of them).
 */
function registryCpuLines(results: RegistryCaseResult[]): string[] {
  const lines: string[] = [];
  const f = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(2));
  for (const r of results) {
    const runners: [string, ToolResult | null][] = [
      ['kimg', r.kimg],
      ['skopeo', r.peer],
      ...(r.references ?? []).map((x): [string, ToolResult | null] => [x.name, x.result]),
    ];
    const parts: string[] = [];
    for (const [name, t] of runners) {
      if (!t?.registryCpuSeconds) continue;
      const reg = t.registryCpuSeconds;
      const regs = ['src', 'dst'].filter((k) => k in reg).map((k) => `${k} ${f(reg[k])}`);
      const all = t.cpuSeconds === null ? null : t.cpuSeconds + Object.values(reg).reduce((a, b) => a + b, 0);
      const busy = all === null ? '' : ` (${(all / t.medianSeconds).toFixed(1)} cores busy)`;
      parts.push(`${name} ${regs.join(' + ')}${busy}`);
    }
    if (parts.length) lines.push(`registry CPU s, ${r.name}: ${parts.join('; ')}`);
  }
  return lines;
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
  const inputs = await prepareInputs(o);
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);

  const src = await startBenchRegistry(path.join(o.workdir, 'registry-src'));
  let results: RegistryCaseResult[] = [];
  const notes: string[] = [];
  try {
    const sEnv = skopeoEnv(o.workdir);
    process.stdout.write('source registry: filling with skopeo … ');
    await fillSource(skopeo, sEnv, src, inputs);
    console.log('done');
    const skopeoVersion = (await capture(skopeo, ['--version'])).trim();
    const revision = kimgRevision(repoRoot());
    const sync = kimg ? await kimgSyncHelp(kimg) : null;
    if (kimg && !sync)
      notes.push('kimg has no multi-image command (`kimg sync`) in this build: copy loop only');
    if (src.pid === null)
      notes.push('registry CPU not measured: no process found listening on the registry port in /proc');
    const firstMulti = inputs.multi[0];
    console.log(
      `single image: ${o.layers} layers, ${mib(inputs.single.layerBytes)} MiB gzip; ` +
        `${inputs.multi.length} images: ${o.baseLayers} shared layers + ${o.ownLayers} own, ` +
        `${firstMulti ? mib(firstMulti.layerBytes) : 0} MiB each; ${o.runs} runs each; peak RSS and CPU via ${rssMethod()}`,
    );
    for (const n of notes) console.log(`note: ${n}`);
    results = await runRegistryCases(cases(o, inputs, src, kimg, skopeo), o.runs);

    console.log('\n' + machineLine({ skopeo: skopeoVersion }, revision));
    console.log('\n' + table(results, 'skopeo', { peerCheck: true, cpu: true }));
    if (results.some((r) => r.references?.length))
      console.log(
        'reference rows are not tools: their numbers sit in the kimg columns, their ratio is to skopeo',
      );
    const cpuLines = registryCpuLines(results);
    if (cpuLines.length) console.log('\n' + cpuLines.join('\n'));
    if (results.some((r) => r.countAt)) console.log('\n' + requestsTable(results));
    writeJson(o.json, {
      benchmark: 'copy',
      date: new Date().toISOString(),
      machine: machineInfo(),
      kimg: revision,
      peers: { skopeo: skopeoVersion },
      rssMethod: rssMethod(),
      registryCpu: {
        how: '/proc/PID/stat utime+stime before and after each timed run; PID = the listener of the registry port',
        clockTicks: clockTicks(),
        pidFound: src.pid !== null,
      },
      params: { ...o, workdir: undefined, json: undefined },
      inputs: { single: inputs.single, multi: inputs.multi },
      notes,
      cases: results.map((r) => ({ ...r, skopeo: r.peer, peer: undefined })),
    });
    console.log(`\nresults: ${o.json}`);
  } finally {
    await src.stop();
    await cleanupHarness();
    for (const entry of fs.readdirSync(o.workdir)) {
      if (!entry.startsWith('input')) rmrf(path.join(o.workdir, entry));
    }
  }
  const failed = results.some(
    (r) => Object.keys(r.errors).length > 0 || (r.references ?? []).some((x) => x.error),
  );
  return failed ? 1 : 0;
}
