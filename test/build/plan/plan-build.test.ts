import { describe, expect, it } from '@jest/globals';
import { parseKubefile } from '../../../src/build/kubefile';
import { planBuild, type PlanOptions } from '../../../src/build/plan';

const amd64 = { os: 'linux', architecture: 'amd64' };

function plan(text: string, options: Partial<PlanOptions> = {}) {
  const { ast, diagnostics } = parseKubefile(text, 'Kubefile');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return planBuild(ast, { text, platform: amd64, ...options });
}

describe('planBuild (pure)', () => {
  it('expands ARG/ENV per instruction, build args over defaults, ENV over ARG', () => {
    const { plan: p, diagnostics } = plan(
      'ARG TAG=1\nFROM scratch\nARG TAG\nARG NAME=x\nENV NAME=env-$NAME LATER=$TAG\nLABEL n=$NAME t=$TAG\n',
      { buildArgs: { TAG: '2' } },
    );
    expect(diagnostics).toEqual([]);
    const steps = p.stages[0]?.steps.map((s) => s.action);
    expect(steps?.[2]).toEqual({
      kind: 'config',
      edit: {
        op: 'env',
        pairs: [
          ['NAME', 'env-x'],
          ['LATER', '2'],
        ],
      },
    });
    expect(steps?.[3]).toEqual({ kind: 'config', edit: { op: 'labels', labels: { n: 'env-x', t: '2' } } });
  });

  it('global ARGs reach FROM only; platform args need a declaration in the stage', () => {
    const { plan: p } = plan(
      'ARG BASE=scratch\nFROM $BASE\nLABEL a=$BASE b=$TARGETARCH\nARG TARGETARCH\nLABEL c=$TARGETARCH\n',
    );
    expect(p.stages[0]?.base).toEqual({ kind: 'scratch' });
    expect(p.stages[0]?.steps[0]?.action).toEqual({
      kind: 'config',
      edit: { op: 'labels', labels: { a: '', b: '' } },
    });
    expect(p.stages[0]?.steps[2]?.action).toEqual({
      kind: 'config',
      edit: { op: 'labels', labels: { c: 'amd64' } },
    });
  });

  it('COPY: WORKDIR-relative dest, ${ARCH}, --from a stage, --chown/--chmod, heredocs', () => {
    const { plan: p } = plan(
      'FROM scratch AS b\nFROM scratch\nWORKDIR /app\nWORKDIR sub\nCOPY --from=b --chown=1:2 --chmod=0755 bin/${ARCH}/x <<EOF .\nhello\nEOF\n',
      { platform: { os: 'linux', architecture: 'arm64' } },
    );
    expect(p.stages[1]?.steps[2]?.action).toEqual({
      kind: 'copy',
      copy: {
        add: false,
        origin: { kind: 'stage', index: 0 },
        sources: ['bin/arm64/x'],
        inline: [{ name: 'EOF', content: 'hello\n' }],
        dest: '/app/sub/',
        owner: { uid: 1, gid: 2 },
        chmod: 0o755,
      },
    });
    expect(p.needed).toEqual([0, 1]);
  });

  it('needs only the stages the target reads; --target picks another', () => {
    const text = 'FROM scratch AS a\nFROM scratch AS unused\nFROM a AS c\nENV X=1\n';
    expect(plan(text).plan.needed).toEqual([0, 2]);
    expect(plan(text, { target: 'unused' }).plan).toMatchObject({ target: 1, needed: [1] });
  });

  it('FROM image: its ENV and WORKDIR (given by the executor) are in force', () => {
    const bases = new Map([['alpine:3', { env: ['PATH=/usr/bin', 'HOME=/root'], workingDir: '/w' }]]);
    const { plan: p } = plan('FROM alpine:3\nCOPY a $HOME/\nCOPY b c\n', { bases });
    expect(p.stages[0]?.base).toEqual({ kind: 'image', ref: 'alpine:3' });
    const dests = p.stages[0]?.steps.map((s) => (s.action.kind === 'copy' ? s.action.copy.dest : ''));
    expect(dests).toEqual(['/root/', '/w/c']);
  });

  it('CMD/ENTRYPOINT/RUN are not expanded; RUN gets the args in scope and the network', () => {
    const { plan: p } = plan('FROM scratch\nARG A=1\nCMD echo $A\nRUN --network=host echo $A\n', {
      network: 'none',
    });
    expect(p.stages[0]?.steps[1]?.action).toEqual({
      kind: 'config',
      edit: { op: 'cmd', command: { shell: 'echo $A' } },
    });
    expect(p.stages[0]?.steps[2]?.action).toEqual({
      kind: 'run',
      run: { command: { shell: 'echo $A' }, network: 'host', args: { A: '1' } },
    });
  });

  it('cluster instructions: APP copies into application/apps/<name>/ and records the app', () => {
    const { plan: p } = plan(
      'FROM scratch\nAPP mysql local://mysql.yaml\nAPPCMDS mysql ["kubectl apply -f mysql.yaml"]\n',
    );
    expect(p.stages[0]?.steps[0]?.action).toMatchObject({
      kind: 'copy',
      copy: { sources: ['mysql.yaml'], dest: '/application/apps/mysql/' },
      then: { op: 'app', app: { name: 'mysql', kind: 'app', sources: ['local://mysql.yaml'] } },
    });
    expect(p.stages[0]?.steps[1]?.action).toEqual({
      kind: 'config',
      edit: { op: 'appcmds', name: 'mysql', cmds: ['kubectl apply -f mysql.yaml'] },
    });
  });

  it('diagnostics: unknown stage, bad substitution, bad --chmod, bad remote app sources — positions and hints', () => {
    const { diagnostics } = plan(
      'FROM scratch AS one\nFROM scratch\nCOPY --from=two a /a\nENV A=${B\nCOPY --chmod=9 a /a\nAPP x oci://charts/x:1\nAPP y helm://host/c@\n',
    );
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['UNKNOWN_STAGE', 3],
      ['INVALID_SUBSTITUTION', 4],
      ['INVALID_FLAG', 5],
      ['INVALID_APP_SOURCE', 6],
      ['INVALID_APP_SOURCE', 7],
    ]);
    expect(diagnostics[3]?.message).toContain('oci://charts/x:1 names no registry host');
    expect(diagnostics[0]).toMatchObject({
      file: 'Kubefile',
      text: 'COPY --from=two a /a',
      hint: expect.stringContaining('one'),
    });
  });

  it('remote APP sources are planned as written, beside the local ones, for the executor to fetch', () => {
    const { plan: p, diagnostics } = plan(
      'FROM scratch\nARG V=1.2.0\nAPP web local://web.yaml oci://reg.io/charts/web:$V helm://charts.example.com/stable/redis\n',
    );
    expect(diagnostics).toEqual([]);
    const step = p.stages[0]?.steps[1];
    expect(step?.action).toEqual({
      kind: 'copy',
      copy: expect.objectContaining({
        sources: ['web.yaml'],
        dest: '/application/apps/web/',
        remote: {
          app: 'web',
          sources: ['oci://reg.io/charts/web:1.2.0', 'helm://charts.example.com/stable/redis'],
        },
      }),
      then: {
        op: 'app',
        app: {
          name: 'web',
          kind: 'app',
          sources: [
            'local://web.yaml',
            'oci://reg.io/charts/web:1.2.0',
            'helm://charts.example.com/stable/redis',
          ],
        },
      },
    });
  });

  it('ADD URLs, --checksum, --chown names and FROM --platform are planned for the executor', () => {
    const sum = `sha256:${'a'.repeat(64)}`;
    const { plan: p, diagnostics } = plan(
      [
        'ARG BASE_ARCH=arm64',
        'FROM --platform=linux/$BASE_ARCH alpine:3 AS a',
        'FROM --platform=$BUILDPLATFORM alpine:3',
        `ADD --checksum=${sum} --chown=app:staff https://e.com/x/tool.tgz local.txt /opt/`,
        'COPY --chown=1000 --from=a / /a/',
        'COPY --chown=app:0 b /b',
        '',
      ].join('\n'),
      { buildPlatform: { os: 'linux', architecture: 's390x' } },
    );
    expect(diagnostics).toEqual([]);
    expect(p.stages.map((s) => s.base)).toEqual([
      { kind: 'image', ref: 'alpine:3', platform: { os: 'linux', architecture: 'arm64' } },
      { kind: 'image', ref: 'alpine:3', platform: { os: 'linux', architecture: 's390x' } },
    ]);
    const [add, copy, named] = (p.stages[1]?.steps ?? []).map(
      (s) => s.action.kind === 'copy' && s.action.copy,
    );
    expect(add).toMatchObject({
      urls: ['https://e.com/x/tool.tgz'],
      sources: ['local.txt'],
      checksum: sum,
      chownNames: { user: 'app', group: 'staff' },
    });
    expect(copy).toMatchObject({ owner: { uid: 1000, gid: 1000 } });
    expect(named).toMatchObject({ chownNames: { user: 'app', group: '0' } });
  });

  it('diagnostics: bad FROM --platform, --checksum without URL or not sha256, malformed --chown', () => {
    const { diagnostics } = plan(
      [
        'FROM --platform=linux/x86_64/v1/z alpine:3',
        'ADD --checksum=sha256:abc https://e.com/a /a',
        `ADD --checksum=sha256:${'0'.repeat(64)} a.txt /a`,
        'COPY --chown=a:b:c a /a',
        'COPY a https://e.com/not-a-url-for-copy',
        '',
      ].join('\n'),
    );
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['INVALID_FLAG', 1],
      ['INVALID_FLAG', 2],
      ['INVALID_FLAG', 3],
      ['INVALID_FLAG', 4],
    ]);
    expect(diagnostics[2]?.message).toMatch(/only supported for http\(s\) sources/);
  });

  it('is deterministic: the same input gives the same plan', () => {
    const text = 'FROM scratch\nENV A=1\nCOPY . /\n';
    expect(plan(text).plan).toEqual(plan(text).plan);
  });
});
