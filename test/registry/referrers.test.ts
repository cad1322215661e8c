import { digestOf } from '../../src/digest';
import { MediaType } from '../../src/manifest/media-types';
import { referrersTag } from '../../src/registry';
import { removeTempDirs, startRegistry, type RunningRegistry } from '../harness';
import { blob, opener, pushImage, testClient } from './helpers';

/** distribution 2.8 has no referrers API: everything goes through the `sha256-<hex>` tag schema fallback. */
describe('referrers against docker-registry (tag schema fallback)', () => {
  let registry: RunningRegistry;
  const { client } = testClient();

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await client.close();
    await registry?.stop();
    await removeTempDirs();
  });

  async function pushArtifact(
    name: string,
    subject: { mediaType: string; digest: string; size: number },
    artifactType: string,
    seed: string,
  ) {
    const repo = client.repository(registry.host, name, { push: true });
    const empty = Buffer.from('{}');
    const emptyDesc = { mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: 2 };
    await repo.pushBlob(emptyDesc, opener(empty).open);
    const payload = blob(seed, 100, 'application/vnd.example.payload');
    await repo.pushBlob(payload.desc, opener(payload.bytes).open);
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType,
        config: emptyDesc,
        layers: [payload.desc],
        subject,
        annotations: { 'org.example.seed': seed },
      }),
    );
    const pushed = await repo.putManifest(digestOf(bytes), bytes, MediaType.OciManifest);
    return { mediaType: MediaType.OciManifest, digest: pushed.digest, size: bytes.length };
  }

  it('writes and reads the fallback index, filtering by artifactType', async () => {
    const image = await pushImage(client, registry.host, 'ref/app', 'v1', 'ref-app');
    const repo = client.repository(registry.host, 'ref/app');
    expect(await repo.referrers(image.manifest.digest)).toEqual([]);
    const sig = await pushArtifact('ref/app', image.manifest, 'application/vnd.example.signature', 'sig');
    const sbom = await pushArtifact('ref/app', image.manifest, 'application/vnd.example.sbom', 'sbom');
    const all = await repo.referrers(image.manifest.digest);
    expect(all).toEqual([
      {
        ...sig,
        artifactType: 'application/vnd.example.signature',
        annotations: { 'org.example.seed': 'sig' },
      },
      { ...sbom, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.seed': 'sbom' } },
    ]);
    expect(
      (await repo.referrers(image.manifest.digest, { artifactType: 'application/vnd.example.sbom' })).map(
        (d) => d.digest,
      ),
    ).toEqual([sbom.digest]);
    // The fallback is a plain tag any other client can read.
    expect(await repo.listTags()).toContain(referrersTag(image.manifest.digest));
  });

  it('does not add the same referrer twice and removes one on request', async () => {
    const image = await pushImage(client, registry.host, 'ref/dedupe', 'v1', 'ref-dedupe');
    const sig = await pushArtifact(
      'ref/dedupe',
      image.manifest,
      'application/vnd.example.signature',
      'dedupe',
    );
    const repo = client.repository(registry.host, 'ref/dedupe', { push: true });
    await repo.addReferrer(image.manifest.digest, {
      ...sig,
      artifactType: 'application/vnd.example.signature',
    });
    expect(await repo.referrers(image.manifest.digest)).toHaveLength(1);
    await repo.removeReferrer(image.manifest.digest, sig.digest);
    expect(await repo.referrers(image.manifest.digest)).toEqual([]);
  });
});
