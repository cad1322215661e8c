import { describe, expect, it } from '@jest/globals';
import { parseImageLocation, parseReference, userinfoEnd, withoutUserinfo } from '../../src/reference';

describe('userinfo in references (issue 9 class 4)', () => {
  it('tells userinfo before a host from a digest after a name', () => {
    expect(userinfoEnd('user:pw@host:5000/repo:tag')).toBe(7);
    expect(userinfoEnd('u@p@ss@host/repo')).toBe(6);
    expect(userinfoEnd(`nginx@sha256:${'0'.repeat(64)}`)).toBe(-1);
    expect(userinfoEnd(`host/a/b@sha256:${'0'.repeat(64)}`)).toBe(-1);
    expect(withoutUserinfo('user:pw@host/repo')).toBe('REDACTED@host/repo');
  });

  it.each([
    'user:s3cretpw@127.0.0.1:5000/repo:tag',
    'docker://user:s3cretpw@127.0.0.1:5000/repo:tag',
    'docker-daemon:user:s3cretpw@host/repo:tag',
    'https://user:s3cretpw@host/repo:tag',
    'docker://user:p@s3cretpw@host/repo',
  ])('%s is refused without repeating the password', (input) => {
    let message = '';
    try {
      if (input.includes(':/') || input.startsWith('docker-daemon:')) parseImageLocation(input);
      else parseReference(input);
    } catch (err) {
      message = `${(err as Error).message} ${(err as { hint?: string }).hint ?? ''}`;
    }
    expect(message).toMatch(/REDACTED@/);
    expect(message).not.toContain('s3cretpw');
  });
});
