import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RegistryClient } from '../../src/registry';
import { createRegistryClient } from '../../src/transport/registry';
import { writeRandomImage } from '../fixtures/random-image';
import { kimg, makeTempDir, removeTempDirs, startRegistry, type RunningRegistry } from '../harness';
import { pushLayout } from '../transport/registry-helpers';
import { writeSyncFile } from './sync-fixtures';

// `kimg sync host/repo:tag DST --all-tags` between two real docker-registry instances: the tag in SRC only
// names the repository, every tag of it is copied (issue 12 deliverable 1: "--all-tags or a tag filter").
const TAGS = ['one', 'two', 'three'];
let source: RunningRegistry;
let target: RunningRegistry;
let client: RegistryClient;
let root: string;
const digests = new Map<string, string>();

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  client = createRegistryClient();
  root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir('kimg-all-tags-');
  for (const [n, tag] of TAGS.entries()) {
    const image = await writeRandomImage(layout, { ref: tag, seed: 700 + n, layers: 1, fileSize: 256 });
    await pushLayout(client, layout, tag, `docker://${source.host}/team/app:${tag}`);
    digests.set(tag, image.manifestDigest);
  }
  // A neighbour repository that --all-tags must leave alone.
  await pushLayout(client, layout, 'one', `docker://${source.host}/team/other:one`);
}, 60_000);
afterAll(async () => {
  await client?.close();
  await Promise.all([source?.stop(), target?.stop()]);
  await removeTempDirs();
});

describe('kimg sync IMAGE DST --all-tags', () => {
  it('copies every tag of the repository of IMAGE, digests equal, and nothing else', async () => {
    const run = await kimg(
      ['sync', `${source.host}/team/app:one`, `${target.host}/mirror`, '--all-tags', '--format', 'json'],
      { root },
    );
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { planned: number; copied: { source: string }[] };
    expect(report.copied.map((entry) => entry.source).sort()).toEqual(
      TAGS.map((tag) => `${source.host}/team/app:${tag}`).sort(),
    );
    const mirror = client.repository(target.host, 'mirror/app');
    expect((await mirror.listTags()).sort()).toEqual([...TAGS].sort());
    for (const tag of TAGS) {
      expect({ tag, digest: (await mirror.headManifest(tag))?.digest }).toEqual({
        tag,
        digest: digests.get(tag),
      });
    }
    await expect(client.repository(target.host, 'mirror/other').listTags()).rejects.toThrow(/NAME_UNKNOWN/);
  }, 30_000);

  it('refuses --all-tags with --tags or with -f (exit 2), naming the flags, and copies nothing', async () => {
    const both = await kimg(
      ['sync', `${source.host}/team/app`, `${target.host}/refused`, '--all-tags', '--tags', '^t'],
      { root },
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('kimg: error: --all-tags and --tags both say which tags to copy');
    expect(both.stderr).toContain('kimg: hint: keep --tags REGEX for the matching tags only, or --all-tags');

    const file = await writeSyncFile(`${source.host}:\n  images:\n    team/app: ["one"]\n`);
    const withFile = await kimg(['sync', '-f', file, `${target.host}/refused`, '--all-tags'], { root });
    expect(withFile.code).toBe(2);
    expect(withFile.stderr).toContain(
      'kimg: error: --all-tags is for SOURCE, not -f: the file says which tags',
    );
    expect(withFile.stderr).toContain('kimg: hint: drop --all-tags and list the repository with []');

    await expect(client.repository(target.host, 'refused/app').listTags()).rejects.toThrow(/NAME_UNKNOWN/);
  }, 30_000);
});
