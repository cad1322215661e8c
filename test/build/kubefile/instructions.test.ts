import { parseKubefile } from '../../../src/build/kubefile';
import { afterFrom, only } from './helpers';

/** One row per instruction and form: what the parser records (texts stay raw; expand() runs later). */
describe('instructions', () => {
  test.each([
    ['FROM alpine', { image: 'alpine' }],
    ['from alpine:3.20 as base', { image: 'alpine:3.20', stage: 'base' }],
    [
      'FROM --platform=linux/arm64 ${IMG} AS b-1.x',
      { image: '${IMG}', stage: 'b-1.x', platform: 'linux/arm64' },
    ],
  ])('%s', (text, want) => {
    const { ast, diagnostics } = parseKubefile(`ARG IMG=x\n${text}\n`);
    expect(diagnostics).toEqual([]);
    const from = ast.instructions[1];
    if (from?.kind !== 'FROM') throw new Error('not FROM');
    expect({
      image: from.image.text,
      ...(from.stage && { stage: from.stage.text }),
      ...(from.flags[0] && { platform: from.flags[0].value }),
    }).toEqual(want);
  });

  test.each([
    ['COPY a b /dst/', 'COPY', ['a', 'b'], '/dst/', false],
    ['ADD ["a b", "/dst"]', 'ADD', ['a b'], '/dst', true],
    ['copy --from=build --chown=1:1 --chmod=0644 --link /out /bin', 'COPY', ['/out'], '/bin', false],
    [
      'ADD --checksum=sha256:abc --keep-git-dir https://x/y.git /src',
      'ADD',
      ['https://x/y.git'],
      '/src',
      false,
    ],
    ['COPY "with space" /d', 'COPY', ['"with space"'], '/d', false],
    ['COPY --exclude=*.md --exclude=*.txt . /d', 'COPY', ['.'], '/d', false],
  ])('%s', (text, kind, sources, dest, json) => {
    const node = only(text);
    if (node.kind !== 'COPY' && node.kind !== 'ADD') throw new Error('not COPY');
    expect(node.kind).toBe(kind);
    expect(node.sources.map((s) => s.word.text)).toEqual(sources);
    expect(node.dest.text).toBe(dest);
    expect(node.json).toBe(json);
  });

  test.each([
    ['RUN apk add curl', { form: 'shell', text: 'apk add curl' }],
    ['run ["/bin/sh", "-c", "echo \\"hi\\""]', { form: 'exec', args: ['/bin/sh', '-c', 'echo "hi"'] }],
    ['RUN --network=none --security=insecure make', { form: 'shell', text: 'make' }],
    [
      'RUN [ -f /etc/os-release ] && cat /etc/os-release',
      { form: 'shell', text: '[ -f /etc/os-release ] && cat /etc/os-release' },
    ],
    ['CMD ["kubectl apply -f manifests/"]', { form: 'exec', args: ['kubectl apply -f manifests/'] }],
    ['CMD []', { form: 'exec', args: [] }],
    ['ENTRYPOINT exec app "$@"', { form: 'shell', text: 'exec app "$@"' }],
    ['ENTRYPOINT ["app", "\\u00e9"]', { form: 'exec', args: ['app', 'é'] }],
  ])('%s', (text, want) => {
    const node = only(text);
    if (node.kind !== 'RUN' && node.kind !== 'CMD' && node.kind !== 'ENTRYPOINT')
      throw new Error('not a command');
    const { command } = node;
    expect(
      command.form === 'exec'
        ? { form: 'exec', args: command.args.map((a) => a.text) }
        : { form: 'shell', text: command.command.text },
    ).toEqual(want);
  });

  test.each([
    ['ENV A=1', 'ENV', [['A', '1']], false],
    [
      'ENV A=1 B="two words" C=',
      'ENV',
      [
        ['A', '1'],
        ['B', '"two words"'],
        ['C', ''],
      ],
      false,
    ],
    [
      'LABEL sealos.io.type="application" "a b"=c',
      'LABEL',
      [
        ['sealos.io.type', '"application"'],
        ['"a b"', 'c'],
      ],
      false,
    ],
    ['ARG VERSION', 'ARG', [['VERSION', undefined]], false],
    [
      'ARG A=1 B',
      'ARG',
      [
        ['A', '1'],
        ['B', undefined],
      ],
      false,
    ],
    ['env A=a\\ b', 'ENV', [['A', 'a\\ b']], false],
  ])('%s', (text, kind, pairs, legacy) => {
    const node = only(text);
    if (node.kind !== 'ENV' && node.kind !== 'LABEL' && node.kind !== 'ARG') throw new Error('not key=value');
    expect(node.kind).toBe(kind);
    expect(node.pairs.map((p) => [p.key.text, p.value?.text])).toEqual(pairs);
    expect(node.legacy).toBe(legacy);
  });

  test('legacy ENV key value takes the rest of the line, with a warning', () => {
    const { instructions, diagnostics } = afterFrom('ENV PATH /usr/local/bin:/usr/bin  extra\n');
    const [node] = instructions;
    if (node?.kind !== 'ENV') throw new Error('not ENV');
    expect(node.legacy).toBe(true);
    expect(node.pairs.map((p) => [p.key.text, p.value?.text])).toEqual([
      ['PATH', '/usr/local/bin:/usr/bin  extra'],
    ]);
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['LEGACY_KEY_VALUE', 'warning']]);
  });

  test.each([
    ['WORKDIR /my app', 'WORKDIR', '/my app'],
    ['USER 1000:1000', 'USER', '1000:1000'],
    ['STOPSIGNAL SIGKILL', 'STOPSIGNAL', 'SIGKILL'],
    ['MAINTAINER Jane Doe <jane@example.com>', 'MAINTAINER', 'Jane Doe <jane@example.com>'],
    ['KUBEVERSION >=1.22.0 <1.31.0', 'KUBEVERSION', '>=1.22.0 <1.31.0'],
  ])('%s', (text, kind, value) => {
    const node = only(text);
    if (!('value' in node)) throw new Error('not a value instruction');
    expect([node.kind, node.value.text]).toEqual([kind, value]);
  });

  test.each([
    ['EXPOSE 80 443/tcp 53/udp', 'EXPOSE', ['80', '443/tcp', '53/udp'], false],
    ['VOLUME /a /b', 'VOLUME', ['/a', '/b'], false],
    ['VOLUME ["/data"]', 'VOLUME', ['/data'], true],
    ['LAUNCH ["app1", "app2"]', 'LAUNCH', ['app1', 'app2'], true],
    ['LAUNCH app1 app2', 'LAUNCH', ['app1', 'app2'], false],
    [
      'CMDS ["kubectl apply -f a.yaml", "helm install b charts/b"]',
      'CMDS',
      ['kubectl apply -f a.yaml', 'helm install b charts/b'],
      true,
    ],
    ['CMDS kubectl apply -f a.yaml', 'CMDS', ['kubectl apply -f a.yaml'], false],
  ])('%s', (text, kind, items, json) => {
    const node = only(text);
    if (!('items' in node)) throw new Error('not a list');
    expect([node.kind, node.items.map((i) => i.text), node.json]).toEqual([kind, items, json]);
  });

  test('SHELL takes a JSON array', () => {
    const node = only('SHELL ["powershell", "-command"]');
    expect(node.kind === 'SHELL' && node.args.map((a) => a.text)).toEqual(['powershell', '-command']);
  });

  test.each([
    ['HEALTHCHECK NONE', undefined, []],
    [
      'HEALTHCHECK --interval=5m --timeout=3s --start-period=1s --start-interval=1s --retries=2 CMD curl -f http://localhost/',
      'curl -f http://localhost/',
      ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
    ],
    ['healthcheck cmd ["/bin/check"]', '["/bin/check"]', []],
  ])('%s', (text, command, flags) => {
    const node = only(text);
    if (node.kind !== 'HEALTHCHECK') throw new Error('not HEALTHCHECK');
    const shown =
      node.command &&
      (node.command.form === 'shell'
        ? node.command.command.text
        : JSON.stringify(node.command.args.map((a) => a.text)));
    expect(shown).toBe(command);
    expect(node.flags.map((f) => f.name)).toEqual(flags);
  });

  test('ONBUILD stores its trigger, parsed', () => {
    const node = only('ONBUILD RUN --mount=type=cache,target=/c make');
    if (node.kind !== 'ONBUILD' || node.instruction.kind !== 'RUN') throw new Error('not ONBUILD RUN');
    expect(node.instruction.flags.map((f) => f.value)).toEqual(['type=cache,target=/c']);
    expect(node.instruction.keywordSpan).toEqual({ line: 2, column: 9, endLine: 2, endColumn: 12 });
  });

  test('APP, CNI, CSI record their sources by scheme', () => {
    const node = only(
      'APP nginx local://nginx.yaml https://x.io/a.yaml http://y/b.yaml helm://bitnami/nginx@15.0.0',
    );
    if (node.kind !== 'APP') throw new Error('not APP');
    expect(node.name.text).toBe('nginx');
    expect(node.sources.map((s) => [s.scheme, s.path])).toEqual([
      ['local', 'nginx.yaml'],
      ['https', 'https://x.io/a.yaml'],
      ['http', 'http://y/b.yaml'],
      ['helm', 'bitnami/nginx@15.0.0'],
    ]);
    expect(only('CNI calico local://calico').kind).toBe('CNI');
    expect(only('csi openebs local://openebs').kind).toBe('CSI');
  });

  test('APPCMDS and APPENV name their app', () => {
    const cmds = only(
      'APPCMDS mysql ["kubectl apply -f mysql.yaml", "kubectl wait --for=condition=ready pod -l app=mysql"]',
    );
    if (cmds.kind !== 'APPCMDS') throw new Error('not APPCMDS');
    expect([cmds.app.text, cmds.commands.map((c) => c.text), cmds.json]).toEqual([
      'mysql',
      ['kubectl apply -f mysql.yaml', 'kubectl wait --for=condition=ready pod -l app=mysql'],
      true,
    ]);
    const env = only('APPENV mysql A=1 B="x y"');
    if (env.kind !== 'APPENV') throw new Error('not APPENV');
    expect([env.app.text, env.pairs.map((p) => [p.key.text, p.value?.text])]).toEqual([
      'mysql',
      [
        ['A', '1'],
        ['B', '"x y"'],
      ],
    ]);
  });

  test('instruction names are case-insensitive and keep their spelling', () => {
    const node = only('CoPy a b');
    expect([node.kind, node.keyword]).toEqual(['COPY', 'CoPy']);
  });

  test('flags are recorded with their spans', () => {
    const node = only('COPY --from=build --link a b');
    expect(node.flags).toEqual([
      { name: 'from', value: 'build', span: { line: 2, column: 6, endLine: 2, endColumn: 18 } },
      { name: 'link', span: { line: 2, column: 19, endLine: 2, endColumn: 25 } },
    ]);
  });

  test('a bare -- ends the flags', () => {
    const node = only('COPY -- --weird-name /d');
    expect(node.kind === 'COPY' && node.sources.map((s) => s.word.text)).toEqual(['--weird-name']);
  });
});
