import { describe, expect, it } from '@jest/globals';
import { parseInert, SAMPLE_COMMAND_LINES, warmUpForSnapshot } from '../../src/cli/snapshot-warm-up';

// The start-up snapshot's warm-up (cli/snapshot-warm-up.ts) runs while the snapshot is built: it must exercise
// the real command lines, and leave nothing of the build machine's process behind (cli/snapshot-main.ts rule).
describe('snapshot warm-up', () => {
  it('parses each sample as the command it names, through that command’s own builder', () => {
    expect(SAMPLE_COMMAND_LINES.map((line) => parseInert(line)._[0])).toEqual([
      'sync',
      'sync',
      'copy',
      'build',
      'images',
      'inspect',
    ]);
    // The sync builder's own option (-f is its alias) was applied: the builder ran.
    expect((parseInert(SAMPLE_COMMAND_LINES[0] ?? []) as { file?: string }).file).toBe('warm-up.yaml');
  });

  it('a line yargs refuses throws, so a stale sample fails the snapshot build instead of warming nothing', () => {
    expect(() => parseInert(['no-such-command'])).toThrow(/Unknown argument|Did you mean/);
    expect(() => parseInert(['sync', '--bogus-flag', 'a', 'b'])).toThrow(/bogus-flag/);
  });

  it('leaves no handler, handle, exit status or environment change behind', () => {
    const events = ['SIGINT', 'SIGTERM', 'exit', 'beforeExit', 'uncaughtException'] as const;
    const listeners = events.map((event) => process.listenerCount(event));
    const resources = process.getActiveResourcesInfo().sort();
    const exitCode = process.exitCode;
    const env = { ...process.env };
    warmUpForSnapshot();
    expect(events.map((event) => process.listenerCount(event))).toEqual(listeners);
    expect(process.getActiveResourcesInfo().sort()).toEqual(resources);
    expect(process.exitCode).toBe(exitCode);
    expect(process.env).toEqual(env);
  });
});
