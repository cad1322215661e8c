// kimg install (issue 11, "Bench"), two cases, each against its peer in the same run:
//
//   npm run bench -- install [--runs 3] [--rootfs-mb 256] [--images 10] [--base-mb 40] [--own-mb 16]
//
// 1. unpack: a ~256 MiB rootfs image (8 gzip layers, the load-save input's kind) installed into a target with no
//    hooks — `kimg install IMAGE --target T` (the image copied into a fresh store first, untimed) vs
//    `umoci unpack --image LAYOUT:rootfs BUNDLE`. Target ratio ≤ 0.7.
// 2. load + install of a bundle: a toy rootfs and an app that embeds N images (`kimg build`, images/shim, from a
//    docker-registry serving them) saved by `kimg save` into one oci-archive (made once, cached). Timed, fresh
//    state each run:
//      kimg: `kimg load -i bundle.tar` + `kimg install rootfs app` (its registry/ served in place from the store);
//      peer, the sealos-style flow: `skopeo copy oci-archive:bundle.tar:REF oci:STORE:REF` per image (load),
//            `umoci unpack` of each image (everything, registry/ included), then docker-registry started on the
//            unpacked registry/ folder and answering.
//    Both: wall time, and peak disk (bundle + store + unpacked trees, sampled every 100 ms by allocated blocks) as
//    a multiple of the bundle's size. Target: kimg ≤ 2.1 × bundle. Checks: both registries list the N images.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { startRegistry, type RunningRegistry } from '../test/harness/registry';
import { sampleDisk } from './lib/disk-usage';
import { capture, measure, type Sample } from './lib/measure';
import { numberOption, onlyOption, sharedOptions } from './lib/options';
import { kimgToMeasure, repoRoot, requireTool, rmrf } from './lib/paths';
import { writeRandomImage } from './lib/random-image';
import { cleanupHarness, startBenchRegistry } from './lib/registries';
import { kimgRevision, machineLine, ratio, summarize, table, writeJson, type CaseResult } from './lib/report';
import { reuseInput, saveInput, sharedBaseRepo, writeSharedBaseStorage } from './lib/shared-base-images';

const HELP = `usage: npm run bench -- install [options]
  --runs N         timed runs per side, median reported (default 3)
  --rootfs-mb N    file content of the unpack case's rootfs image, MiB (default 256)
  --images N       images embedded in the bundle's app (default 10)
  --base-mb N      their shared base layer, MiB (default 40)
  --own-mb N       each one's own layer, MiB (default 16)
  --only WHICH     run only kimg or only peer
  --workdir DIR    scratch space (default .bench-work/install)
  --json FILE      results file (default bench/results/install.json)
  --regen          regenerate the inputs even if matching ones exist`;

interface Options {
  runs: number;
  rootfsMiB: number;
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
      ...sharedOptions('install'),
      'rootfs-mb': { type: 'string', default: '256' },
      images: { type: 'string', default: '10' },
      'base-mb': { type: 'string', default: '40' },
      'own-mb': { type: 'string', default: '16' },
    },
  });
  if (values.help) return null;
  return {
    runs: Math.floor(numberOption('runs', values.runs, 1)),
    rootfsMiB: numberOption('rootfs-mb', values['rootfs-mb'], 1),
    images: Math.floor(numberOption('images', values.images, 1)),
    baseMiB: numberOption('base-mb', values['base-mb'], 0.01),
    ownMiB: numberOption('own-mb', values['own-mb'], 0.01),
    only: onlyOption(values.only, ['kimg', 'peer']),
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
  };
}

const ROOTFS = 'bench/rootfs:1';
const APP = 'bench/app:1';

/** The unpack case's OCI layout (made once). */
async function rootfsLayout(o: Options): Promise<string> {
  const dir = path.join(o.workdir, 'rootfs-input');
  const params = { version: 1, mib: o.rootfsMiB };
  if (!o.regen && reuseInput(dir, params)) return path.join(dir, 'layout');
  rmrf(dir);
  fs.mkdirSync(dir, { recursive: true });
  await writeRandomImage({
    dir: path.join(dir, 'layout'),
    refName: 'rootfs',
    layers: 8,
    totalBytes: o.rootfsMiB * 2 ** 20,
    seed: 'kimg-bench-install',
  });
  saveInput(dir, params, {});
  return path.join(dir, 'layout');
}

/** The bundle: a toy rootfs + an app embedding N images, `kimg save`d (made once). */
async function bundleInput(o: Options, kimg: string): Promise<{ bundle: string; bytes: number }> {
  const dir = path.join(o.workdir, 'bundle-input');
  const bundle = path.join(dir, 'bundle.tar');
  const spec = { seed: 'kimg-bench-install', images: o.images, baseMiB: o.baseMiB, ownMiB: o.ownMiB };
  const params = { version: 1, ...spec };
  if (!o.regen && reuseInput(dir, params)) return { bundle, bytes: fs.statSync(bundle).size };
  rmrf(dir);
  fs.mkdirSync(dir, { recursive: true });
  const storage = path.join(dir, 'storage');
  await writeSharedBaseStorage(kimg, spec, storage, dir);
  const source: RunningRegistry = await startRegistry({ storageDir: storage });
  const root = path.join(dir, 'build-root');
  try {
    const rootfs = path.join(dir, 'rootfs-ctx');
    fs.mkdirSync(path.join(rootfs, 'scripts'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'scripts', 'init.sh'), 'echo init\n');
    fs.writeFileSync(
      path.join(rootfs, 'Kubefile'),
      'FROM scratch\nLABEL sealos.io.type=rootfs sealos.io.version=v1.29.9 init=init.sh\nCOPY scripts scripts\n',
    );
    await capture(kimg, ['--root', root, '--quiet', 'build', '-t', ROOTFS, rootfs]);
    const app = path.join(dir, 'app-ctx');
    fs.mkdirSync(path.join(app, 'images', 'shim'), { recursive: true });
    const list = Array.from({ length: o.images }, (_, k) => `${source.host}/${sharedBaseRepo(k + 1)}:1`);
    fs.writeFileSync(path.join(app, 'images', 'shim', 'images'), `${list.join('\n')}\n`);
    fs.writeFileSync(
      path.join(app, 'Kubefile'),
      'FROM scratch\nLABEL sealos.io.type=application\nCOPY images images\n',
    );
    await capture(kimg, ['--root', root, '--quiet', 'build', '-t', APP, app]);
    await capture(kimg, ['--root', root, '--quiet', 'save', '-o', bundle, ROOTFS, APP]);
  } finally {
    await source.stop();
    rmrf(root);
    rmrf(storage);
  }
  saveInput(dir, params, {});
  return { bundle, bytes: fs.statSync(bundle).size };
}

async function catalog(url: string): Promise<number> {
  const response = await fetch(`${url}/v2/_catalog`);
  const body = (await response.json()) as { repositories?: string[] };
  return (body.repositories ?? []).length;
}

interface FlowRun {
  sample: Sample;
  peakBytes: number;
  check: string;
}

async function kimgUnpack(o: Options, kimg: string, layout: string): Promise<Sample> {
  const root = path.join(o.workdir, 'unpack-kimg-root');
  const target = path.join(o.workdir, 'unpack-kimg-target');
  rmrf(root);
  rmrf(target);
  await capture(kimg, ['--root', root, '--quiet', 'copy', `oci:${layout}:rootfs`, 'bench/unpack:1']);
  const env = { ...process.env, KIMG_CLUSTERS_DIR: path.join(o.workdir, 'clusters') };
  const sample = await measure(
    kimg,
    ['--root', root, '--quiet', 'install', 'bench/unpack:1', '--cluster', 'unpack', '--target', target],
    env,
  );
  await capture(kimg, ['--root', root, '--quiet', 'uninstall', '--cluster', 'unpack'], env);
  rmrf(root);
  rmrf(target);
  return sample;
}

async function umociUnpack(o: Options, umoci: string, layout: string): Promise<Sample> {
  const bundle = path.join(o.workdir, 'unpack-umoci-bundle');
  rmrf(bundle);
  const sample = await measure(umoci, ['unpack', '--image', `${layout}:rootfs`, bundle]);
  rmrf(bundle);
  return sample;
}

async function kimgFlow(o: Options, kimg: string, bundle: string): Promise<FlowRun> {
  const root = path.join(o.workdir, 'flow-kimg-root');
  const target = path.join(o.workdir, 'flow-kimg-target');
  rmrf(root);
  rmrf(target);
  const env = { ...process.env, KIMG_CLUSTERS_DIR: path.join(o.workdir, 'clusters') };
  const disk = sampleDisk([bundle, root, target]);
  const started = process.hrtime.bigint();
  const load = await measure(kimg, ['--root', root, '--quiet', 'load', '-i', bundle], env);
  const install = await measure(
    kimg,
    [
      '--root',
      root,
      '--quiet',
      '--format',
      'json',
      'install',
      ROOTFS,
      APP,
      '--cluster',
      'flow',
      '--target',
      target,
      '--env',
      'registryPort=0',
    ],
    env,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakBytes = disk.stop();
  const state = JSON.parse(fs.readFileSync(path.join(target, '.kimg', 'state.json'), 'utf8')) as {
    registry?: { url: string };
  };
  const served = state.registry ? await catalog(state.registry.url) : 0;
  await capture(kimg, ['--root', root, '--quiet', 'uninstall', '--cluster', 'flow'], env);
  rmrf(root);
  rmrf(target);
  return {
    sample: {
      ...install,
      seconds,
      peakRssBytes: Math.max(load.peakRssBytes ?? 0, install.peakRssBytes ?? 0) || null,
    },
    peakBytes,
    check: served === o.images ? `${served} images served` : `SERVED ${served}/${o.images}`,
  };
}

async function peerFlow(
  o: Options,
  tools: { skopeo: string; umoci: string },
  bundle: string,
): Promise<FlowRun> {
  const store = path.join(o.workdir, 'flow-peer-store');
  const unpacked = path.join(o.workdir, 'flow-peer-unpacked');
  rmrf(store);
  rmrf(unpacked);
  const disk = sampleDisk([bundle, store, unpacked]);
  const started = process.hrtime.bigint();
  const samples: Sample[] = [];
  for (const [ref, name] of [
    [ROOTFS, 'rootfs'],
    [APP, 'app'],
  ] as const) {
    const full = `docker.io/${ref}`;
    samples.push(
      await measure(tools.skopeo, [
        'copy',
        '--quiet',
        `oci-archive:${bundle}:${full}`,
        `oci:${store}:${name}`,
      ]),
    );
  }
  for (const name of ['rootfs', 'app']) {
    samples.push(
      await measure(tools.umoci, ['unpack', '--image', `${store}:${name}`, path.join(unpacked, name)]),
    );
  }
  const registry = await startBenchRegistry(path.join(unpacked, 'app', 'rootfs', 'registry'), {
    keepStorage: true,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakBytes = disk.stop();
  const served = await catalog(registry.url);
  await registry.stop();
  rmrf(store);
  rmrf(unpacked);
  const rss = samples.map((s) => s.peakRssBytes ?? 0);
  return {
    sample: { seconds, peakRssBytes: Math.max(...rss) || null, userSeconds: null, systemSeconds: null },
    peakBytes,
    check: served === o.images ? `${served} images served` : `SERVED ${served}/${o.images}`,
  };
}

export async function run(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (!o) {
    console.log(HELP);
    return 0;
  }
  const umoci = requireTool('umoci', 'the unpack peer');
  const skopeo = requireTool('skopeo', 'the sealos-style flow loads with it');
  requireTool('docker-registry', 'the source registry, and the sealos-style flow serves with it');
  const kimg = kimgToMeasure(false);
  if (!kimg) return 1;
  fs.mkdirSync(o.workdir, { recursive: true });
  const layout = await rootfsLayout(o);
  const { bundle, bytes } = await bundleInput(o, kimg);
  const unpack = { kimg: [] as Sample[], peer: [] as Sample[] };
  const flow = { kimg: [] as FlowRun[], peer: [] as FlowRun[] };
  try {
    for (let r = 0; r < o.runs; r++) {
      const order: ('kimg' | 'peer')[] = r % 2 === 0 ? ['kimg', 'peer'] : ['peer', 'kimg'];
      for (const which of order) {
        if (o.only !== null && o.only !== which) continue;
        if (which === 'kimg') {
          unpack.kimg.push(await kimgUnpack(o, kimg, layout));
          flow.kimg.push(await kimgFlow(o, kimg, bundle));
        } else {
          unpack.peer.push(await umociUnpack(o, umoci, layout));
          flow.peer.push(await peerFlow(o, { skopeo, umoci }, bundle));
        }
        const last = flow[which][flow[which].length - 1];
        console.log(
          `run ${r + 1} ${which}: unpack ${unpack[which][unpack[which].length - 1]?.seconds.toFixed(2)} s, ` +
            `load+install ${last?.sample.seconds.toFixed(2)} s, peak disk ${((last?.peakBytes ?? 0) / bytes).toFixed(2)} × bundle, ${last?.check}`,
        );
      }
    }
  } finally {
    await cleanupHarness();
  }
  const result = (s: Sample[], check?: string) => (s.length ? summarize(s, check) : null);
  const worst = (runs: FlowRun[]) =>
    runs.map((f) => f.check).find((c) => c.startsWith('SERVED')) ?? runs[0]?.check;
  const unpackK = result(unpack.kimg);
  const unpackP = result(unpack.peer);
  const flowK = result(
    flow.kimg.map((f) => f.sample),
    worst(flow.kimg),
  );
  const flowP = result(
    flow.peer.map((f) => f.sample),
    worst(flow.peer),
  );
  const cases: CaseResult[] = [
    {
      name: `unpack a ${o.rootfsMiB} MiB rootfs image (vs umoci unpack)`,
      kimg: unpackK,
      peer: unpackP,
      ratio: ratio(unpackK, unpackP),
    },
    {
      name: `load + install a ${(bytes / 2 ** 20).toFixed(0)} MiB bundle, ${o.images} embedded images (vs sealos-style)`,
      kimg: flowK,
      peer: flowP,
      ratio: ratio(flowK, flowP),
    },
  ];
  const peak = (runs: FlowRun[]) => (runs.length ? Math.max(...runs.map((f) => f.peakBytes)) / bytes : null);
  const versions = {
    umoci: (await capture(umoci, ['--version'])).trim(),
    skopeo: (await capture(skopeo, ['--version'])).trim(),
  };
  console.log('\n' + machineLine(versions, kimgRevision(repoRoot())));
  console.log(`load average: ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log('\n' + table(cases, 'peer', { peerCheck: true }));
  const fmt = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)} × bundle`);
  console.log(
    `\npeak disk during load + install: kimg ${fmt(peak(flow.kimg))}, sealos-style ${fmt(peak(flow.peer))} (target: kimg ≤ 2.1)`,
  );
  writeJson(o.json, {
    cases,
    bundleBytes: bytes,
    peakDisk: { kimg: peak(flow.kimg), peer: peak(flow.peer) },
  });
  return 0;
}
