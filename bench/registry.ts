// Push and pull of an image with one big layer to/from a local docker-registry: kimg copy vs skopeo copy, in the
// same run, at two layer sizes, to show time ratios and that peak RSS stays flat as the blob grows.
//
//   npm run bench -- registry [--runs 3] [--sizes-mb 100,1024] [--only kimg|skopeo] [--regen] [--keep]
//
// push: `kimg copy oci:DIR:bench docker://HOST/bench/big:1` into a registry started on empty storage for every
//       run, vs `skopeo copy --preserve-digests --dest-tls-verify=false` of the same.
// pull: `kimg copy docker://HOST/bench/big-N:1 oci:OUT:bench` from one registry filled once (untimed), into an
//       empty OUT every run, vs `skopeo copy --preserve-digests --src-tls-verify=false`.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { capture, rssMethod } from './lib/measure';
import { kimgToMeasure, repoRoot, rmrf, requireTool } from './lib/paths';
import { LayoutEntry, writeLayerBlob, writeLayout } from './lib/random-image';
import {
  BenchRegistry,
  checkDigests,
  cleanupHarness,
  kimgCopyArgs,
  RegistryCase,
  RegistryCaseResult,
  runRegistryCases,
  skopeoCopyArgs,
  skopeoEnv,
  startBenchRegistry,
} from './lib/registries';
import { kimgRevision, machineInfo, machineLine, table, writeJson } from './lib/report';
import { numberOption, onlyOption, sharedOptions } from './lib/options';

const HELP = `usage: npm run bench -- registry [options]
  --runs N          timed runs per tool and case, median reported (default 3)
  --sizes-mb LIST   sizes of the big layer, MiB, comma-separated (default 100,1024)
  --small-mb N      content of the second, small gzip layer, MiB (default 1)
  --only TOOL       run only kimg or only skopeo
  --workdir DIR     scratch space, ~3.5 GB with the defaults (default .bench-work/registry)
  --json FILE       results file (default bench/results/registry.json)
  --regen           regenerate the input images even if matching ones exist
  --keep            keep the pull registry's storage (the input layouts are always kept)`;

interface Options {
  runs: number;
  sizesMiB: number[];
  smallMiB: number;
  only: 'kimg' | 'skopeo' | null;
  workdir: string;
  json: string;
  regen: boolean;
  keep: boolean;
}

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions('registry'),
      'sizes-mb': { type: 'string', default: '100,1024' },
      'small-mb': { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const num = numberOption;
  return {
    runs: Math.floor(num('runs', values.runs, 1)),
    sizesMiB: values['sizes-mb'].split(',').map((s) => num('sizes-mb', s.trim(), 1)),
    smallMiB: num('small-mb', values['small-mb'], 0.001),
    only: onlyOption(values.only, ['kimg', 'skopeo']),
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
    keep: values.keep,
  };
}

const REF = 'bench';
/** Bumped when the generator's output changes, so cached inputs are rebuilt. */
const INPUT_VERSION = 1;

interface Input {
  sizeMiB: number;
  dir: string;
  entry: LayoutEntry;
}

/**
 * One OCI layout per size: a big layer of AES-CTR keystream (incompressible) stored as an uncompressed tar
 * (application/vnd.oci.image.layer.v1.tar, so making it costs no gzip), and a small gzip layer. Streamed to disk;
 * cached in the workdir while the parameters match.
 */
async function prepareInput(o: Options, sizeMiB: number): Promise<Input> {
  const dir = path.join(o.workdir, `input-${sizeMiB}mb`);
  const stamp = path.join(dir, 'input.json');
  const params = { version: INPUT_VERSION, sizeMiB, smallMiB: o.smallMiB };
  if (!o.regen && fs.existsSync(stamp)) {
    const saved = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { params: unknown; entry: LayoutEntry };
    if (JSON.stringify(saved.params) === JSON.stringify(params)) {
      console.log(`inputs: reusing ${dir} (--regen to rebuild)`);
      return { sizeMiB, dir, entry: saved.entry };
    }
  }
  rmrf(dir);
  const t0 = Date.now();
  console.log(`inputs: generating a ${sizeMiB} MiB uncompressed layer + ${o.smallMiB} MiB gzip layer …`);
  const blobDir = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobDir, { recursive: true });
  const seed = `kimg-bench-registry-${sizeMiB}`;
  const big = await writeLayerBlob(blobDir, {
    seed,
    index: 0,
    bytes: Math.round(sizeMiB * 2 ** 20),
    textFraction: 0,
    compression: 'none',
  });
  const small = await writeLayerBlob(blobDir, {
    seed,
    index: 1,
    bytes: Math.round(o.smallMiB * 2 ** 20),
    textFraction: 0.5,
    compression: 'gzip',
  });
  const [entry] = writeLayout(dir, [{ ref: REF, layers: [big, small], label: `registry-${sizeMiB}` }]);
  if (!entry) throw new Error('no image written');
  fs.writeFileSync(stamp, JSON.stringify({ params, entry }, null, 2));
  console.log(`inputs: ${dir} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { sizeMiB, dir, entry };
}

const repoFor = (sizeMiB: number) => `bench/big-${sizeMiB}`;

function cases(
  o: Options,
  inputs: Input[],
  pullRegistry: BenchRegistry,
  kimg: string | null,
  skopeo: string,
): RegistryCase[] {
  const w = (...p: string[]) => path.join(o.workdir, ...p);
  const sEnv = skopeoEnv(o.workdir);
  const out: RegistryCase[] = [];
  for (const inp of inputs) {
    const src = `oci:${inp.dir}:${REF}`;
    const push = (tool: 'kimg' | 'skopeo', bin: string) => async () => {
      const reg = await startBenchRegistry(w(`registry-push-${tool}`));
      const dst = `docker://${reg.host}/bench/big:1`;
      const root = w(`kimg-root`);
      rmrf(root);
      return {
        cmd: bin,
        args: tool === 'kimg' ? kimgCopyArgs(root, src, dst) : skopeoCopyArgs(src, dst),
        env: tool === 'kimg' ? process.env : sEnv,
        check: () => checkDigests(skopeo, [{ ref: dst, digest: inp.entry.manifestDigest }]),
        done: async () => {
          await reg.stop();
          rmrf(root);
        },
      };
    };
    const pull = (tool: 'kimg' | 'skopeo', bin: string) => async () => {
      const dir = w(`pull-${tool}`);
      const root = w(`kimg-root`);
      rmrf(dir);
      rmrf(root);
      const srcRef = `docker://${pullRegistry.host}/${repoFor(inp.sizeMiB)}:1`;
      const dst = `oci:${dir}:${REF}`;
      return {
        cmd: bin,
        args: tool === 'kimg' ? kimgCopyArgs(root, srcRef, dst) : skopeoCopyArgs(srcRef, dst),
        env: tool === 'kimg' ? process.env : sEnv,
        check: () => checkDigests(skopeo, [{ ref: dst, digest: inp.entry.manifestDigest }]),
        done: async () => {
          rmrf(dir);
          rmrf(root);
        },
      };
    };
    const label = inp.sizeMiB >= 1024 ? `${+(inp.sizeMiB / 1024).toFixed(2)} GiB` : `${inp.sizeMiB} MiB`;
    out.push({
      name: `push ${label} layer`,
      kimg: kimg ? push('kimg', kimg) : null,
      peer: o.only === 'kimg' ? null : push('skopeo', skopeo),
    });
    out.push({
      name: `pull ${label} layer`,
      kimg: kimg ? pull('kimg', kimg) : null,
      peer: o.only === 'kimg' ? null : pull('skopeo', skopeo),
    });
  }
  return out;
}

/** kimg's (and skopeo's) peak RSS at the smallest and the largest layer, per direction. */
function flatness(results: RegistryCaseResult[], sizes: number[]): string[] {
  const lines: string[] = [];
  if (sizes.length < 2) return lines;
  const sorted = [...sizes].sort((a, b) => a - b);
  const lo = sorted[0] as number;
  const hi = sorted[sorted.length - 1] as number;
  for (const dir of ['push', 'pull']) {
    const at = (i: number) => results.filter((r) => r.name.startsWith(dir))[sizes.indexOf(i)];
    const a = at(lo);
    const b = at(hi);
    const fmt = (x: number | null | undefined) =>
      x === null || x === undefined ? 'n/a' : `${x.toFixed(0)} MiB`;
    lines.push(
      `${dir}: peak RSS at ${lo} MiB → ${hi} MiB layer: kimg ${fmt(a?.kimg?.peakRssMiB)} → ${fmt(b?.kimg?.peakRssMiB)}, ` +
        `skopeo ${fmt(a?.peer?.peakRssMiB)} → ${fmt(b?.peer?.peakRssMiB)}`,
    );
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
  const inputs: Input[] = [];
  for (const size of o.sizesMiB) inputs.push(await prepareInput(o, size));

  // The pull source: one registry, filled once by skopeo (untimed), read by every pull run.
  const pullStorage = path.join(o.workdir, 'registry-pull');
  const pullRegistry = await startBenchRegistry(pullStorage, { keepStorage: o.keep });
  let results: RegistryCaseResult[] = [];
  try {
    const sEnv = skopeoEnv(o.workdir);
    for (const inp of inputs) {
      const dst = `docker://${pullRegistry.host}/${repoFor(inp.sizeMiB)}:1`;
      await capture(skopeo, skopeoCopyArgs(`oci:${inp.dir}:${REF}`, dst), sEnv);
      const check = await checkDigests(skopeo, [{ ref: dst, digest: inp.entry.manifestDigest }]);
      if (!check.startsWith('same')) throw new Error(`pull source: ${check}`);
    }
    const skopeoVersion = (await capture(skopeo, ['--version'])).trim();
    const revision = kimgRevision(repoRoot());
    console.log(
      `image: one uncompressed layer of ${o.sizesMiB.join(' / ')} MiB + ${o.smallMiB} MiB gzip layer; ` +
        `${o.runs} runs each; peak RSS via ${rssMethod()}`,
    );
    results = await runRegistryCases(cases(o, inputs, pullRegistry, kimg, skopeo), o.runs);

    console.log('\n' + machineLine({ skopeo: skopeoVersion }, revision));
    console.log('\n' + table(results, 'skopeo', { peerCheck: true, cpu: true }));
    const flat = flatness(results, o.sizesMiB);
    if (flat.length) console.log('\n' + flat.join('\n'));
    writeJson(o.json, {
      benchmark: 'registry',
      date: new Date().toISOString(),
      machine: machineInfo(),
      kimg: revision,
      peers: { skopeo: skopeoVersion },
      rssMethod: rssMethod(),
      params: { runs: o.runs, sizesMiB: o.sizesMiB, smallMiB: o.smallMiB },
      inputs: inputs.map((i) => ({ sizeMiB: i.sizeMiB, ...i.entry })),
      cases: results.map((r) => ({ ...r, skopeo: r.peer, peer: undefined })),
      rssFlatness: flat,
    });
    console.log(`\nresults: ${o.json}`);
  } finally {
    await pullRegistry.stop();
    await cleanupHarness();
    for (const entry of fs.readdirSync(o.workdir)) {
      if (!entry.startsWith('input-') && !(o.keep && entry === 'registry-pull'))
        rmrf(path.join(o.workdir, entry));
    }
  }
  const failed = results.some((r) => Object.keys(r.errors).length > 0);
  return failed ? 1 : 0;
}
