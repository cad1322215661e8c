import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isKimgError } from '../../src/errors';
import { parseSyncFile } from '../../src/sync';
import {
  kimg,
  makeTempDir,
  removeTempDirs,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness';
import { writeSyncFile } from './sync-fixtures';

function problem(text: string): string {
  try {
    parseSyncFile(text, 'sync.yaml');
  } catch (err) {
    if (isKimgError(err, 'SYNC_CONFIG_INVALID')) return err.message;
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('parseSyncFile: skopeo sync YAML plus our keys', () => {
  it("reads skopeo's keys and ours", () => {
    const [quay, local] = parseSyncFile(
      `quay.io:
  images:
    coreos/etcd: ["v3.5.0", "sha256:${'a'.repeat(64)}"]
    busybox: []
  images-by-tag-regex:
    nginx: ^1\\.2[0-9]
  images-by-semver:
    alpine: ">= 3.12.0"
  tls-verify: false
  credentials: { username: u, password: p }
  cert-dir: /etc/certs
  platforms: [linux/amd64, linux/arm64/v8]
  referrers: true
  digest-tags: true
  exclude: ["-debug$"]
  concurrency: 2
localhost:5000:
  images:
    app:
`,
      'sync.yaml',
    );
    expect(quay?.images.get('coreos/etcd')).toEqual(['v3.5.0', `sha256:${'a'.repeat(64)}`]);
    expect(quay?.images.get('busybox')).toEqual([]);
    expect(quay?.tagPatterns.get('nginx')?.test('1.25-alpine')).toBe(true);
    expect(quay?.tagPatterns.get('nginx')?.test('1.19')).toBe(false);
    expect(quay?.semverRanges.get('alpine')).toBe('>= 3.12.0');
    expect(quay).toMatchObject({
      tlsVerify: false,
      credentials: { username: 'u', password: 'p' },
      certDir: '/etc/certs',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
      referrers: true,
      digestTags: true,
      concurrency: 2,
    });
    expect(quay?.exclude[0]?.test('app:1-debug')).toBe(true);
    expect(local?.images.get('app')).toEqual([]);
  });

  it('names the key path and line of an unknown key, a bad regex and a bad semver range, all at once', () => {
    const message = problem(`quay.io:
  images:
    a: [x]
  images-by-tag-regex:
    b: '(unclosed'
  images-by-semver:
    c: '>= banana'
  tls_verify: false
`);
    expect(message).toContain('sync.yaml:8: quay.io > tls_verify: unknown key "tls_verify"');
    expect(message).toContain(
      'sync.yaml:5: quay.io > images-by-tag-regex > b: regular expression "(unclosed"',
    );
    expect(message).toContain('sync.yaml:7: quay.io > images-by-semver > c: semver range ">= banana"');
  });

  it('refuses a regex that could backtrack exponentially, and wrong types, with their lines', () => {
    expect(problem(`r.io:\n  exclude:\n    - ok\n    - '(a+)+$'\n`)).toMatch(
      /^sync\.yaml:4: r\.io > exclude > 1: .*repeated group/,
    );
    expect(problem(`r.io:\n  concurrency: many\n`)).toMatch(/^sync\.yaml:2: r\.io > concurrency: /);
    expect(problem(`r.io:\n  platforms: [linux/]\n`)).toMatch(/^sync\.yaml:2: r\.io > platforms > 0: /);
    expect(problem(`r.io: [\n`)).toMatch(/^sync\.yaml:\d+: /);
  });
});

describe('kimg sync -f with a bad file', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await removeTempDirs();
  });

  it('exits 1 naming key path and line, and contacts no registry', async () => {
    const file = await writeSyncFile(`${proxy.host}:
  images:
    app: ["1"]
  images-by-semver:
    app: "~> 1.0 <"
`);
    const result = await kimg(['sync', '-f', file, `${proxy.host}/mirror`], { root: await makeTempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`sync.yaml:5: ${proxy.host} > images-by-semver > app: semver range`);
    expect(result.stderr).toContain('nothing was copied');
    expect(proxy.requests).toEqual([]);
  });
});
