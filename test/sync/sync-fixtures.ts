import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodedPart } from '../../src/digest';
import { MediaType } from '../../src/manifest';
import type { RegistryClient } from '../../src/registry';
import { writeMultiArchLayout } from '../fixtures/multi-arch';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import {
  makeTempDir,
  REPO_ROOT,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness';
import { artifact, body, pushLayout, stack } from '../transport/registry-helpers';

/** A sync's two ends: two real docker-registry instances, each behind a counting proxy. */
export interface RegistryPair {
  source: RunningRegistry;
  target: RunningRegistry;
  sourceProxy: FaultProxy;
  targetProxy: FaultProxy;
  stop(): Promise<void>;
}

export async function startRegistryPair(): Promise<RegistryPair> {
  const [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  const [sourceProxy, targetProxy] = await Promise.all([
    startFaultProxy(source.url),
    startFaultProxy(target.url),
  ]);
  return {
    source,
    target,
    sourceProxy,
    targetProxy,
    async stop() {
      await Promise.all([sourceProxy.stop(), targetProxy.stop()]);
      await Promise.all([source.stop(), target.stop()]);
    },
  };
}

/** One image of the seeded source registry: `repo:tag` (no host) and its digest. */
export interface SeededImage {
  repo: string;
  tag: string;
  digest: string;
}

export interface SeededRegistry {
  images: SeededImage[];
  /** The layers every `apps/*` image starts with. */
  baseLayers: string[];
  signed: { digest: string; artifact: string; sigTag: string };
}

export const APP_TAGS = ['1.0.0', '1.0.1', '1.0.2'];

/**
 * 30 small images in `host`: 27 `apps/appN:1.0.K` sharing two base layers (a few KB each), a two-platform
 * index under two tags (`multi:1`, `multi:2`), and `signed:1` with an OCI artifact attached through the
 * referrers tag schema (distribution 2.8 has no referrers API) and a cosign `.sig` tag.
 */
export async function seedRegistry(client: RegistryClient, host: string): Promise<SeededRegistry> {
  const layout = await makeTempDir('kimg-sync-seed-');
  const base = await writeRandomImage(layout, { seed: 1, layers: 2, filesPerLayer: 2, fileSize: 2048 });
  const refs: string[] = [];
  for (let i = 0; i < 27; i++) {
    const top = await writeRandomImage(layout, { seed: 100 + i, layers: 1, filesPerLayer: 1, fileSize: 512 });
    refs.push(await stack(layout, base, top, `img${i}`));
  }
  // distribution 2.8 fails concurrent uploads of one blob (DIGEST_INVALID), even into different repositories:
  // each repository's first image goes alone (the base layers then are in every repository), the rest at once.
  const push = async (n: number): Promise<SeededImage> => {
    const repo = `apps/app${Math.floor(n / 3)}`;
    const tag = APP_TAGS[n % 3] as string;
    const pushed = await pushLayout(client, layout, refs[n] as string, `docker://${host}/${repo}:${tag}`);
    return { repo, tag, digest: pushed.images[0]?.descriptor.digest as string };
  };
  const images: SeededImage[] = new Array(refs.length);
  for (let n = 0; n < refs.length; n += 3) images[n] = await push(n);
  await Promise.all(
    refs.map(async (_, n) => {
      if (n % 3 !== 0) images[n] = await push(n);
    }),
  );
  for (const [tag, seed] of [
    ['1', 10],
    ['2', 20],
  ] as const) {
    const dir = await makeTempDir('kimg-sync-multi-');
    const multi = await writeMultiArchLayout(dir, 'm', seed);
    await pushLayout(client, dir, 'm', `docker://${host}/multi:${tag}`);
    images.push({ repo: 'multi', tag, digest: multi.index.digest });
  }
  const signedDir = await makeTempDir('kimg-sync-signed-');
  const signed: FixtureImage = await writeRandomImage(signedDir, { ref: '1', seed: 12 });
  await pushLayout(client, signedDir, '1', `docker://${host}/signed:1`);
  images.push({ repo: 'signed', tag: '1', digest: signed.manifestDigest });
  const repo = client.repository(host, 'signed', { push: true });
  const sig = artifact(signed.manifestDescriptor, 'sync');
  await repo.pushBlob(sig.emptyDesc, body(sig.empty));
  await repo.pushBlob(sig.payloadDesc, body(sig.payload));
  await repo.putManifest(sig.desc.digest, sig.bytes, MediaType.OciManifest); // + the sha256-<hex> fallback tag
  const sigTag = `sha256-${encodedPart(signed.manifestDigest)}.sig`;
  await repo.putManifest(sigTag, sig.bytes, MediaType.OciManifest, { referrersFallback: false });
  return {
    images,
    baseLayers: base.layers.map((layer) => layer.digest),
    signed: { digest: signed.manifestDigest, artifact: sig.desc.digest, sigTag },
  };
}

/**
 * A sync file naming all 30 images in every way skopeo's format can: listed tags, every tag, a tag regex,
 * semver ranges. `signed` is read through `direct` (the same registry without the counting proxy) so that
 * only it copies referrers and digest tags.
 */
export function syncFileText(proxied: string, direct: string): string {
  return `# 30 images: 27 apps sharing base layers, a two-platform index under two tags, one signed image
${proxied}:
  images:
    apps/app0: []
    apps/app1: ["1.0.0", "1.0.1", "1.0.2"]
    apps/app2:
    multi: []
  images-by-tag-regex:
    apps/app3: '^1\\.0\\.'
    apps/app4: '.*'
    apps/app5: '^1'
  images-by-semver:
    apps/app6: '>= 1.0.0'
    apps/app7: '^1.0.0'
    apps/app8: '1.0.x'
  concurrency: 4
${direct}:
  images:
    signed: ["1"]
  referrers: true
  digest-tags: true
`;
}

export async function writeSyncFile(text: string): Promise<string> {
  const file = join(await makeTempDir('kimg-sync-file-'), 'sync.yaml');
  await writeFile(file, text);
  return file;
}

/** Destination name of a source repository without `--scoped`: its last path component (skopeo's rule). */
export function baseName(repo: string): string {
  return repo.split('/').pop() as string;
}

/** `kimg ARGS` as a child we can SIGKILL; resolves with its exit code or signal. */
export function spawnKimg(args: string[], root: string) {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'kimg'), ...args], {
    env: { ...process.env, KIMG_ROOT: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}
