// `kimg registry serve --image` vs `docker-registry` on the same registry storage unpacked: N images pulled by C
// concurrent skopeo clients, in the same run, on the same input (issue 10, "Bench").
//
//   npm run bench -- serve [--runs 3] [--images 10] [--clients 4] [--base-mb 24] [--own-mb 6] [--only kimg|registry]
//
// Input (untimed, cached in the workdir): an OCI layout of N images sharing one base layer plus one layer of their
// own (gzip, as pulled images are); `kimg copy … registry-dir:STORAGE:bench/img-I:1` writes the registry storage;
// `kimg build --compression none` puts it in a cluster image's registry/ layer.
// Servers (started once): `kimg registry serve --image bench/cluster:1` and `docker-registry` with
// storage.filesystem.rootdirectory = STORAGE (the folder the image's registry/ would unpack to).
// Timed: all N images pulled by C skopeo workers (`skopeo copy --preserve-digests docker://… dir:…`), wall time of
// the whole job; runs interleaved, the first server alternating. Peak RSS and CPU seconds are the server's.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { spawn, type ChildProcess } from 'child_process';
import { parseArgs } from 'util';
import { startRegistry } from '../test/harness/registry';
import { capture, Sample } from './lib/measure';
import { numberOption, onlyOption, sharedOptions } from './lib/options';
import { kimgToMeasure, repoRoot, requireTool, rmrf } from './lib/paths';
import { listenerPid, processCpuSeconds } from './lib/proc';
import type { LayoutEntry } from './lib/random-image';
import { reuseInput, saveInput, sharedBaseRepo, writeSharedBaseStorage } from './lib/shared-base-images';
import { cleanupHarness, skopeoEnv } from './lib/registries';
import {
  CaseResult,
  kimgRevision,
  machineInfo,
  machineLine,
  ratio,
  summarize,
  table,
  writeJson,
} from './lib/report';

const HELP = `usage: npm run bench -- serve [options]
  --runs N        timed runs per server, median reported (default 3)
  --images N      images in the registry storage (default 10)
  --clients N     concurrent skopeo clients (default 4)
  --base-mb N     content of the base layer every image shares, MiB (default 24)
  --own-mb N      content of each image's own layer, MiB (default 6)
  --only WHICH    run only kimg or only registry (docker-registry)
  --workdir DIR   scratch space (default .bench-work/serve)
  --json FILE     results file (default bench/results/serve.json)
  --regen         regenerate the input even if a matching one exists`;

interface Options {
  runs: number;
  images: number;
  clients: number;
  baseMiB: number;
  ownMiB: number;
  only: 'kimg' | 'registry' | null;
  workdir: string;
  json: string;
  regen: boolean;
}

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions('serve'),
      images: { type: 'string', default: '10' },
      clients: { type: 'string', default: '4' },
      'base-mb': { type: 'string', default: '24' },
      'own-mb': { type: 'string', default: '6' },
    },
  });
  if (values.help) return null;
  return {
    runs: Math.floor(numberOption('runs', values.runs, 1)),
    images: Math.floor(numberOption('images', values.images, 1)),
    clients: Math.floor(numberOption('clients', values.clients, 1)),
    baseMiB: numberOption('base-mb', values['base-mb'], 0.01),
    ownMiB: numberOption('own-mb', values['own-mb'], 0.01),
    only: onlyOption(values.only, ['kimg', 'registry']),
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
  };
}

const INPUT_VERSION = 2;
const CLUSTER = 'bench/cluster:1';
const repo = sharedBaseRepo;

interface Input {
  storage: string;
  root: string;
  entries: LayoutEntry[];
}

/** The registry storage and the cluster image holding it; cached while the parameters match. */
async function prepareInput(o: Options, kimg: string): Promise<Input> {
  const dir = path.join(o.workdir, 'input');
  const spec = { seed: 'kimg-bench-serve', images: o.images, baseMiB: o.baseMiB, ownMiB: o.ownMiB };
  const params = { version: INPUT_VERSION, ...spec };
  const storage = path.join(dir, 'context', 'registry');
  const root = path.join(dir, 'kimg-root');
  const saved = o.regen ? null : reuseInput<LayoutEntry[]>(dir, params);
  if (saved) return { storage, root, entries: saved };
  rmrf(dir);
  const t0 = Date.now();
  const { entries } = await writeSharedBaseStorage(kimg, spec, storage, dir);
  fs.writeFileSync(path.join(dir, 'context', 'Kubefile'), 'FROM scratch\nCOPY registry /registry/\n');
  await capture(kimg, [
    '--root',
    root,
    '--quiet',
    'build',
    '--compression',
    'none',
    '-t',
    CLUSTER,
    path.join(dir, 'context'),
  ]);
  saveInput(dir, params, entries);
  console.log(`inputs: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { storage, root, entries };
}

interface Server {
  host: string;
  pid: number | null;
  stop(): Promise<void>;
}

async function startKimgServe(kimg: string, root: string): Promise<Server> {
  const child: ChildProcess = spawn(
    kimg,
    ['--root', root, 'registry', 'serve', '--image', CLUSTER, '--addr', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`kimg registry serve exited ${code}`)));
  });
  return {
    host: new URL(url).host,
    pid: child.pid ?? null,
    stop: async () => {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startDockerRegistry(storage: string): Promise<Server> {
  const reg = await startRegistry({ storageDir: storage });
  return {
    host: reg.host,
    pid: listenerPid(Number(new URL(reg.url).port), 'docker-registry'),
    stop: () => reg.stop(),
  };
}

function peakRssBytes(pid: number | null): number | null {
  if (pid === null) return null;
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : null;
}

/** Pulls every image with `clients` workers; returns the wall time, the server's RSS/CPU and the check. */
async function pullAll(
  o: Options,
  server: Server,
  entries: LayoutEntry[],
  skopeo: string,
): Promise<{ sample: Sample; check: string }> {
  const out = path.join(o.workdir, 'pulled');
  rmrf(out);
  fs.mkdirSync(out, { recursive: true });
  const env = skopeoEnv(o.workdir);
  const cpuBefore = server.pid === null ? null : processCpuSeconds(server.pid);
  const queue = entries.map((_, i) => i + 1);
  const wrong: string[] = [];
  const started = process.hrtime.bigint();
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const dir = path.join(out, `img-${i}`);
      await capture(
        skopeo,
        [
          '--insecure-policy',
          'copy',
          '--quiet',
          '--preserve-digests',
          '--src-tls-verify=false',
          `docker://${server.host}/${repo(i)}:1`,
          `dir:${dir}`,
        ],
        env,
      );
      const digest =
        'sha256:' +
        crypto
          .createHash('sha256')
          .update(fs.readFileSync(path.join(dir, 'manifest.json')))
          .digest('hex');
      if (digest !== entries[i - 1]?.manifestDigest) wrong.push(repo(i));
    }
  };
  await Promise.all(Array.from({ length: o.clients }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = server.pid === null ? null : processCpuSeconds(server.pid);
  rmrf(out);
  const cpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
  return {
    sample: {
      seconds,
      peakRssBytes: peakRssBytes(server.pid),
      userSeconds: cpu,
      systemSeconds: cpu === null ? null : 0,
    },
    check:
      wrong.length === 0
        ? `same manifest digests (${entries.length})`
        : `MANIFEST DIFFERS: ${wrong.join(', ')}`,
  };
}

export async function run(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (!o) {
    console.log(HELP);
    return 0;
  }
  const skopeo = requireTool('skopeo', 'it is the client');
  requireTool('docker-registry', 'it is the peer');
  const kimg = kimgToMeasure(false);
  if (!kimg) return 1;
  fs.mkdirSync(o.workdir, { recursive: true });
  const input = await prepareInput(o, kimg);
  const servers: { kimg?: Server; registry?: Server } = {};
  const samples: { kimg: Sample[]; registry: Sample[] } = { kimg: [], registry: [] };
  const checks: { kimg: string[]; registry: string[] } = { kimg: [], registry: [] };
  try {
    if (o.only !== 'registry') servers.kimg = await startKimgServe(kimg, input.root);
    if (o.only !== 'kimg') servers.registry = await startDockerRegistry(input.storage);
    const order: ('kimg' | 'registry')[] = ['kimg', 'registry'];
    for (let r = 0; r < o.runs; r++) {
      for (const which of r % 2 === 0 ? order : [...order].reverse()) {
        const server = servers[which];
        if (!server) continue;
        const { sample, check } = await pullAll(o, server, input.entries, skopeo);
        samples[which].push(sample);
        checks[which].push(check);
        console.log(`run ${r + 1} ${which}: ${sample.seconds.toFixed(2)} s, ${check}`);
      }
    }
  } finally {
    await servers.kimg?.stop();
    await servers.registry?.stop();
    await cleanupHarness();
  }
  const result = (which: 'kimg' | 'registry') =>
    samples[which].length
      ? summarize(samples[which], checks[which].find((c) => !c.startsWith('same')) ?? checks[which][0])
      : null;
  const kimgResult = result('kimg');
  const registryResult = result('registry');
  const name = `${o.images} images, ${o.clients} skopeo clients`;
  const cases: CaseResult[] = [
    { name, kimg: kimgResult, peer: registryResult, ratio: ratio(kimgResult, registryResult) },
  ];
  const skopeoVersion = (await capture(skopeo, ['--version'])).trim();
  const revision = kimgRevision(repoRoot());
  console.log(
    '\n' + machineLine({ skopeo: skopeoVersion, registry: 'docker-registry (distribution 2.8)' }, revision),
  );
  console.log(`load average: ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log("(RSS and CPU columns are the servers', over the whole run)");
  console.log('\n' + table(cases, 'registry', { peerCheck: true, cpu: true }));
  console.log(
    `\nserver CPU seconds per pull job (median): kimg ${fmt(kimgResult?.cpuSeconds)}, docker-registry ${fmt(registryResult?.cpuSeconds)}`,
  );
  writeJson(o.json, {
    benchmark: 'serve',
    date: new Date().toISOString(),
    machine: machineInfo(),
    loadAverage: fs.readFileSync('/proc/loadavg', 'utf8').trim(),
    kimg: revision,
    peers: { skopeo: skopeoVersion },
    params: { runs: o.runs, images: o.images, clients: o.clients, baseMiB: o.baseMiB, ownMiB: o.ownMiB },
    cases: cases.map((c) => ({
      ...c,
      registry: c.peer,
      peer: undefined,
    })),
  });
  console.log(`\nresults: ${o.json}`);
  const failed = [...checks.kimg, ...checks.registry].some((c) => !c.startsWith('same'));
  return failed ? 1 : 0;
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
