import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodedPart } from '../../src/digest';
import { MediaType } from '../../src/manifest';
import type { RegistryClient } from '../../src/registry';
import { createRegistryClient } from '../../src/transport/registry';
import { kimgOk, makeTempDir, removeTempDirs, startRegistry, type RunningRegistry } from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { artifact, body } from '../transport/registry-helpers';

// `kimg copy --referrers --digest-tags` between two real registries (distribution 2.8: tag schema fallback).
let source: RunningRegistry;
let target: RunningRegistry;
let client: RegistryClient;
let image: FixtureImage;
let root: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  client = createRegistryClient();
  root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: '1', seed: 12 });
  await kimgOk(['copy', `oci:${layout}:1`, `docker://${source.host}/app:1`], { root });
});
afterAll(async () => {
  await client?.close();
  await Promise.all([source?.stop(), target?.stop()]);
  await removeTempDirs();
});

describe('kimg copy --referrers --digest-tags', () => {
  it('copies the artifact whose subject is the image, and the cosign tag', async () => {
    const repo = client.repository(source.host, 'app', { push: true });
    const sbom = artifact(image.manifestDescriptor, 'sbom');
    const sig = artifact(image.manifestDescriptor, 'cosign');
    for (const a of [sbom, sig]) {
      await repo.pushBlob(a.emptyDesc, body(a.empty));
      await repo.pushBlob(a.payloadDesc, body(a.payload));
    }
    await repo.putManifest(sbom.desc.digest, sbom.bytes, MediaType.OciManifest); // + fallback tag
    const sigTag = `sha256-${encodedPart(image.manifestDigest)}.sig`;
    await repo.putManifest(sigTag, sig.bytes, MediaType.OciManifest, { referrersFallback: false });

    const plain = JSON.parse(
      (
        await kimgOk(
          ['copy', `docker://${source.host}/app:1`, `docker://${target.host}/plain:1`, '--format', 'json'],
          { root },
        )
      ).stdout,
    );
    expect(plain.digest).toBe(image.manifestDigest);
    expect(await client.repository(target.host, 'plain').referrers(image.manifestDigest)).toEqual([]);

    await kimgOk(
      [
        'copy',
        '--referrers',
        '--digest-tags',
        `docker://${source.host}/app:1`,
        `docker://${target.host}/app:1`,
      ],
      { root },
    );
    const copied = client.repository(target.host, 'app');
    const referrers = (await copied.referrers(image.manifestDigest)).map((d) => d.digest).sort();
    expect(referrers).toEqual([sbom.desc.digest, sig.desc.digest].sort());
    expect(await copied.listTags()).toContain(sigTag);
    expect((await copied.getManifest(sigTag)).bytes.equals(sig.bytes)).toBe(true);
  });
});
