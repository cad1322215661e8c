// Registry plumbing shared by the registry and copy benchmarks: real docker-registry instances (the test
// harness's), an optional counting proxy in front of one, skopeo's private environment, manifest-digest checks,
// and a case runner that starts fresh state for every timed run.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { startFaultProxy, type FaultProxy, type ProxyRequestRecord } from '../../test/harness/fault-proxy';
import { startRegistry, type RunningRegistry } from '../../test/harness/registry';
import { removeTempDirs } from '../../test/harness/temp';
import { capture, measure, Sample } from './measure';
import { listenerPid, processCpuSeconds } from './proc';
import { CaseResult, markdownTable, ratio, ReferenceResult, summarize, ToolResult } from './report';
import { rmrf } from './paths';

/** A docker-registry on 127.0.0.1, optionally behind the harness's counting proxy. */
export interface BenchRegistry {
  /** What the tools talk to: the proxy's host when counted, else the registry's. */
  host: string;
  /** The registry itself, for untimed checks that must not be counted. */
  directHost: string;
  url: string;
  /** Requests seen by the proxy (null when not counted). */
  requests: ProxyRequestRecord[] | null;
  /**
   * The docker-registry process, for its CPU time (/proc/PID/stat). The harness's handle does not expose the
   * child, so it is the process listening on the registry's port; null when /proc did not say.
   */
  pid: number | null;
  stop(): Promise<void>;
}

/** Storage folders of stopped registries, removed by `cleanupHarness` once every timed run is over. */
const stoppedStorage: string[] = [];
let registriesStarted = 0;

/**
 * Starts a registry on `storageDir`, or unless `keepStorage` on a new, empty folder beside it. A stopped
 * registry's folder is removed at the end of the bench (`cleanupHarness`), not between runs: this machine's disk
 * is ext4 without a journal, whose inode allocator skips inodes freed in the last 60 s, so deleting a run's ~1,000
 * files right before the next timed run made that run's registry spend up to twice the CPU on the same requests
 * (destination registry 0.55 → 1.19 s within one 15-run `sync` series, for both tools; 0.46–0.53 s with fresh
 * folders). That is a cost of the harness, not of the tools, and no mirror deletes its storage before a sync.
 */
export async function startBenchRegistry(
  given: string,
  opts: { counted?: boolean; keepStorage?: boolean } = {},
): Promise<BenchRegistry> {
  const storageDir = opts.keepStorage ? given : `${given}.${process.pid}.${++registriesStarted}`;
  if (!opts.keepStorage) rmrf(storageDir);
  fs.mkdirSync(storageDir, { recursive: true });
  const reg: RunningRegistry = await startRegistry({ storageDir });
  const proxy = opts.counted ? await startFaultProxy(reg.url).catch(stopOnError(reg)) : null;
  return {
    host: proxy ? proxy.host : reg.host,
    directHost: reg.host,
    url: reg.url,
    requests: proxy ? proxy.requests : null,
    pid: listenerPid(Number(new URL(reg.url).port), 'docker-registry'),
    async stop() {
      await proxy?.stop();
      await reg.stop();
      if (!opts.keepStorage) stoppedStorage.push(storageDir);
    },
  };
}

function stopOnError(reg: RunningRegistry) {
  return async (e: unknown): Promise<never> => {
    await reg.stop();
    throw e;
  };
}

/** A counting proxy in front of an already running registry (for counting the source side of a pull). */
export async function countingProxy(upstreamUrl: string): Promise<FaultProxy> {
  return startFaultProxy(upstreamUrl);
}

/** Removes the harness's temp folders (registry configs and logs) and stopped registries' storage; call once at the end. */
export async function cleanupHarness(): Promise<void> {
  for (const dir of stoppedStorage.splice(0)) rmrf(dir);
  await removeTempDirs();
}

/**
 * The environment skopeo runs in: a private HOME and an empty auth file, so a developer's credentials and
 * registries.conf drop-ins in HOME never change what is measured. (As root, skopeo's blob-info cache lives in
 * /var/lib/containers/cache whatever HOME says; every timed run uses a registry on a new port, so entries from
 * earlier runs never match.)
 */
export function skopeoEnv(workdir: string): NodeJS.ProcessEnv {
  const home = path.join(workdir, 'skopeo-home');
  fs.mkdirSync(home, { recursive: true });
  const authFile = path.join(home, 'auth.json');
  fs.writeFileSync(authFile, '{"auths":{}}', { mode: 0o600 });
  return { ...process.env, HOME: home, REGISTRY_AUTH_FILE: authFile };
}

/** skopeo copy, byte for byte (no recompression of uncompressed layers, as kimg does by default). */
export function skopeoCopyArgs(src: string, dst: string): string[] {
  const tls = [
    ...(src.startsWith('docker://') ? ['--src-tls-verify=false'] : []),
    ...(dst.startsWith('docker://') ? ['--dest-tls-verify=false'] : []),
  ];
  return ['--insecure-policy', 'copy', '--quiet', '--preserve-digests', ...tls, src, dst];
}

export function kimgCopyArgs(root: string, src: string, dst: string): string[] {
  return ['--root', root, '--quiet', 'copy', src, dst];
}

const sha256 = (s: Buffer | string) => 'sha256:' + crypto.createHash('sha256').update(s).digest('hex');

/** The digest of the manifest at `ref` (any skopeo transport), read by skopeo (untimed). */
export async function manifestDigest(skopeo: string, ref: string): Promise<string> {
  const tls = ref.startsWith('docker://') ? ['--tls-verify=false'] : [];
  return sha256(await capture(skopeo, ['inspect', '--raw', ...tls, ref]));
}

/** 'same manifest digest' when every ref holds the wanted manifest, else which ones differ. */
export async function checkDigests(skopeo: string, want: { ref: string; digest: string }[]): Promise<string> {
  const bad: string[] = [];
  for (const w of want) {
    const got = await manifestDigest(skopeo, w.ref).catch(
      (e: Error) => `unreadable (${e.message.split('\n')[0]})`,
    );
    if (got !== w.digest) bad.push(`${w.ref}: ${got.slice(0, 19)}`);
  }
  if (!bad.length) return want.length > 1 ? `same manifest digests (${want.length})` : 'same manifest digest';
  return `MANIFEST DIFFERS: ${bad.length}/${want.length} (${bad[0]})`;
}

/** Requests by method, as counted by the proxy. */
export type RequestCounts = Record<string, number> & { total: number };

export function countRequests(records: readonly { method: string }[]): RequestCounts {
  const counts: RequestCounts = { total: records.length };
  for (const r of records) counts[r.method] = (counts[r.method] ?? 0) + 1;
  return counts;
}

/** One prepared run: the command, then an untimed check and the teardown of whatever the run needed. */
export interface Trial {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  check?: () => Promise<string>;
  /** Requests the counting proxy saw (counted runs only). */
  requests?: () => ProxyRequestRecord[];
  /** Registries whose CPU seconds during the timed command go into the sample, by role ('src', 'dst'). */
  registries?: Record<string, BenchRegistry>;
  done?: () => Promise<void>;
}

/** Prepares a fresh run (registries, empty outputs); `counted` puts the counting proxy where the case says. */
export type TrialFactory = (o: { counted: boolean }) => Promise<Trial>;

export interface RegistryCase {
  name: string;
  kimg: TrialFactory | null;
  peer: TrialFactory | null;
  /** Reference programs ("floors") timed like the tools, interleaved with them; not counted. */
  references?: { name: string; trial: TrialFactory }[];
  /** Where the counting run puts the proxy, for the requests table ('dst' or 'src'); none: not counted. */
  countAt?: 'dst' | 'src';
}

export interface RegistryCaseResult extends CaseResult {
  errors: Record<string, string>;
  countAt?: 'dst' | 'src';
  requests?: { kimg?: RequestCounts; skopeo?: RequestCounts };
}

/** CPU seconds of each registry's process now, by role (null: no pid, or it could not be read). */
function registryCpu(regs: Record<string, BenchRegistry> | undefined): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [role, reg] of Object.entries(regs ?? {}))
    out[role] = reg.pid === null ? null : processCpuSeconds(reg.pid);
  return out;
}

async function runTrial(
  factory: TrialFactory,
  counted: boolean,
): Promise<{ sample: Sample; check?: string; requests?: RequestCounts }> {
  const trial = await factory({ counted });
  try {
    const before = registryCpu(trial.registries);
    const sample = await measure(trial.cmd, trial.args, trial.env);
    const after = registryCpu(trial.registries);
    if (trial.registries) {
      sample.registryCpuSeconds = {};
      for (const [role, b] of Object.entries(before)) {
        const a = after[role];
        sample.registryCpuSeconds[role] = a != null && b != null ? Math.round((a - b) * 1000) / 1000 : null;
      }
    }
    const check = trial.check
      ? await trial.check().catch((e: Error) => `check failed: ${e.message.split('\n')[0]}`)
      : undefined;
    const requests = trial.requests ? countRequests(trial.requests()) : undefined;
    return { sample, check, requests };
  } finally {
    await trial.done?.();
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Runs every tool `runs` times, interleaved and with the first runner alternating (as load-save does), each run on
 * fresh state from its factory; then, when the case is counted, one more untimed run of each tool through the
 * counting proxy. A tool that fails once is not run again in that case.
 */
export async function runRegistryCase(c: RegistryCase, runs: number): Promise<RegistryCaseResult> {
  // Participants: the two tools, then the references ('ref:NAME'); the first runner rotates every run (with
  // only the two tools: alternates), so warm caches and background noise fall on each of them in turn.
  const tools: Record<string, TrialFactory | null> = { kimg: c.kimg, peer: c.peer };
  for (const r of c.references ?? []) tools[`ref:${r.name}`] = r.trial;
  const names = Object.keys(tools);
  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
  const checks: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  const errs: Record<string, string> = {};
  for (let i = 0; i < runs; i++) {
    const order = names.map((_, j) => names[(i + j) % names.length] as string);
    for (const who of order) {
      const factory = tools[who];
      if (!factory || errs[who]) continue;
      try {
        const r = await runTrial(factory, false);
        (samples[who] as Sample[]).push(r.sample);
        if (r.check !== undefined) (checks[who] as string[]).push(r.check);
      } catch (e) {
        errs[who] = errorText(e);
      }
    }
  }
  const requests: RegistryCaseResult['requests'] = {};
  if (c.countAt) {
    for (const who of ['kimg', 'peer'] as const) {
      const factory = tools[who];
      if (!factory || errs[who]) continue;
      try {
        const r = await runTrial(factory, true);
        if (r.check !== undefined) (checks[who] as string[]).push(r.check);
        requests[who === 'peer' ? 'skopeo' : 'kimg'] = r.requests;
      } catch (e) {
        errs[who] = `counted run: ${errorText(e)}`;
      }
    }
  }
  const result = (who: string): ToolResult | null => {
    const s = samples[who] ?? [];
    if (!tools[who] || errs[who] || !s.length) return null;
    const distinct = [...new Set(checks[who])];
    return summarize(s, distinct.length ? distinct.join('; ') : undefined);
  };
  const kimg = result('kimg');
  const peer = result('peer');
  const errors: Record<string, string> = {};
  if (errs.kimg) errors.kimg = errs.kimg;
  if (errs.peer) errors.skopeo = errs.peer;
  const references: ReferenceResult[] = (c.references ?? []).map(({ name }) => {
    const r = result(`ref:${name}`);
    const error = errs[`ref:${name}`];
    return { name, result: r, ratio: ratio(r, peer), ...(error ? { error } : {}) };
  });
  return {
    name: c.name,
    kimg,
    peer,
    ratio: ratio(kimg, peer),
    errors,
    ...(references.length ? { references } : {}),
    ...(c.countAt ? { countAt: c.countAt, requests } : {}),
  };
}

/** Runs the cases in order, printing one progress line each and any failure. */
export async function runRegistryCases(cases: RegistryCase[], runs: number): Promise<RegistryCaseResult[]> {
  const results: RegistryCaseResult[] = [];
  for (const c of cases) {
    process.stdout.write(`running: ${c.name} … `);
    const r = await runRegistryCase(c, runs);
    console.log(
      [
        r.kimg && `kimg ${r.kimg.medianSeconds.toFixed(2)} s`,
        r.peer && `skopeo ${r.peer.medianSeconds.toFixed(2)} s`,
        ...(r.references ?? []).map((x) => x.result && `${x.name} ${x.result.medianSeconds.toFixed(2)} s`),
      ]
        .filter(Boolean)
        .join(', ') || 'no result',
    );
    for (const [tool, msg] of Object.entries(r.errors)) console.error(`  ${tool} failed: ${msg}`);
    for (const x of r.references ?? [])
      if (x.error) console.error(`  reference ${x.name} failed: ${x.error}`);
    results.push(r);
  }
  return results;
}

/** `total (HEAD h, GET g, POST p, PATCH x, PUT u)`, leaving out methods that were not used. */
export function formatCounts(c: RequestCounts | undefined): string {
  if (!c) return 'n/a';
  const parts = ['HEAD', 'GET', 'POST', 'PATCH', 'PUT', 'DELETE']
    .filter((m) => c[m])
    .map((m) => `${m} ${c[m]}`);
  return `${c.total}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** The requests table: one row per counted case, requests each tool made to the counted registry. */
export function requestsTable(results: RegistryCaseResult[]): string {
  const rows = results
    .filter((r) => r.countAt)
    .map((r) => [
      r.name,
      r.countAt === 'src' ? 'source' : 'destination',
      formatCounts(r.requests?.kimg),
      formatCounts(r.requests?.skopeo),
    ]);
  const head = ['case', 'counted at', 'kimg requests', 'skopeo requests'];
  return markdownTable(head, rows);
}
