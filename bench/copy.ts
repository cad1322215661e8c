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
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { capture, rssMethod } from './lib/measure';
import { kimgBinary, repoRoot, rmrf, which } from './lib/paths';
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
import { kimgRevision, machineInfo, machineLine, table, writeJson } from './lib/report';
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
  --only TOOL         run only kimg or only skopeo
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
      return {
        cmd: bin(tool),
        args: copyArgs(tool, root, from(tool), to),
        env: env(tool),
        check: () => checkDigests(skopeo, [{ ref: direct, digest: inp.single.manifestDigest }]),
        requests: () => dst.requests ?? [],
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
        done: async () => {
          await dst.stop();
          rmrf(root);
          rmrf(script);
        },
      };
    };

  const countAt = (where: 'dst' | 'src') => (o.requests ? { countAt: where } : {});
  const n = inp.multi.length;
  return [
    {
      name: 'copy registry→registry',
      ...both((tool) => toRegistry(tool, () => srcRef(SINGLE_REPO))),
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

export async function run(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (!o) {
    console.log(HELP);
    return 0;
  }
  const skopeo = which('skopeo');
  if (!skopeo) throw new Error('skopeo is not installed (apt-get install skopeo); it is the peer');
  if (!which('docker-registry'))
    throw new Error('docker-registry is not installed (apt-get install docker-registry)');
  let kimg: string | null = null;
  if (o.only !== 'skopeo') {
    const found = kimgBinary();
    if (!found.bin) console.warn(`kimg: not measured: ${found.reason}`);
    kimg = found.bin;
  }
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
    const firstMulti = inputs.multi[0];
    console.log(
      `single image: ${o.layers} layers, ${mib(inputs.single.layerBytes)} MiB gzip; ` +
        `${inputs.multi.length} images: ${o.baseLayers} shared layers + ${o.ownLayers} own, ` +
        `${firstMulti ? mib(firstMulti.layerBytes) : 0} MiB each; ${o.runs} runs each; peak RSS via ${rssMethod()}`,
    );
    for (const n of notes) console.log(`note: ${n}`);
    results = await runRegistryCases(cases(o, inputs, src, kimg, skopeo), o.runs);

    console.log('\n' + machineLine({ skopeo: skopeoVersion }, revision));
    console.log('\n' + table(results, 'skopeo', { peerCheck: true }));
    if (results.some((r) => r.countAt)) console.log('\n' + requestsTable(results));
    writeJson(o.json, {
      benchmark: 'copy',
      date: new Date().toISOString(),
      machine: machineInfo(),
      kimg: revision,
      peers: { skopeo: skopeoVersion },
      rssMethod: rssMethod(),
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
  const failed = results.some((r) => Object.keys(r.errors).length > 0);
  return failed ? 1 : 0;
}
