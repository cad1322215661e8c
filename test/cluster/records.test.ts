import { describe, expect, it } from '@jest/globals';
import {
  appRecordsSchema,
  ClusterLabels,
  embeddedImagesSchema,
  INSTALL_HOOKS,
  launchRecordSchema,
  readLabelRecord,
} from '../../src/cluster';

describe('cluster-image records in labels', () => {
  it('reads the apps record, keeping fields a newer kimg may add', () => {
    const labels = {
      [ClusterLabels.apps]: JSON.stringify([
        { name: 'calico', kind: 'cni', sources: ['charts/calico'], future: { x: 1 } },
        { name: 'app', kind: 'app', sources: ['manifests/'], cmds: ['kubectl apply -f .'], env: { A: '1' } },
      ]),
    };
    const read = readLabelRecord(labels, ClusterLabels.apps, () => appRecordsSchema, []);
    expect(read).toEqual({
      ok: true,
      value: [
        { name: 'calico', kind: 'cni', sources: ['charts/calico'], future: { x: 1 } },
        { name: 'app', kind: 'app', sources: ['manifests/'], cmds: ['kubectl apply -f .'], env: { A: '1' } },
      ],
    });
  });

  it('reads the embedded-images record and refuses one whose digest is not a sha256 digest', () => {
    const image = {
      reference: 'quay.io/a/b:1',
      name: 'a/b:1',
      digest: `sha256:${'c'.repeat(64)}`,
      platforms: ['linux/amd64'],
      sources: ['manifests/app.yaml:10'],
    };
    const labels = { [ClusterLabels.images]: JSON.stringify([image]) };
    expect(readLabelRecord(labels, ClusterLabels.images, () => embeddedImagesSchema, [])).toEqual({
      ok: true,
      value: [image],
    });
    const bad = { [ClusterLabels.images]: JSON.stringify([{ ...image, digest: 'sha256:x' }]) };
    const read = readLabelRecord(bad, ClusterLabels.images, () => embeddedImagesSchema, []);
    expect(read.ok).toBe(false);
    expect(read.ok ? '' : read.reason).toContain('label io.kimg.images');
  });

  it('an absent label is the fallback; broken JSON and a wrong shape say why', () => {
    expect(readLabelRecord({}, ClusterLabels.apps, () => appRecordsSchema, [])).toEqual({
      ok: true,
      value: [],
    });
    const notJson = readLabelRecord(
      { [ClusterLabels.apps]: '[{' },
      ClusterLabels.apps,
      () => appRecordsSchema,
      [],
    );
    expect(notJson.ok).toBe(false);
    expect(!notJson.ok && notJson.reason).toMatch(/^label io\.kimg\.apps is not JSON/);
    const wrongKind = readLabelRecord(
      { [ClusterLabels.apps]: '[{"name":"x","kind":"daemon","sources":[]}]' },
      ClusterLabels.apps,
      () => appRecordsSchema,
      [],
    );
    expect(wrongKind.ok).toBe(false);
    expect(!wrongKind.ok && wrongKind.reason).toMatch(/^label io\.kimg\.apps: /);
  });

  it('asks for the schema (and so loads zod) only when the label is there', () => {
    let asked = 0;
    const schema = () => {
      asked += 1;
      return appRecordsSchema;
    };
    readLabelRecord({}, ClusterLabels.apps, schema, []);
    expect(asked).toBe(0);
    readLabelRecord({ [ClusterLabels.apps]: '[]' }, ClusterLabels.apps, schema, []);
    expect(asked).toBe(1);
  });

  it('a launch record names apps or commands', () => {
    const read = (text: string) =>
      readLabelRecord({ [ClusterLabels.launch]: text }, ClusterLabels.launch, () => launchRecordSchema, {
        apps: [],
      });
    expect(read('{"apps":["a","b"]}')).toEqual({ ok: true, value: { apps: ['a', 'b'] } });
    expect(read('{"cmds":["echo hi"]}')).toEqual({ ok: true, value: { cmds: ['echo hi'] } });
    expect(read('{"apps":"a"}').ok).toBe(false);
  });

  it('hooks are listed in the order sealos runs them', () => {
    expect(INSTALL_HOOKS).toEqual(['check', 'init-registry', 'init-cri', 'init']);
  });
});
