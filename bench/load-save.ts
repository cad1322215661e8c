// kimg load/save against skopeo copy, in the same run, on the same ~250 MB 8-layer image.
//
//   npm run bench -- load-save [--runs 3] [--size-mb 256] [--layers 8] [--only kimg|skopeo] [--regen] [--keep]
//
// Each case runs every tool --runs times, interleaved (kimg, skopeo, skopeo, kimg, …) so page-cache warmth and
// background noise fall on both; the table shows median seconds, kimg/skopeo, and the largest peak RSS seen.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { capture, measure, rssMethod, Sample } from './lib/measure';
import { kimgToMeasure, rmrf, requireTool, which } from './lib/paths';
import { writeRandomImage, RandomImage } from './lib/random-image';
import { CaseResult, machineInfo, ratio, summarize, table, ToolResult, writeJson } from './lib/report';
import { numberOption, onlyOption, sharedOptions } from './lib/options';

const HELP = `usage: npm run bench -- load-save [options]
  --runs N            timed runs per tool and case, median reported (default 3)
  --size-mb N         uncompressed layer content, MiB (default 256)
  --layers N          layers (default 8)
  --text-fraction F   compressible share of each file, 0..1 (default 0.1)
  --image-name REF    name of the image in the archives (default kimg-bench/image:v1)
  --only TOOL         run only kimg or only skopeo
  --workdir DIR       scratch space, ~2 GB (default .bench-work/load-save)
  --json FILE         results file (default bench/results/load-save.json)
  --regen             regenerate the input image even if a matching one exists
  --keep              keep loaded stores and saved archives`;

interface Options {
  runs: number;
  sizeMiB: number;
  layers: number;
  textFraction: number;
  imageName: string;
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
      ...sharedOptions('load-save'),
      'size-mb': { type: 'string', default: '256' },
      layers: { type: 'string', default: '8' },
      'text-fraction': { type: 'string', default: '0.1' },
      'image-name': { type: 'string', default: 'kimg-bench/image:v1' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const num = numberOption;
  return {
    runs: Math.floor(num('runs', values.runs, 1)),
    sizeMiB: num('size-mb', values['size-mb'], 1),
    layers: Math.floor(num('layers', values.layers, 1)),
    textFraction: Math.min(1, num('text-fraction', values['text-fraction'], 0)),
    imageName: values['image-name'],
    only: onlyOption(values.only, ['kimg', 'skopeo']),
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
    keep: values.keep,
  };
}

interface Inputs {
  ociArchive: string;
  /** `zstd -3 -T0` of ociArchive (the bundle cases; only when the zstd CLI is installed). */
  ociArchiveZst: string | null;
  dockerArchive: string;
  image: RandomImage;
  ociArchiveBytes: number;
  dockerArchiveBytes: number;
}

const SKOPEO_COPY = ['--insecure-policy', 'copy', '--quiet'];

/** The input archives, made once per parameter set and reused across runs of the benchmark. */
async function prepareInputs(o: Options, skopeo: string): Promise<Inputs> {
  const params = {
    sizeMiB: o.sizeMiB,
    layers: o.layers,
    textFraction: o.textFraction,
    imageName: o.imageName,
  };
  const stamp = path.join(o.workdir, 'inputs.json');
  const ociArchive = path.join(o.workdir, 'input.oci.tar');
  const dockerArchive = path.join(o.workdir, 'input.docker.tar');
  const zstd = which('zstd');
  const ociArchiveZst = zstd ? `${ociArchive}.zst` : null;
  const sizes = async () => {
    if (zstd && ociArchiveZst && !fs.existsSync(ociArchiveZst))
      await capture(zstd, ['-q', '-3', '-T0', '-f', ociArchive, '-o', ociArchiveZst]);
    return {
      ociArchiveZst,
      ociArchiveBytes: fs.statSync(ociArchive).size,
      dockerArchiveBytes: fs.statSync(dockerArchive).size,
    };
  };
  if (!o.regen && fs.existsSync(stamp) && fs.existsSync(ociArchive) && fs.existsSync(dockerArchive)) {
    const saved = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { params: unknown; image: RandomImage };
    if (JSON.stringify(saved.params) === JSON.stringify(params)) {
      console.log(`inputs: reusing ${o.workdir} (--regen to rebuild)`);
      return { ociArchive, dockerArchive, image: saved.image, ...(await sizes()) };
    }
  }
  rmrf(o.workdir);
  const layout = path.join(o.workdir, 'source-layout');
  console.log(`inputs: generating ${o.layers} layers, ${o.sizeMiB} MiB of content …`);
  const t0 = Date.now();
  const image = await writeRandomImage({
    dir: layout,
    refName: o.imageName,
    layers: o.layers,
    totalBytes: Math.round(o.sizeMiB * 2 ** 20),
    textFraction: o.textFraction,
  });
  await capture(skopeo, [
    ...SKOPEO_COPY,
    `oci:${layout}:${o.imageName}`,
    `oci-archive:${ociArchive}:${o.imageName}`,
  ]);
  await capture(skopeo, [
    ...SKOPEO_COPY,
    `oci:${layout}:${o.imageName}`,
    `docker-archive:${dockerArchive}:${o.imageName}`,
  ]);
  rmrf(layout);
  fs.writeFileSync(stamp, JSON.stringify({ params, image }, null, 2));
  console.log(`inputs: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { ociArchive, dockerArchive, image, ...(await sizes()) };
}

/** One side of a case: what to clear before a run, the command, and an optional check of its output. */
interface Side {
  output: string;
  cmd: string;
  args: string[];
  check?: () => Promise<string>;
}
interface Case {
  name: string;
  kimg: Side | null;
  peer: Side | null;
}

const sha256 = (s: string) => 'sha256:' + crypto.createHash('sha256').update(s).digest('hex');

async function checkArchive(skopeo: string, ref: string, image: RandomImage, wantSameManifest: boolean) {
  const raw = await capture(skopeo, ['inspect', '--raw', ref]);
  if (wantSameManifest)
    return sha256(raw) === image.manifestDigest ? 'same manifest digest' : 'MANIFEST DIFFERS';
  const config = (JSON.parse(raw) as { config?: { digest?: string } }).config?.digest;
  return config === image.configDigest ? 'same config digest' : 'CONFIG DIFFERS';
}

function cases(o: Options, inp: Inputs, kimg: string | null, skopeo: string): Case[] {
  const d = (...p: string[]) => path.join(o.workdir, ...p);
  const name = o.imageName;
  const k = (root: string, ...args: string[]) =>
    kimg ? { cmd: kimg, args: ['--root', d(root), ...args] } : null;
  const side = (output: string, c: { cmd: string; args: string[] } | null, check?: () => Promise<string>) =>
    c ? { output, ...c, ...(check ? { check } : {}) } : null;
  return [
    {
      name: 'load oci-archive',
      kimg: side(d('kimg-root-oci'), k('kimg-root-oci', 'load', '-i', inp.ociArchive)),
      peer: side(d('skopeo-oci'), {
        cmd: skopeo,
        args: [...SKOPEO_COPY, `oci-archive:${inp.ociArchive}:${name}`, `oci:${d('skopeo-oci')}:${name}`],
      }),
    },
    {
      name: 'load docker-archive',
      kimg: side(d('kimg-root-docker'), k('kimg-root-docker', 'load', '-i', inp.dockerArchive)),
      peer: side(d('skopeo-docker'), {
        cmd: skopeo,
        args: [...SKOPEO_COPY, `docker-archive:${inp.dockerArchive}`, `oci:${d('skopeo-docker')}:${name}`],
      }),
    },
    {
      name: 'save oci-archive',
      kimg: side(
        d('kimg-save.oci.tar'),
        k('kimg-root-oci', 'save', '-o', d('kimg-save.oci.tar'), '--format', 'oci-archive', name),
        () => checkArchive(skopeo, `oci-archive:${d('kimg-save.oci.tar')}`, inp.image, true),
      ),
      peer: side(d('skopeo-save.oci.tar'), {
        cmd: skopeo,
        args: [
          ...SKOPEO_COPY,
          `oci:${d('skopeo-oci')}:${name}`,
          `oci-archive:${d('skopeo-save.oci.tar')}:${name}`,
        ],
      }),
    },
    {
      name: 'save docker-archive',
      kimg: side(
        d('kimg-save.docker.tar'),
        k('kimg-root-oci', 'save', '-o', d('kimg-save.docker.tar'), '--format', 'docker-archive', name),
        () => checkArchive(skopeo, `docker-archive:${d('kimg-save.docker.tar')}`, inp.image, false),
      ),
      peer: side(d('skopeo-save.docker.tar'), {
        cmd: skopeo,
        args: [
          ...SKOPEO_COPY,
          `oci:${d('skopeo-oci')}:${name}`,
          `docker-archive:${d('skopeo-save.docker.tar')}:${name}`,
        ],
      }),
    },
    ...bundleCases(o, inp, kimg, skopeo),
  ];
}

/**
 * Bundles for the gap (issue 11): a zstd bundle saved and loaded by kimg (one pass, no temp copy) against the
 * peer's two steps, `skopeo copy` to an oci-archive then the zstd CLI (and back: `zstd -d`, then `skopeo copy`).
 * Compare with the plain rows above for what compression costs. Only when the zstd CLI is installed.
 */
function bundleCases(o: Options, inp: Inputs, kimg: string | null, skopeo: string): Case[] {
  const zstd = which('zstd');
  if (!zstd || !inp.ociArchiveZst) return [];
  const d = (...p: string[]) => path.join(o.workdir, ...p);
  const name = o.imageName;
  const q = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  const sh = (script: string) => ({ cmd: 'sh', args: ['-c', script] });
  return [
    {
      name: 'load zstd bundle',
      kimg: kimg
        ? {
            output: d('kimg-root-zst'),
            cmd: kimg,
            args: ['--root', d('kimg-root-zst'), 'load', '-i', inp.ociArchiveZst],
          }
        : null,
      peer: {
        output: d('skopeo-zst'),
        ...sh(
          `mkdir -p ${q(d('skopeo-zst'))} && zstd -q -d -f ${q(inp.ociArchiveZst)} -o ${q(d('skopeo-zst', 'in.tar'))} && ` +
            `${q(skopeo)} ${SKOPEO_COPY.join(' ')} oci-archive:${q(d('skopeo-zst', 'in.tar'))}:${q(name)} oci:${q(d('skopeo-zst', 'oci'))}:${q(name)}`,
        ),
      },
    },
    {
      name: 'save zstd bundle',
      kimg: kimg
        ? {
            output: d('kimg-save.tar.zst'),
            cmd: kimg,
            args: ['--root', d('kimg-root-oci'), 'save', '-o', d('kimg-save.tar.zst'), name],
          }
        : null,
      peer: {
        output: d('skopeo-save.tar.zst'),
        ...sh(
          `${q(skopeo)} ${SKOPEO_COPY.join(' ')} oci:${q(d('skopeo-oci'))}:${q(name)} oci-archive:${q(d('skopeo-save.tar'))}:${q(name)} && ` +
            `zstd -q -3 -T0 --rm -f ${q(d('skopeo-save.tar'))} -o ${q(d('skopeo-save.tar.zst'))}`,
        ),
      },
    },
  ];
}

async function runSide(side: Side, samples: Sample[], errors: string[]) {
  if (errors.length) return; // a tool that failed once is not timed again in this case
  rmrf(side.output);
  try {
    samples.push(await measure(side.cmd, side.args));
  } catch (e) {
    errors.push(e instanceof Error ? e.message : String(e));
  }
}

async function runCase(c: Case, runs: number): Promise<CaseResult & { errors: Record<string, string> }> {
  const s = { kimg: [] as Sample[], peer: [] as Sample[] };
  const errs = { kimg: [] as string[], peer: [] as string[] };
  for (let i = 0; i < runs; i++) {
    // Alternate who goes first so neither always runs on a cache the other warmed.
    const order: ('kimg' | 'peer')[] = i % 2 === 0 ? ['kimg', 'peer'] : ['peer', 'kimg'];
    for (const who of order) {
      const side = c[who];
      if (side) await runSide(side, s[who], errs[who]);
    }
  }
  const result = async (side: Side | null, samples: Sample[], e: string[]): Promise<ToolResult | null> => {
    if (!side || e.length || !samples.length) return null;
    let check: string | undefined;
    if (side.check)
      check = await side.check().catch((err: Error) => `check failed: ${err.message.split('\n')[0]}`);
    return summarize(samples, check);
  };
  const kimg = await result(c.kimg, s.kimg, errs.kimg);
  const peer = await result(c.peer, s.peer, errs.peer);
  const errors: Record<string, string> = {};
  if (errs.kimg[0]) errors.kimg = errs.kimg[0];
  if (errs.peer[0]) errors.skopeo = errs.peer[0];
  return { name: c.name, kimg, peer, ratio: ratio(kimg, peer), errors };
}

export async function run(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (!o) {
    console.log(HELP);
    return 0;
  }
  const skopeo = requireTool('skopeo', 'it makes the inputs and is the peer');
  const kimg = kimgToMeasure(o.only === 'skopeo');
  fs.mkdirSync(o.workdir, { recursive: true });
  const inputs = await prepareInputs(o, skopeo);
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(
    `image: ${o.layers} layers, ${mib(inputs.image.compressedBytes)} MiB gzip; oci-archive ${mib(inputs.ociArchiveBytes)} MiB, ` +
      `docker-archive ${mib(inputs.dockerArchiveBytes)} MiB; ${o.runs} runs each; peak RSS via ${rssMethod()}`,
  );

  const results = [];
  for (const c of cases(o, inputs, kimg, skopeo)) {
    if (o.only === 'kimg') c.peer = null;
    process.stdout.write(`running: ${c.name} … `);
    const r = await runCase(c, o.runs);
    console.log(
      [
        r.kimg && `kimg ${r.kimg.medianSeconds.toFixed(2)} s`,
        r.peer && `skopeo ${r.peer.medianSeconds.toFixed(2)} s`,
      ]
        .filter(Boolean)
        .join(', ') || 'no result',
    );
    for (const [tool, msg] of Object.entries(r.errors)) console.error(`  ${tool} failed: ${msg}`);
    results.push(r);
  }

  console.log('\n' + table(results, 'skopeo', { cpu: true }));
  const skopeoVersion = (await capture(skopeo, ['--version'])).trim();
  writeJson(o.json, {
    benchmark: 'load-save',
    date: new Date().toISOString(),
    machine: machineInfo(),
    peers: { skopeo: skopeoVersion },
    rssMethod: rssMethod(),
    params: {
      runs: o.runs,
      sizeMiB: o.sizeMiB,
      layers: o.layers,
      textFraction: o.textFraction,
      imageName: o.imageName,
    },
    input: {
      manifestDigest: inputs.image.manifestDigest,
      gzipBytes: inputs.image.compressedBytes,
      ociArchiveBytes: inputs.ociArchiveBytes,
      dockerArchiveBytes: inputs.dockerArchiveBytes,
    },
    cases: results.map((r) => ({ ...r, skopeo: r.peer, peer: undefined })),
  });
  console.log(`\nresults: ${o.json}`);

  if (!o.keep) {
    for (const entry of fs.readdirSync(o.workdir)) {
      if (!entry.startsWith('input')) rmrf(path.join(o.workdir, entry));
    }
  }
  const failed = results.some((r) => Object.keys(r.errors).length > 0);
  return failed ? 1 : 0;
}
