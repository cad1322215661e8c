// One small 8-layer image, `kimg copy` vs `skopeo copy`, registry → registry, with both registries behind a
// latency proxy (~40 ms per request, as over a WAN; issue 12 "Bench": target ≤ 0.7), and on loopback:
//
//   npm run bench -- copy-latency [--runs 5] [--layers 8] [--layer-kb 256] [--delay-ms 40] [--only kimg|skopeo]
//
// With small blobs the time is round trips, not bytes: start-up, pings (and https probes of plain registries),
// manifest checks, upload sessions, manifest PUTs. The proxies count every request per side, and the https
// probes (TLS handshakes tried on their plain-http ports), so the table says where the round trips went.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { startLatencyProxy, type LatencyProxy } from './lib/latency-proxy';
import { capture, measure, rssMethod, type Sample } from './lib/measure';
import { numberOption, onlyOption, sharedOptions } from './lib/options';
import { kimgToMeasure, repoRoot, requireTool, rmrf } from './lib/paths';
import { writeLayerBlob, writeLayout, type LayoutEntry, type WrittenLayer } from './lib/random-image';
import {
  checkDigests,
  cleanupHarness,
  countRequests,
  formatCounts,
  skopeoCopyArgs,
  skopeoEnv,
  startBenchRegistry,
  type BenchRegistry,
  type RequestCounts,
} from './lib/registries';
import {
  kimgRevision,
  machineInfo,
  machineLine,
  markdownTable,
  ratio,
  summarize,
  table,
  writeJson,
  type CaseResult,
} from './lib/report';

const HELP = `usage: npm run bench -- copy-latency [options]
  --runs N          timed runs per tool and case, median reported (default 5)
  --layers N        layers of the image (default 8)
  --layer-kb N      content of each layer, KiB (default 256)
  --delay-ms N      latency the proxies add to every request (default 40)
  --only TOOL       run only kimg or only skopeo
  --no-loopback     skip the loopback case (no proxies)
  --workdir DIR     scratch space (default .bench-work/copy-latency)
  --json FILE       results file (default bench/results/copy-latency.json)
  --regen           regenerate the input image`;

interface Options {
  runs: number;
  layers: number;
  layerKiB: number;
  delayMs: number;
  only: 'kimg' | 'skopeo' | null;
  loopback: boolean;
  workdir: string;
  json: string;
  regen: boolean;
}

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions('copy-latency'),
      runs: { type: 'string', default: '5' },
      layers: { type: 'string', default: '8' },
      'layer-kb': { type: 'string', default: '256' },
      'delay-ms': { type: 'string', default: '40' },
      'no-loopback': { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  return {
    runs: Math.floor(numberOption('runs', values.runs, 1)),
    layers: Math.floor(numberOption('layers', values.layers, 1)),
    layerKiB: numberOption('layer-kb', values['layer-kb'], 1),
    delayMs: numberOption('delay-ms', values['delay-ms'], 0),
    only: onlyOption(values.only, ['kimg', 'skopeo']),
    loopback: !values['no-loopback'],
    workdir: path.resolve(values.workdir),
    json: path.resolve(values.json),
    regen: values.regen,
  };
}

const REPO = 'bench/latency';
const TAG = 'v1';
const INPUT_VERSION = 1;

/** The input image as an OCI layout, generated once and reused while the parameters match. */
async function prepareInput(o: Options): Promise<{ dir: string; image: LayoutEntry }> {
  const dir = path.join(o.workdir, 'input');
  const stamp = path.join(o.workdir, 'input.json');
  const params = { version: INPUT_VERSION, layers: o.layers, layerKiB: o.layerKiB };
  if (!o.regen && fs.existsSync(stamp) && fs.existsSync(dir)) {
    const saved = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { params: unknown; image: LayoutEntry };
    if (JSON.stringify(saved.params) === JSON.stringify(params)) return { dir, image: saved.image };
  }
  rmrf(dir);
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const layers: WrittenLayer[] = [];
  for (let i = 0; i < o.layers; i++) {
    const bytes = Math.round(o.layerKiB * 1024);
    layers.push(
      await writeLayerBlob(blobs, { seed: 'kimg-bench-latency', index: i, bytes, textFraction: 0.5 }),
    );
  }
  const [image] = writeLayout(dir, [{ ref: TAG, layers, label: 'copy-latency' }]);
  if (!image) throw new Error('no image written');
  fs.writeFileSync(stamp, JSON.stringify({ params, image }, null, 2));
  return { dir, image };
}

type Tool = 'kimg' | 'skopeo';

interface SideCounts {
  src: RequestCounts;
  dst: RequestCounts;
  /** TLS handshakes tried on the proxies' plain-http ports (https probes), source + destination. */
  tlsProbes: number;
}

interface RunResult {
  sample: Sample;
  check: string;
  counts?: SideCounts;
}

/**
 * One timed copy into a fresh destination registry; with `delayMs`, both registries are reached through new
 * latency proxies (new connections every run, as a new process has), which count the requests.
 */
async function runOnce(
  tool: Tool,
  bin: string,
  o: Options,
  src: BenchRegistry,
  digest: string,
  delayMs: number | null,
  skopeo: string,
  env: NodeJS.ProcessEnv,
): Promise<RunResult> {
  const dst = await startBenchRegistry(path.join(o.workdir, `registry-dst-${tool}`));
  const proxies: LatencyProxy[] = [];
  const root = path.join(o.workdir, 'kimg-root');
  rmrf(root);
  try {
    let srcHost = src.host;
    let dstHost = dst.host;
    if (delayMs !== null) {
      const [srcProxy, dstProxy] = [
        await startLatencyProxy(src.url, delayMs),
        await startLatencyProxy(dst.url, delayMs),
      ];
      proxies.push(srcProxy, dstProxy);
      srcHost = srcProxy.host;
      dstHost = dstProxy.host;
    }
    const from = `docker://${srcHost}/${REPO}:${TAG}`;
    const to = `docker://${dstHost}/${REPO}:${TAG}`;
    // Both tools told the same thing: these registries need not be https (skopeo's --*-tls-verify=false).
    const args =
      tool === 'kimg'
        ? ['--root', root, '--quiet', '--tls-verify=false', 'copy', from, to]
        : skopeoCopyArgs(from, to);
    const sample = await measure(bin, args, env);
    const check = await checkDigests(skopeo, [{ ref: `docker://${dst.directHost}/${REPO}:${TAG}`, digest }]);
    const [srcProxy, dstProxy] = proxies;
    const counts =
      srcProxy && dstProxy
        ? {
            src: countRequests(srcProxy.requests),
            dst: countRequests(dstProxy.requests),
            tlsProbes: srcProxy.tlsProbes() + dstProxy.tlsProbes(),
          }
        : undefined;
    return { sample, check, ...(counts && { counts }) };
  } finally {
    for (const proxy of proxies) await proxy.stop();
    await dst.stop();
    rmrf(root);
  }
}

interface LatencyCase extends CaseResult {
  counts: Partial<Record<Tool, SideCounts>>;
}

/** Runs both tools `runs` times, interleaved with the first runner alternating; medians and the last counts. */
async function runCase(
  name: string,
  tools: Partial<Record<Tool, string>>,
  run: (tool: Tool, bin: string) => Promise<RunResult>,
  runs: number,
): Promise<LatencyCase> {
  const order = (['kimg', 'skopeo'] as const).filter((t) => tools[t] !== undefined);
  const samples: Record<Tool, Sample[]> = { kimg: [], skopeo: [] };
  const checks: Record<Tool, Set<string>> = { kimg: new Set(), skopeo: new Set() };
  const counts: Partial<Record<Tool, SideCounts>> = {};
  const errors: Record<string, string> = {};
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < order.length; j++) {
      const tool = order[(i + j) % order.length] as Tool;
      if (errors[tool]) continue;
      try {
        const r = await run(tool, tools[tool] as string);
        samples[tool].push(r.sample);
        checks[tool].add(r.check);
        if (r.counts) counts[tool] = r.counts;
      } catch (e) {
        errors[tool] = e instanceof Error ? e.message : String(e);
      }
    }
  }
  const result = (tool: Tool) =>
    samples[tool].length && !errors[tool] ? summarize(samples[tool], [...checks[tool]].join('; ')) : null;
  const kimg = result('kimg');
  const peer = result('skopeo');
  return { name, kimg, peer, ratio: ratio(kimg, peer), errors, counts };
}

function countsTable(cases: LatencyCase[]): string {
  const rows: string[][] = [];
  for (const c of cases) {
    for (const tool of ['kimg', 'skopeo'] as const) {
      const k = c.counts[tool];
      if (k) rows.push([c.name, tool, formatCounts(k.src), formatCounts(k.dst), String(k.tlsProbes)]);
    }
  }
  const head = ['case', 'tool', 'source requests', 'destination requests', 'https probes'];
  return markdownTable(head, rows);
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
  const input = await prepareInput(o);
  const sEnv = skopeoEnv(o.workdir);
  const tools: Partial<Record<Tool, string>> = {
    ...(kimg && { kimg }),
    ...(o.only !== 'kimg' && { skopeo }),
  };
  const env = (tool: Tool) => (tool === 'kimg' ? process.env : sEnv);
  const src = await startBenchRegistry(path.join(o.workdir, 'registry-src'));
  const results: LatencyCase[] = [];
  try {
    await capture(
      skopeo,
      skopeoCopyArgs(`oci:${input.dir}:${TAG}`, `docker://${src.host}/${REPO}:${TAG}`),
      sEnv,
    );
    const digest = input.image.manifestDigest;
    const fill = await checkDigests(skopeo, [{ ref: `docker://${src.host}/${REPO}:${TAG}`, digest }]);
    if (!fill.startsWith('same')) throw new Error(`source registry: ${fill}`);
    const kib = (input.image.layerBytes / 1024).toFixed(0);
    console.log(
      `image: ${o.layers} gzip layers, ${kib} KiB; ${o.runs} runs per tool and case; RSS/CPU via ${rssMethod()}`,
    );
    const cases: { name: string; delay: number | null }[] = [
      { name: `registry→registry, ${o.delayMs} ms per request`, delay: o.delayMs },
      ...(o.loopback ? [{ name: 'registry→registry, loopback', delay: null }] : []),
    ];
    for (const c of cases) {
      process.stdout.write(`running: ${c.name} … `);
      const r = await runCase(
        c.name,
        tools,
        (tool, bin) => runOnce(tool, bin, o, src, digest, c.delay, skopeo, env(tool)),
        o.runs,
      );
      console.log(
        [
          r.kimg && `kimg ${r.kimg.medianSeconds.toFixed(2)} s`,
          r.peer && `skopeo ${r.peer.medianSeconds.toFixed(2)} s`,
        ]
          .filter(Boolean)
          .join(', ') || 'no result',
      );
      for (const [tool, msg] of Object.entries(r.errors ?? {})) console.error(`  ${tool} failed: ${msg}`);
      results.push(r);
    }
    const skopeoVersion = (await capture(skopeo, ['--version'])).trim();
    const revision = kimgRevision(repoRoot());
    console.log('\n' + machineLine({ skopeo: skopeoVersion }, revision));
    console.log('\n' + table(results, 'skopeo', { peerCheck: true, cpu: true }));
    console.log('\n' + countsTable(results));
    const wan = results[0];
    if (wan?.ratio != null)
      console.log(`\ntarget (issue 12): kimg/skopeo ≤ 0.70 over latency — ${wan.ratio.toFixed(2)}`);
    writeJson(o.json, {
      benchmark: 'copy-latency',
      date: new Date().toISOString(),
      machine: machineInfo(),
      kimg: revision,
      peers: { skopeo: skopeoVersion },
      params: { ...o, workdir: undefined, json: undefined },
      input: input.image,
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
  return results.some((r) => Object.keys(r.errors ?? {}).length > 0) ? 1 : 0;
}
