import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaType, type Descriptor } from '../../src/manifest';
import { makeTempDir } from '../harness';
import { writeMultiArchLayout, type MultiArchFixture } from '../fixtures/multi-arch';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { copyLayoutToRegistryDir } from '../transport/registry-dir-fixtures';

/** A registry storage written by `registry-dir:` (the real copy engine), with what serving must show. */
export interface ServeFixture {
  /** The folder holding docker/registry/v2. */
  storage: string;
  app: FixtureImage;
  tool: FixtureImage;
  multi: MultiArchFixture;
  /** An artifact whose subject is `app`'s manifest, stored under the referrers tag schema. */
  referrer: Descriptor;
  referrerArtifactType: string;
  /** Every image as `repository:tag` → root digest. */
  images: Map<string, string>;
}

export const ARTIFACT_TYPE = 'application/vnd.example.sbom';

/** app (three layers, five tags), team/tool, a multi-arch index, and a referrer of app. */
export async function writeServeFixture(): Promise<ServeFixture> {
  const layout = await makeTempDir();
  const storage = await makeTempDir('kimg-serve-storage-');
  const app = await writeRandomImage(layout, { ref: 'app', seed: 21, layers: 3 });
  const tool = await writeRandomImage(layout, { ref: 'tool', seed: 22, layers: 2, mediaTypes: 'docker' });
  const appTags = ['1', '2', '3', 'latest', 'v1.0'];
  await copyLayoutToRegistryDir(
    layout,
    'app',
    storage,
    appTags.map((tag) => `app:${tag}`),
  );
  await copyLayoutToRegistryDir(layout, 'tool', storage, ['quay.io/team/tool:2']);
  const multiDir = await makeTempDir();
  const multi = await writeMultiArchLayout(multiDir, 'multi', 30);
  await copyLayoutToRegistryDir(multiDir, 'multi', storage, ['multi:1']);

  const referrer = await writeArtifact(layout, 'sig', app.manifestDescriptor);
  const fallbackTag = `sha256-${app.manifestDigest.slice('sha256:'.length)}`;
  await copyLayoutToRegistryDir(layout, 'sig', storage, [`app:${fallbackTag}`]);

  const images = new Map<string, string>();
  for (const tag of appTags) images.set(`library/app:${tag}`, app.manifestDigest);
  images.set('team/tool:2', tool.manifestDigest);
  images.set('library/multi:1', multi.index.digest);
  images.set(`library/app:${fallbackTag}`, referrer.digest);
  return {
    storage,
    app,
    tool,
    multi,
    referrer,
    referrerArtifactType: ARTIFACT_TYPE,
    images,
  };
}

/** An OCI artifact (empty config, one payload layer) whose subject is `subject`, added to the layout as `ref`. */
async function writeArtifact(layout: string, ref: string, subject: Descriptor): Promise<Descriptor> {
  const empty = await writeBlob(layout, Buffer.from('{}'), MediaType.OciEmpty);
  const payload = await writeBlob(layout, Buffer.from('{"sbom":true}'), 'application/spdx+json');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: ARTIFACT_TYPE,
      config: empty,
      layers: [payload],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { 'org.example.kind': 'sbom' },
    }),
  );
  const descriptor = await writeBlob(layout, manifest, MediaType.OciManifest);
  const indexPath = join(layout, 'index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: Descriptor[] };
  index.manifests.push({ ...descriptor, annotations: { 'org.opencontainers.image.ref.name': ref } });
  await writeFile(indexPath, JSON.stringify(index));
  return descriptor;
}

async function writeBlob(layout: string, bytes: Buffer, mediaType: string): Promise<Descriptor> {
  const hex = createHash('sha256').update(bytes).digest('hex');
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(layout, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}
