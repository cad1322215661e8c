import { describe, expect, it } from '@jest/globals';
import { emptyStage } from '../../../src/build/image/stage-image';
import { commandArgv, runCreatedBy, runEnv } from '../../../src/build/run';
import { OutputTail } from '../../../src/build/run/output-tail';

const at = { file: 'Kubefile', line: 4, column: 1 };
const stage = emptyStage({ os: 'linux', architecture: 'amd64' });

describe('RUN command', () => {
  it('runs the shell form through the stage SHELL or /bin/sh -c, the exec form as written', () => {
    expect(commandArgv(stage, { shell: 'echo hi' }, at)).toEqual(['/bin/sh', '-c', 'echo hi']);
    const bash = { ...stage, runConfig: { Shell: ['/bin/bash', '-eo', 'pipefail', '-c'] } };
    expect(commandArgv(bash, { shell: 'a | b' }, at)).toEqual([
      '/bin/bash',
      '-eo',
      'pipefail',
      '-c',
      'a | b',
    ]);
    expect(commandArgv(bash, { exec: ['/bin/echo', 'x y'] }, at)).toEqual(['/bin/echo', 'x y']);
    expect(() => commandArgv(stage, { shell: '  ' }, at)).toThrow(/Kubefile:4:1: RUN has no command/);
  });

  it('records history as RUN plus the command, never the build args', () => {
    expect(runCreatedBy(['/bin/sh', '-c', 'make'], { shell: 'make' })).toBe('RUN /bin/sh -c make');
    expect(runCreatedBy(['/bin/echo', 'a'], { exec: ['/bin/echo', 'a'] })).toBe('RUN ["/bin/echo","a"]');
  });

  it('adds build args to the environment unless ENV sets the same name', () => {
    const withEnv = { ...stage, runConfig: { Env: ['PATH=/bin', 'MODE=env'] } };
    expect(runEnv(withEnv, { MODE: 'arg', TOKEN: 't' })).toEqual(['PATH=/bin', 'MODE=env', 'TOKEN=t']);
    expect(runEnv(stage)).toEqual([]);
  });

  it('keeps the last lines of output, bounded', () => {
    const tail = new OutputTail(3);
    tail.push('one\ntwo\nth');
    tail.push('ree\nfour\nfive');
    expect(tail.text()).toBe('three\nfour\nfive');
    const long = new OutputTail(2);
    long.push('x'.repeat(5000));
    expect(long.text().length).toBeLessThanOrEqual(1001);
  });
});
