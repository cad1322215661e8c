import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseShard, parseSyncDestination, parseSyncFile } from '../../src/sync';
import { REPO_ROOT } from '../harness';

// docs/sync.md's Job and CronJob are what users copy: the fields kimg reads must be right (issue 12 item 7).
const page = readFileSync(join(REPO_ROOT, 'docs', 'sync.md'), 'utf8');
const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] as string);

interface Container {
  args: string[];
  env?: { name: string; value: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy: string;
  containers: Container[];
  volumes: { name: string; configMap?: object; secret?: object; emptyDir?: object }[];
}
interface JobSpec {
  completionMode: string;
  completions: number;
  parallelism: number;
  template: { spec: PodSpec };
}

function manifest(kind: string): Record<string, unknown> {
  const found = blocks
    .map((text) => parse(text) as Record<string, unknown>)
    .find((doc) => doc?.kind === kind);
  if (!found) throw new Error(`docs/sync.md has no ${kind}`);
  return found;
}

/** The checks kimg's side of an Indexed Job needs: shard N = completions, files and store where mounted. */
function checkJobSpec(spec: JobSpec): void {
  expect(spec.completionMode).toBe('Indexed');
  expect(spec.parallelism).toBeLessThanOrEqual(spec.completions);
  expect(spec.template.spec.restartPolicy).toBe('Never');
  const [container] = spec.template.spec.containers;
  const args = container?.args ?? [];
  expect(args[0]).toBe('sync');
  const shardText = args[args.indexOf('--shard') + 1] as string;
  // Every pod index Kubernetes hands out is a valid shard, and N is the Job's completions.
  for (let index = 0; index < spec.completions; index++) {
    expect(parseShard(shardText, { JOB_COMPLETION_INDEX: String(index) })).toEqual({
      index,
      count: spec.completions,
    });
  }
  const file = args[args.indexOf('-f') + 1] as string;
  const destination = args[args.indexOf('-f') + 2] as string;
  expect(parseSyncDestination(destination).kind).toBe('registry');
  const mountOf = (path: string) =>
    container?.volumeMounts?.find(
      (mount) => path.startsWith(`${mount.mountPath}/`) || path === mount.mountPath,
    );
  const volumeOf = (path: string) => spec.template.spec.volumes.find((v) => v.name === mountOf(path)?.name);
  expect(volumeOf(file)?.configMap).toBeDefined();
  const env = new Map((container?.env ?? []).map((e) => [e.name, e.value]));
  expect(volumeOf(env.get('KIMG_ROOT') as string)?.emptyDir).toBeDefined();
  const authFile = env.get('REGISTRY_AUTH_FILE');
  if (authFile !== undefined) expect(volumeOf(authFile)?.secret).toBeDefined();
}

describe('docs/sync.md', () => {
  it('has an Indexed Job whose pods shard the sync with --shard auto/N', () => {
    const job = manifest('Job');
    expect(job.apiVersion).toBe('batch/v1');
    checkJobSpec(job.spec as JobSpec);
  });

  it('has a nightly CronJob running the same sharded sync, one at a time', () => {
    const cron = manifest('CronJob');
    const spec = cron.spec as { schedule: string; concurrencyPolicy: string; jobTemplate: { spec: JobSpec } };
    expect(spec.schedule.split(' ')).toHaveLength(5);
    expect(spec.concurrencyPolicy).toBe('Forbid');
    checkJobSpec(spec.jobTemplate.spec);
  });

  it("shows a sync file kimg accepts, with skopeo's keys and ours", () => {
    const example = blocks.find((text) => text.includes('images-by-semver')) as string;
    const [source] = parseSyncFile(example, 'docs/sync.md');
    expect(source?.semverRanges.size).toBe(1);
    expect(source?.concurrency).toBe(8);
  });
});
