// kimg build + push against buildah (single commit, and --layers), docker build and the compression floor, in
// the same run, on the same context (issue 13).
//
//   npm run bench -- build [--runs 3] [--yaml 200] [--gzip-level 6] [--no-docker] [--only kimg|buildah|docker]
//                          [--regen] [--keep]
//
// Context: 8 Go executables + 200 YAML manifests (~245 MB, bench/lib/binaries-context.ts), Kubefile `FROM scratch`
// + `COPY . .`. Every build starts on a fresh store and pushes to a docker-registry started on empty storage.
// kimg builds with --no-cache (and --save-images=false: the peers do not embed images), then rebuilds on the same
// store with nothing changed. buildah: `buildah bud` (one commit, the layer stored uncompressed and compressed by
// push), and `buildah bud --layers` built, then rebuilt primed. docker: a private dockerd (vfs, as the tests start
// it), `docker build` (legacy builder, --no-cache), push, rebuild. The floor: the same layer tar compressed in one
// Node process with kimg's settings (bench/lib/compress-floor.ts). `--gzip-level` sets kimg's gzip level (and the
// gzip floor's): the "same size ±3 %" of issue 13's first target is met by choosing the level, as a buildah user
// would with `buildah push --compression-level`; buildah stays at its default (6). Times are wall seconds (median)
// and user+sys CPU seconds (GNU time: less sensitive to other load on a shared machine); peak RSS from the same.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { writeLayerFile } from '../src/layer';
import { startDockerd, type RunningDockerd } from '../test/harness/dockerd';
import { prepareBinariesContext } from './lib/binaries-context';
import { describeFiles, diffFiles, readPushedImage, type PushedImage } from './lib/image-files';
import { capture, cpuSeconds, measure, measureOutput, median, rssMethod, type Sample } from './lib/measure';
import { numberOption, sharedOptions } from './lib/options';
import { kimgToMeasure, repoRoot, requireTool, rmrf, which } from './lib/paths';
import { cleanupHarness, skopeoEnv, startBenchRegistry } from './lib/registries';
import { kimgRevision, machineInfo, machineLine, markdownTable, writeJson } from './lib/report';

const HELP = `usage: npm run bench -- build [options]
  --runs N       timed runs per case, median reported (default 3)
  --yaml N       YAML manifests in the context (default 200)
  --only TOOL    kimg, buildah or docker (the floor always runs)
  --gzip-level N kimg's gzip level (--compression-level) and the gzip floor's, 1–9 (default 6)
  --no-docker    skip docker build (also skipped, with the reason, when dockerd cannot start)
  --workdir DIR  scratch space (default .bench-work/build; ~250 MB context, ~2 GB while running)
  --json FILE    results file (default bench/results/build.json)
  --regen        rebuild the context
  --keep         keep the last run's stores`;

const MiB = 2 ** 20;
const REPO = 'bench/rootfs';
type Kind = 'gzip' | 'zstd';

interface Options {
  runs: number;
  yaml: number;
  only: string | null;
  gzipLevel: number;
  docker: boolean;
  workdir: string;
  json: string;
  regen: boolean;
  keep: boolean;
}

/** One measured step of one run; `bytes` is the compressed layer size where the step made one. */
interface Step extends Sample {
  bytes?: number;
  check?: string;
}

type Runs = Map<string, Step[]>;

/** Pushed images read back (untimed): every one must hold the same files as the first. */
const pushed: { who: string; image: PushedImage }[] = [];

async function readBack(
  who: string,
  skopeo: string,
  registry: { url: string; directHost: string },
  repoTag: string,
  env: NodeJS.ProcessEnv,
) {
  if (pushed.some((p) => p.who === who)) return; // one per tool and compression is enough
  pushed.push({ who, image: await readPushedImage(skopeo, registry.url, registry.directHost, repoTag, env) });
}

function record(runs: Runs, name: string, step: Step): Step {
  runs.set(name, [...(runs.get(name) ?? []), step]);
  return step;
}

function sum(a: Step, b: Step): Step {
  const cpu = (s: Step) => cpuSeconds(s) ?? NaN;
  return {
    seconds: a.seconds + b.seconds,
    peakRssBytes: Math.max(a.peakRssBytes ?? 0, b.peakRssBytes ?? 0) || null,
    userSeconds: cpu(a) + cpu(b),
    systemSeconds: 0,
    ...(b.bytes !== undefined && { bytes: b.bytes }),
    ...(a.bytes !== undefined && { bytes: a.bytes }),
  };
}

/** The compressed layer bytes of a pushed image (skopeo reads the manifest; untimed). */
async function pushedBytes(skopeo: string, ref: string, env: NodeJS.ProcessEnv): Promise<number> {
  const raw = await capture(skopeo, ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], env);
  const manifest = JSON.parse(raw) as { layers?: { size: number }[] };
  return (manifest.layers ?? []).reduce((n, l) => n + l.size, 0);
}

async function kimgRuns(
  kimg: string,
  o: Options,
  ctx: { dir: string; kubefile: string },
  runs: Runs,
  skopeo: string,
  env: NodeJS.ProcessEnv,
) {
  for (const kind of ['gzip', 'zstd'] as Kind[]) {
    const root = path.join(o.workdir, `kimg-${kind}`);
    rmrf(root);
    const registry = await startBenchRegistry(path.join(o.workdir, 'registry'));
    try {
      const tag = `${REPO}:kimg-${kind}`;
      const base = [
        '--root',
        root,
        'build',
        '-f',
        ctx.kubefile,
        '-t',
        tag,
        '--compression',
        kind,
        ...(kind === 'gzip' ? ['--compression-level', String(o.gzipLevel)] : []),
        '--save-images=false',
      ];
      const built = await measureOutput(kimg, [...base, '--no-cache', '--format', 'json', ctx.dir]);
      const report = JSON.parse(built.stdout) as { steps: { cached: boolean; layer?: { size: number } }[] };
      const build = record(runs, `kimg build ${kind}`, {
        ...built,
        bytes: report.steps[0]?.layer?.size ?? 0,
      });
      const push = record(
        runs,
        `kimg push ${kind}`,
        await measure(kimg, ['--root', root, '--quiet', 'push', tag, `docker://${registry.host}/${tag}`]),
      );
      record(runs, `kimg build+push ${kind}`, {
        ...sum(build, push),
        bytes: await pushedBytes(skopeo, `${registry.host}/${tag}`, env),
      });
      await readBack(`kimg ${kind}`, skopeo, registry, tag, env);
      if (kind === 'gzip') {
        const again = await measureOutput(kimg, [...base, '--format', 'json', ctx.dir]);
        const steps = (JSON.parse(again.stdout) as typeof report).steps;
        const cached = steps.filter((s) => s.cached).length;
        record(runs, 'kimg rebuild, nothing changed', {
          ...again,
          check: `${cached}/${steps.length} steps cached`,
        });
      }
    } finally {
      await registry.stop();
      if (!o.keep) rmrf(root);
    }
  }
}

async function buildahRuns(
  buildah: string,
  o: Options,
  ctx: { dir: string; kubefile: string },
  runs: Runs,
  skopeo: string,
  env: NodeJS.ProcessEnv,
) {
  const root = path.join(o.workdir, 'buildah-root');
  const runroot = path.join(o.workdir, 'buildah-runroot');
  const store = ['--storage-driver', 'vfs', '--root', root, '--runroot', runroot];
  const registry = await startBenchRegistry(path.join(o.workdir, 'registry'));
  try {
    // One commit: the layer is stored uncompressed; push compresses it (gzip, containers/image's default).
    rmrf(root);
    rmrf(runroot);
    const tag = `${REPO}:buildah`;
    const build = record(
      runs,
      'buildah bud (one commit)',
      await measure(buildah, ['bud', ...store, '-f', ctx.kubefile, '-t', tag, ctx.dir], env),
    );
    const push = record(
      runs,
      'buildah push (gzip)',
      await measure(
        buildah,
        ['push', ...store, '--quiet', '--tls-verify=false', tag, `docker://${registry.host}/${tag}`],
        env,
      ),
    );
    record(runs, 'buildah build+push (one commit, gzip)', {
      ...sum(build, push),
      bytes: await pushedBytes(skopeo, `${registry.host}/${tag}`, env),
    });
    await readBack('buildah gzip', skopeo, registry, tag, env);
    // --layers: a fresh store, built, then rebuilt primed (every step from its cache).
    rmrf(root);
    rmrf(runroot);
    const layers = ['bud', ...store, '--layers', '-f', ctx.kubefile, '-t', tag, ctx.dir];
    record(runs, 'buildah bud --layers', await measure(buildah, layers, env));
    const again = await measureOutput(buildah, layers, env);
    const cached = (again.stdout.match(/^--> Using cache /gm) ?? []).length;
    record(runs, 'buildah bud --layers rebuild, primed', { ...again, check: `${cached} steps from cache` });
  } finally {
    await registry.stop();
    if (!o.keep) {
      rmrf(root);
      rmrf(runroot);
    }
  }
}

async function dockerRuns(
  docker: string,
  dockerd: RunningDockerd,
  o: Options,
  ctx: { dir: string; kubefile: string },
  runs: Runs,
  skopeo: string,
  env: NodeJS.ProcessEnv,
) {
  const registry = await startBenchRegistry(path.join(o.workdir, 'registry'));
  // The legacy builder: the buildx plugin is not part of Debian's docker.io; 127.0.0.1 registries are insecure-allowed.
  const denv = { ...env, DOCKER_HOST: dockerd.host, DOCKER_BUILDKIT: '0' };
  try {
    const tag = `${registry.host}/${REPO}:docker`;
    await capture(docker, ['image', 'rm', '-f', tag], denv).catch(() => '');
    await capture(docker, ['builder', 'prune', '-af'], denv).catch(() => '');
    const args = ['build', '-q', '-f', ctx.kubefile, '-t', tag, ctx.dir];
    const build = record(
      runs,
      'docker build',
      await measure(docker, [...args.slice(0, 2), '--no-cache', ...args.slice(2)], denv),
    );
    const push = record(runs, 'docker push', await measure(docker, ['push', '-q', tag], denv));
    record(runs, 'docker build+push', { ...sum(build, push), bytes: await pushedBytes(skopeo, tag, env) });
    await readBack('docker gzip', skopeo, registry, `${REPO}:docker`, env);
    record(runs, 'docker build rebuild, primed', await measure(docker, args, denv));
  } finally {
    await registry.stop();
  }
}

interface Row {
  name: string;
  seconds: number;
  cpu: number | null;
  rssMiB: number | null;
  mib: number | null;
  check: string;
}

function rowOf(name: string, steps: Step[] | undefined): Row | null {
  if (!steps || steps.length === 0) return null;
  const cpus = steps.map(cpuSeconds).filter((x): x is number => x !== null && Number.isFinite(x));
  const rss = steps.map((s) => s.peakRssBytes).filter((x): x is number => x !== null);
  const bytes = steps.map((s) => s.bytes).filter((x): x is number => x !== undefined);
  return {
    name,
    seconds: median(steps.map((s) => s.seconds)),
    cpu: cpus.length ? median(cpus) : null,
    rssMiB: rss.length ? Math.max(...rss) / MiB : null,
    mib: bytes.length ? median(bytes) / MiB : null,
    check: [...new Set(steps.map((s) => s.check).filter(Boolean))].join(' / '),
  };
}

const f = (x: number | null | undefined, d: number) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d);

function table(rows: Row[]): string {
  const head = ['case', 'wall s', 'CPU s', 'peak RSS MiB', 'compressed MiB', 'check'];
  const body = rows.map((r) => [
    r.name,
    f(r.seconds, 2),
    f(r.cpu, 2),
    f(r.rssMiB, 0),
    f(r.mib, 1),
    r.check || '-',
  ]);
  return markdownTable(head, body);
}

interface Target {
  what: string;
  ratio: number | null;
  cpuRatio: number | null;
  max: number;
}

function target(what: string, a: Row | null | undefined, b: Row | null | undefined, max: number): Target {
  const ratio = a && b && b.seconds > 0 ? a.seconds / b.seconds : null;
  const cpuRatio = a?.cpu && b?.cpu ? a.cpu / b.cpu : null;
  return { what, ratio, cpuRatio, max };
}

function targetLine(t: Target): string {
  const verdict = t.ratio === null ? 'n/a' : t.ratio <= t.max ? 'met' : 'NOT met';
  return `${t.what}: ${f(t.ratio, 2)}x wall (${f(t.cpuRatio, 2)}x CPU), target ≤ ${t.max}: ${verdict}`;
}

/** The band of issue 13's first target: kimg's gzip layer within ±3 % of buildah's for a "same size" race. */
const SAME_SIZE_BAND = 0.03;

/** kimg's gzip size against buildah's (default level 6) at `level`, and whether it is inside the band. */
function sizeVersusBuildah(
  level: number,
  kimgMiB: number | null | undefined,
  buildahMiB: number | null | undefined,
): { line: string; percent: number | null; inBand: boolean | null } {
  const what = `gzip size kimg (level ${level}) vs buildah (level 6)`;
  if (!kimgMiB || !buildahMiB) return { line: `${what}: n/a (target ±3 %)`, percent: null, inBand: null };
  const diff = kimgMiB / buildahMiB - 1;
  const inBand = Math.abs(diff) <= SAME_SIZE_BAND;
  return {
    line: `${what}: ${f(kimgMiB, 1)} vs ${f(buildahMiB, 1)} MiB, ${(diff * 100).toFixed(1)} %, target ±3 %: ${inBand ? 'inside' : 'OUTSIDE'}`,
    percent: diff * 100,
    inBand,
  };
}

function gzipLevelOption(text: string): number {
  const level = numberOption('gzip-level', text, 1);
  if (!Number.isInteger(level) || level > 9)
    throw new Error(`--gzip-level ${text}: a whole number from 1 to 9`);
  return level;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions('build'),
      yaml: { type: 'string', default: '200' },
      'gzip-level': { type: 'string', default: '6' },
      'no-docker': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const o: Options = {
    runs: Math.floor(numberOption('runs', values.runs, 1)),
    yaml: Math.floor(numberOption('yaml', values.yaml, 0)),
    only: values.only ?? null,
    gzipLevel: gzipLevelOption(values['gzip-level']),
    docker: !values['no-docker'],
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
    keep: values.keep,
  };
  const skopeo = requireTool('skopeo', 'it reads the pushed manifests');
  requireTool('docker-registry', '');
  const wants = (tool: string) => o.only === null || o.only === tool;
  const kimg = wants('kimg') ? kimgToMeasure(false) : null;
  const buildah = wants('buildah') ? which('buildah') : null;
  const notes: string[] = [];
  if (wants('buildah') && !buildah) notes.push('buildah: not measured: not installed');
  fs.mkdirSync(o.workdir, { recursive: true });
  const made = prepareBinariesContext(o.workdir, o.yaml, o.regen);
  const ctx = { dir: made.contextDir, kubefile: made.kubefile };
  console.log(
    `context: ${made.files} files, ${(made.bytes / MiB).toFixed(0)} MiB (${Object.entries(made.binaries)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}); Kubefile: FROM scratch, COPY . .`,
  );

  // The floor's input: the very tar of the layer kimg builds (same entries, same normalisation).
  const tar = path.join(o.workdir, 'layer.tar');
  const { openBuildContext } = await import('../src/build/context');
  const context = await openBuildContext(ctx.dir);
  await writeLayerFile(context.layerEntries(context.resolveSources(['.'], '/')), `${tar}.tmp`, {
    compression: 'none',
  }).then(() => fs.renameSync(`${tar}.tmp`, tar));
  const floorScript = path.join(repoRoot(), 'dist-bench', 'bench', 'lib', 'compress-floor.js');

  let dockerd: RunningDockerd | null = null;
  const docker = wants('docker') && o.docker ? which('docker') : null;
  if (wants('docker') && o.docker) {
    if (!docker || !which('dockerd')) notes.push('docker: not measured: docker or dockerd not installed');
    else if (process.getuid?.() !== 0) notes.push('docker: not measured: a private dockerd needs root');
    else {
      try {
        dockerd = await startDockerd();
      } catch (err) {
        notes.push(`docker: not measured: dockerd did not start (${(err as Error).message.split('\n')[0]})`);
      }
    }
  }
  const env = skopeoEnv(o.workdir);
  const runs: Runs = new Map();
  console.log(
    `${o.runs} runs; load average at start ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; RSS/CPU via ${rssMethod()}`,
  );
  try {
    for (let i = 0; i < o.runs; i++) {
      for (const kind of ['gzip', 'zstd'] as Kind[]) {
        const level = kind === 'gzip' ? [String(o.gzipLevel)] : [];
        const floor = await measureOutput(process.execPath, [floorScript, tar, kind, ...level]);
        record(runs, `floor ${kind} (tar compressed in one Node process)`, {
          ...floor,
          bytes: Number(floor.stdout.trim()),
        });
      }
      if (kimg) await kimgRuns(kimg, o, ctx, runs, skopeo, env);
      if (buildah) await buildahRuns(buildah, o, ctx, runs, skopeo, env);
      if (docker && dockerd)
        await dockerRuns(docker, dockerd, o, ctx, runs, skopeo, env).catch((err: unknown) =>
          notes.push(`docker: failed: ${(err as Error).message.split('\n')[0]}`),
        );
      console.log(`run ${i + 1}/${o.runs} done`);
    }
  } finally {
    await dockerd?.stop();
    await cleanupHarness();
    if (!o.keep) rmrf(tar);
  }

  const rows = [...runs.entries()]
    .map(([name, steps]) => rowOf(name, steps))
    .filter((r): r is Row => r !== null);
  const get = (name: string) => rows.find((r) => r.name.startsWith(name));
  const targets = [
    target(
      'kimg build+push gzip / buildah one-commit build+push',
      get('kimg build+push gzip'),
      get('buildah build+push'),
      0.8,
    ),
    target('kimg build gzip / gzip floor', get('kimg build gzip'), get('floor gzip'), 1.15),
    target(
      'kimg build+push zstd / buildah one-commit build+push (gzip)',
      get('kimg build+push zstd'),
      get('buildah build+push'),
      0.35,
    ),
    target(
      'kimg rebuild / buildah --layers rebuild, primed',
      get('kimg rebuild'),
      get('buildah bud --layers rebuild'),
      0.2,
    ),
    target('kimg build zstd / zstd floor', get('kimg build zstd'), get('floor zstd'), 1.15),
  ];
  const rebuildRss = get('kimg rebuild')?.rssMiB ?? null;
  const gz = get('kimg build+push gzip')?.mib;
  const bz = get('buildah build+push')?.mib;
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const machine = machineLine(
    { buildah: buildah ? (await capture(buildah, ['--version'])).trim() : 'n/a' },
    kimgRevision(repoRoot()),
  );
  console.log(`\n${machine}\nload average at end: ${load}\n`);
  console.log(table(rows));
  console.log('');
  for (const t of targets) console.log(targetLine(t));
  console.log(
    `kimg cached rebuild peak RSS: ${f(rebuildRss, 0)} MiB, target ≤ 100: ${rebuildRss !== null && rebuildRss <= 100 ? 'met' : 'NOT met'}`,
  );
  const gzipSize = sizeVersusBuildah(o.gzipLevel, gz, bz);
  console.log(gzipSize.line);
  const [first, ...others] = pushed;
  const differences = others
    .map((p) => first && diffFiles(p.image.files, first.image.files, p.who, first.who))
    .filter((d): d is string => typeof d === 'string');
  const filesCheck = first
    ? differences.length === 0
      ? `same files in ${pushed.map((p) => p.who).join(', ')} (${describeFiles(first.image.files)})`
      : `FILES DIFFER: ${differences.join('; ')}`
    : 'no image read back';
  console.log(`check: ${filesCheck}`);
  for (const n of notes) console.log(`note: ${n}`);
  writeJson(o.json, {
    benchmark: 'build',
    date: new Date().toISOString(),
    machine: machineInfo(),
    machineLine: machine,
    load,
    context: made,
    rows,
    targets,
    rebuildRss,
    gzipLevel: o.gzipLevel,
    gzipSizeVsBuildah: gzipSize.percent,
    gzipSizeInBand: gzipSize.inBand,
    notes,
    filesCheck,
    runs: Object.fromEntries(runs),
  });
  console.log(`\nresults: ${o.json}`);
  return differences.length === 0 ? 0 : 1;
}
