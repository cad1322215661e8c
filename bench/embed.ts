// Embedding N images from a local registry: `kimg build` (which embeds the images its context names, by itself)
// vs the sealos-style sequence, and kimg's rebuild after a template-only change (issue 10, "Bench").
//
//   npm run bench -- embed [--runs 3] [--images 10] [--base-mb 80] [--own-mb 32] [--only kimg|peer]
//
// Input (untimed, cached in the workdir): N images sharing one base layer plus one layer of their own (gzip, as
// pulled images are), written by `kimg copy … registry-dir:` into a registry storage that a source docker-registry
// serves (started once per invocation, on a new port).
// Timed, per run, on fresh state (store, registry storage, context):
//   kimg: `kimg build -t bench/cluster:1 CTX`, CTX/images/shim/images naming the N images → one registry/ layer;
//         then a template-only change (a line appended to manifests/app.yaml) and the same build again, same store
//         (the "rebuild": the registry/ layer is reused, docs/airgap.md "Embedding" step 3).
//   peer: what sealos does (its registry-dir save, then a Kubefile build): a docker-registry started on
//         CTX/registry, one `skopeo copy docker://SRC/… docker://LOCAL/…` process per image (sealos loops over its
//         images), the registry stopped, then `buildah bud --storage-driver vfs` of `FROM scratch` +
//         `COPY registry registry` + `COPY manifests manifests`. Wall time of the whole sequence.
// Checks: kimg's `io.kimg.images` label lists the N images (`kimg inspect`); the peer's registry/ holds N
// repositories with their tag.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { startRegistry, type RunningRegistry } from '../test/harness/registry';
import { capture, measure, measureOutput, median, type Sample } from './lib/measure';
import { numberOption, onlyOption, sharedOptions } from './lib/options';
import { kimgToMeasure, repoRoot, requireTool, rmrf } from './lib/paths';
import { reuseInput, saveInput, sharedBaseRepo, writeSharedBaseStorage } from './lib/shared-base-images';
import { cleanupHarness, skopeoCopyArgs, skopeoEnv, startBenchRegistry } from './lib/registries';
import {
  type CaseResult,
  kimgRevision,
  machineInfo,
  machineLine,
  ratio,
  summarize,
  table,
  type ToolResult,
  writeJson,
} from './lib/report';

const HELP = `usage: npm run bench -- embed [options]
  --runs N        timed runs per side, median reported (default 3)
  --images N      images embedded (default 10)
  --base-mb N     content of the base layer every image shares, MiB (default 80)
  --own-mb N      content of each image's own layer, MiB (default 32)
  --only WHICH    run only kimg or only peer (skopeo loop + buildah bud)
  --workdir DIR   scratch space (default .bench-work/embed)
  --json FILE     results file (default bench/results/embed.json)
  --regen         regenerate the input even if a matching one exists`;

interface Options {
  runs: number;
  images: number;
  baseMiB: number;
  ownMiB: number;
  only: 'kimg' | 'peer' | null;
  workdir: string;
  json: string;
  regen: boolean;
}

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions('embed'),
      images: { type: 'string', default: '10' },
      'base-mb': { type: 'string', default: '80' },
      'own-mb': { type: 'string', default: '32' },
    },
  });
  if (values.help) return null;
  return {
    runs: Math.floor(numberOption('runs', values.runs, 1)),
    images: Math.floor(numberOption('images', values.images, 1)),
    baseMiB: numberOption('base-mb', values['base-mb'], 0.01),
    ownMiB: numberOption('own-mb', values['own-mb'], 0.01),
    only: onlyOption(values.only, ['kimg', 'peer']),
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
  };
}

const INPUT_VERSION = 1;
const TAG = 'bench/cluster:1';
const repo = sharedBaseRepo;

/** The source registry's storage (N images), written once and reused while the parameters match. */
async function prepareInput(o: Options, kimg: string | null): Promise<{ storage: string; bytes: number }> {
  const dir = path.join(o.workdir, 'input');
  const storage = path.join(dir, 'storage');
  const spec = { seed: 'kimg-bench-embed', images: o.images, baseMiB: o.baseMiB, ownMiB: o.ownMiB };
  const params = { version: INPUT_VERSION, ...spec };
  const saved = o.regen ? null : reuseInput<{ bytes: number }>(dir, params);
  if (saved) return { storage, bytes: saved.bytes };
  if (!kimg) throw new Error('the input is written by kimg copy: run `npm run build` first');
  rmrf(dir);
  const t0 = Date.now();
  const { blobBytes } = await writeSharedBaseStorage(kimg, spec, storage, dir);
  saveInput(dir, params, { bytes: blobBytes });
  console.log(`inputs: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { storage, bytes: blobBytes };
}

/** A context: a manifest with no image in it, plus (for kimg) images/shim/images naming the N source images. */
function writeContext(dir: string, o: Options, source: string, forKimg: boolean): void {
  rmrf(dir);
  fs.mkdirSync(path.join(dir, 'manifests'), { recursive: true });
  const manifest = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: bench-settings',
    'data:',
    '  replicas: "2"',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'manifests', 'app.yaml'), manifest);
  const list = Array.from({ length: o.images }, (_, k) => `${source}/${repo(k + 1)}:1`).join('\n') + '\n';
  if (forKimg) {
    fs.mkdirSync(path.join(dir, 'images', 'shim'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'images', 'shim', 'images'), list);
    fs.writeFileSync(path.join(dir, 'Kubefile'), 'FROM scratch\nCOPY manifests manifests\n');
  } else {
    fs.writeFileSync(path.join(dir, 'images.txt'), list);
    fs.writeFileSync(
      path.join(dir, 'Kubefile'),
      'FROM scratch\nCOPY registry registry\nCOPY manifests manifests\n',
    );
  }
}

interface KimgRun {
  first: Sample;
  rebuild: Sample;
  check: string;
}

async function runKimg(o: Options, kimg: string, source: string): Promise<KimgRun> {
  const ctx = path.join(o.workdir, 'kimg-context');
  const root = path.join(o.workdir, 'kimg-root');
  rmrf(root);
  writeContext(ctx, o, source, true);
  const build = ['--root', root, '--quiet', 'build', '-t', TAG, ctx];
  const first = await measure(kimg, build);
  // A template-only change: the manifest changes, the image set does not.
  fs.appendFileSync(path.join(ctx, 'manifests', 'app.yaml'), `  note: "changed ${Date.now()}"\n`);
  const rebuild = await measure(kimg, build);
  const inspect = JSON.parse(
    (await measureOutput(kimg, ['--root', root, '--format', 'json', 'inspect', TAG])).stdout,
  ) as { embeddedImages?: { name: string }[] };
  const names = (inspect.embeddedImages ?? []).map((e) => e.name).sort();
  const want = Array.from({ length: o.images }, (_, k) => `${repo(k + 1)}:1`).sort();
  const check =
    JSON.stringify(names) === JSON.stringify(want)
      ? `${want.length} images embedded`
      : `EMBEDDED ${names.length}/${want.length}`;
  rmrf(root);
  rmrf(ctx);
  return { first, rebuild, check };
}

/** The sealos-style sequence; wall time from the local registry's start to buildah's exit. */
async function runPeer(
  o: Options,
  tools: { skopeo: string; buildah: string },
  source: string,
): Promise<{ sample: Sample; check: string; phases: PeerPhases }> {
  const ctx = path.join(o.workdir, 'peer-context');
  const store = path.join(o.workdir, 'buildah-root');
  const runroot = path.join(o.workdir, 'buildah-runroot');
  rmrf(store);
  rmrf(runroot);
  writeContext(ctx, o, source, false);
  const env = skopeoEnv(o.workdir);
  const samples: Sample[] = [];
  const started = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - started) / 1e9;
  const local = await startBenchRegistry(path.join(ctx, 'registry'), { keepStorage: true });
  try {
    for (let i = 1; i <= o.images; i++) {
      const args = skopeoCopyArgs(`docker://${source}/${repo(i)}:1`, `docker://${local.host}/${repo(i)}:1`);
      samples.push(await measure(tools.skopeo, args, env));
    }
  } finally {
    await local.stop();
  }
  const copied = since();
  const bud = [
    'bud',
    '--storage-driver',
    'vfs',
    '--root',
    store,
    '--runroot',
    runroot,
    '-f',
    path.join(ctx, 'Kubefile'),
    '-t',
    TAG,
    ctx,
  ];
  samples.push(await measure(tools.buildah, bud, env));
  const seconds = since();
  const repos = path.join(ctx, 'registry', 'docker', 'registry', 'v2', 'repositories');
  const tagged = Array.from({ length: o.images }, (_, k) => repo(k + 1)).filter((r) =>
    fs.existsSync(path.join(repos, r, '_manifests', 'tags', '1', 'current', 'link')),
  );
  const check =
    tagged.length === o.images ? `${o.images} images embedded` : `EMBEDDED ${tagged.length}/${o.images}`;
  const rss = samples.map((s) => s.peakRssBytes).filter((x): x is number => x !== null);
  const cpu = samples.every((s) => s.userSeconds != null && s.systemSeconds != null);
  const sum = (f: (s: Sample) => number | null | undefined) => samples.reduce((t, s) => t + (f(s) ?? 0), 0);
  rmrf(store);
  rmrf(runroot);
  rmrf(ctx);
  return {
    sample: {
      seconds,
      peakRssBytes: rss.length ? Math.max(...rss) : null,
      userSeconds: cpu ? sum((s) => s.userSeconds) : null,
      systemSeconds: cpu ? sum((s) => s.systemSeconds) : null,
    },
    check,
    phases: { copySeconds: copied, buildahSeconds: seconds - copied },
  };
}

/** Where the peer's time goes: registry start + skopeo loop + registry stop, then buildah bud. */
interface PeerPhases {
  copySeconds: number;
  buildahSeconds: number;
}

export async function run(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (!o) {
    console.log(HELP);
    return 0;
  }
  const skopeo = requireTool('skopeo', 'the peer copies with it');
  const buildah = o.only === 'kimg' ? null : requireTool('buildah', 'the peer builds with it');
  requireTool('docker-registry', 'the source registry, and the peer saves into one');
  const kimg = kimgToMeasure(o.only === 'peer');
  if (!kimg && o.only !== 'peer') return 1;
  fs.mkdirSync(o.workdir, { recursive: true });
  const input = await prepareInput(o, kimg ?? kimgToMeasure(false));
  const samples = {
    first: [] as Sample[],
    rebuild: [] as Sample[],
    peer: [] as Sample[],
    startup: [] as Sample[],
  };
  const phases: PeerPhases[] = [];
  const checks = { kimg: [] as string[], peer: [] as string[] };
  let source: RunningRegistry | null = null;
  try {
    source = await startRegistry({ storageDir: input.storage });
    for (let r = 0; r < o.runs; r++) {
      const order: ('kimg' | 'peer')[] = r % 2 === 0 ? ['kimg', 'peer'] : ['peer', 'kimg'];
      for (const which of order) {
        if (which === 'kimg' && kimg) {
          const k = await runKimg(o, kimg, source.host);
          samples.first.push(k.first);
          samples.rebuild.push(k.rebuild);
          checks.kimg.push(k.check);
          console.log(
            `run ${r + 1} kimg: ${k.first.seconds.toFixed(2)} s, rebuild ${k.rebuild.seconds.toFixed(2)} s, ${k.check}`,
          );
        } else if (which === 'peer' && buildah && o.only !== 'kimg') {
          const p = await runPeer(o, { skopeo, buildah }, source.host);
          samples.peer.push(p.sample);
          checks.peer.push(p.check);
          phases.push(p.phases);
          console.log(
            `run ${r + 1} peer: ${p.sample.seconds.toFixed(2)} s (skopeo loop ${p.phases.copySeconds.toFixed(2)} s, ` +
              `buildah bud ${p.phases.buildahSeconds.toFixed(2)} s), ${p.check}`,
          );
        }
      }
    }
    // The floor under any kimg command: Node starting and loading the CLI (`kimg --version`).
    if (kimg) for (let r = 0; r < o.runs; r++) samples.startup.push(await measure(kimg, ['--version']));
  } finally {
    await source?.stop();
    await cleanupHarness();
  }
  const worst = (cs: string[]) => cs.find((c) => c.startsWith('EMBEDDED')) ?? cs[0];
  const result = (s: Sample[], check: string | undefined): ToolResult | null =>
    s.length ? summarize(s, check) : null;
  const first = result(samples.first, worst(checks.kimg));
  const rebuild = result(samples.rebuild, worst(checks.kimg));
  const peer = result(samples.peer, worst(checks.peer));
  const totalMiB = (input.bytes / 2 ** 20).toFixed(0);
  const cases: CaseResult[] = [
    {
      name: `embed ${o.images} images (${totalMiB} MiB of gzip blobs)`,
      kimg: first,
      peer,
      ratio: ratio(first, peer),
    },
    // The rebuild compares kimg with its own first build: the "peer" columns are kimg's first build.
    {
      name: 'rebuild after a template-only change',
      kimg: rebuild,
      peer: first,
      ratio: ratio(rebuild, first),
    },
  ];
  const versions = {
    skopeo: (await capture(skopeo, ['--version'])).trim(),
    ...(buildah && { buildah: (await capture(buildah, ['--version'])).trim() }),
    registry: 'docker-registry (distribution 2.8)',
  };
  const revision = kimgRevision(repoRoot());
  const loadAverage = fs.readFileSync('/proc/loadavg', 'utf8').trim();
  console.log('\n' + machineLine(versions, revision));
  console.log(`load average: ${loadAverage}`);
  console.log(
    '(peer = docker-registry + one skopeo copy per image + buildah bud; in the rebuild row, peer = kimg first build)',
  );
  console.log('\n' + table(cases, 'peer', { peerCheck: true, cpu: true }));
  const fmt = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}`);
  if (samples.startup.length) {
    console.log(
      `kimg startup floor (\`kimg --version\`, median s): ${fmt(median(samples.startup.map((x) => x.seconds)))}`,
    );
  }
  if (phases.length) {
    console.log(
      `\npeer phases (median s): registry + skopeo loop ${fmt(median(phases.map((p) => p.copySeconds)))}, ` +
        `buildah bud ${fmt(median(phases.map((p) => p.buildahSeconds)))}`,
    );
  }
  console.log(
    `\ntargets: embed kimg/peer ${fmt(cases[0]?.ratio ?? null)} (≤ 0.5), ` +
      `rebuild/first ${fmt(cases[1]?.ratio ?? null)} (≤ 0.1)`,
  );
  writeJson(o.json, {
    benchmark: 'embed',
    date: new Date().toISOString(),
    machine: machineInfo(),
    loadAverage,
    kimg: revision,
    peers: versions,
    params: { runs: o.runs, images: o.images, baseMiB: o.baseMiB, ownMiB: o.ownMiB, blobBytes: input.bytes },
    cases,
    peerPhases: phases,
    kimgStartupSeconds: samples.startup.map((x) => x.seconds),
  });
  console.log(`\nresults: ${o.json}`);
  return [...checks.kimg, ...checks.peer].some((c) => c.startsWith('EMBEDDED')) ? 1 : 0;
}
