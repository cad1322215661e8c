import { describe, expect, it } from '@jest/globals';
import { SourceResolvePolicy } from '../../src/copy/batch-resolve';
import type { ImageLocation } from '../../src/reference';

// The rule of copy/batch-resolve.ts; the requests it saves and spends are counted against real registries in
// test/sync/sync-source-resolve.test.ts.
const at = (domain: string): ImageLocation => ({
  transport: 'docker',
  reference: { domain, path: 'mirror/app', tag: '1' },
});

describe('SourceResolvePolicy', () => {
  it('GETs only after a copy to the same destination registry; failures say nothing', () => {
    const policy = new SourceResolvePolicy();
    expect(policy.next(at('a.example'))).toBe('head'); // nothing known
    policy.finished(at('a.example'), 'copied');
    expect(policy.next(at('a.example'))).toBe('get');
    expect(policy.next(at('b.example'))).toBe('head'); // another mirror: its own streak
    policy.finished(at('a.example'), 'failed');
    expect(policy.next(at('a.example'))).toBe('get');
    policy.finished(at('a.example'), 'skipped');
    expect(policy.next(at('a.example'))).toBe('head'); // a no-op streak keeps HEADs
  });
});
