import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { addLabels, addToSet, setEntrypoint, setEnv, setField } from '../../../src/build/image/config-edits';
import { assembleImage, buildTimestamp } from '../../../src/build/image/assemble';
import { stageFromImage } from '../../../src/build/image/base-image';
import { emptyStage } from '../../../src/build/image/stage-image';
import { openOciLayout } from '../../../src/transport/oci-layout';
import { writeMultiArchLayout } from '../../fixtures/multi-arch';
import { makeTempDir, removeTempDirs } from '../../harness';

afterAll(removeTempDirs);

const linux = { os: 'linux', architecture: 'amd64' };

describe('config edits follow docker build', () => {
  it('ENV replaces a variable in place and appends new ones', () => {
    let stage = setEnv(
      emptyStage(linux),
      [
        ['A', '1'],
        ['B', '2'],
      ],
      'ENV A=1 B=2',
    );
    stage = setEnv(
      stage,
      [
        ['A', '3'],
        ['C', '4'],
      ],
      'ENV A=3 C=4',
    );
    expect(stage.runConfig.Env).toEqual(['A=3', 'B=2', 'C=4']);
    expect(stage.history).toEqual([
      { created_by: 'ENV A=1 B=2', empty_layer: true },
      { created_by: 'ENV A=3 C=4', empty_layer: true },
    ]);
  });

  it('ENTRYPOINT resets a CMD inherited from the base, keeps one set in the same stage', () => {
    const inherited = setField(emptyStage(linux), 'Cmd', ['sh'], 'CMD sh');
    expect(setEntrypoint(inherited, ['/app'], false, 'ENTRYPOINT /app').runConfig.Cmd).toBeUndefined();
    expect(setEntrypoint(inherited, ['/app'], true, 'ENTRYPOINT /app').runConfig.Cmd).toEqual(['sh']);
  });

  it('labels merge; EXPOSE and VOLUME are sets; the input stage is never changed', () => {
    const base = addLabels(emptyStage(linux), { a: '1' }, 'LABEL a=1');
    const next = addToSet(
      addLabels(base, { b: '2', a: 'x' }, 'LABEL'),
      'ExposedPorts',
      ['80/tcp', '80/tcp'],
      'EXPOSE 80',
    );
    expect(next.runConfig.Labels).toEqual({ a: 'x', b: '2' });
    expect(next.runConfig.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(base.runConfig.Labels).toEqual({ a: '1' });
  });
});

describe('assembleImage', () => {
  it('is a pure function of the stage and the timestamp: same input, same digests', () => {
    const stage = setEnv(emptyStage(linux), [['A', '1']], 'ENV A=1');
    const created = buildTimestamp({ SOURCE_DATE_EPOCH: '1700000000' }).toISOString();
    expect(created).toBe('2023-11-14T22:13:20.000Z');
    const first = assembleImage(stage, created);
    const second = assembleImage(structuredClone(stage), created);
    expect(first.manifest.descriptor.digest).toBe(second.manifest.descriptor.digest);
    expect(JSON.parse(first.config.bytes.toString())).toMatchObject({
      created,
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['A=1'] },
    });
    expect(buildTimestamp({}).getTime()).toBe(0);
  });
});

describe('stageFromImage', () => {
  it('picks the build platform from an index and refuses a platform it lacks', async () => {
    const dir = await makeTempDir();
    const multi = await writeMultiArchLayout(join(dir, 'l'), 'base', 90);
    const layout = openOciLayout(join(dir, 'l'));
    const arm = await stageFromImage(layout, multi.index, { os: 'linux', architecture: 'arm64' }, 'base');
    expect(arm.platform.architecture).toBe('arm64');
    expect(arm.diffIds).toEqual(multi.children[1]?.layers.map((l) => l.diffId));
    expect(arm.runConfig.Labels).toEqual({ seed: '91' });
    await expect(
      stageFromImage(layout, multi.index, { os: 'linux', architecture: 's390x' }, 'base'),
    ).rejects.toMatchObject({
      code: 'PLATFORM_NOT_FOUND',
    });
  });
});
