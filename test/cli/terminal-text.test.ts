import { describe, expect, it } from '@jest/globals';
import { redactUrlsIn, stderrLine, terminalLine, terminalLines } from '../../src/cli/terminal-text';

describe('terminal text', () => {
  it('a line: every control character escaped, C0 as \\xNN (\\n, \\r, \\t named), DEL and C1 as \\u00NN', () => {
    expect(terminalLine('a\x1b[31mb\nkimg: error: x\r\t\x00\x07\x7f\u009b2J')).toBe(
      'a\\x1b[31mb\\nkimg: error: x\\r\\t\\x00\\x07\\u007f\\u009b2J',
    );
  });

  it('several lines kimg laid out: newlines and tabs kept, other controls escaped', () => {
    expect(terminalLines('one\ttwo\nthree\x1b]0;title\x07\r')).toBe('one\ttwo\nthree\\x1b]0;title\\x07\\r');
  });

  it('JSON text stays JSON with the same strings', () => {
    const value = { 'k\x1b': 'v\u009b\u0085\x7f\n' };
    const text = terminalLines(JSON.stringify(value, null, 2));
    expect(text).not.toMatch(/[\u007f-\u009f]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('printable UTF-8 is left alone', () => {
    const text = 'Ünïcödé ✓ 名前 — “quotes” \\ backslash';
    expect(terminalLine(text)).toBe(text);
    expect(stderrLine(text)).toBe(text);
  });

  it('URLs pass the registry redactor: userinfo, query values and fragments go', () => {
    expect(
      redactUrlsIn(
        'GET https://user:secret@r.example/v2/x/blobs/uploads/1?_state=abc&digest=sha256:1 failed',
      ),
    ).toBe('GET https://r.example/v2/x/blobs/uploads/1?_state=REDACTED&digest=sha256%3A1 failed');
    expect(redactUrlsIn('pulling docker://bob:hunter2@r.example/app:1')).toBe(
      'pulling docker://r.example/app:1',
    );
  });

  it('punctuation that ends the sentence around a URL is not part of it', () => {
    expect(redactUrlsIn('leads back to http://h:1/v2/x/tags/list?n=1000, a page already read')).toBe(
      'leads back to http://h:1/v2/x/tags/list?n=1000, a page already read',
    );
    expect(redactUrlsIn('see https://u:p@h/x.')).toBe('see https://h/x.');
  });

  it('URLs with nothing to hide, and digests after @, are left exactly as written', () => {
    const text = 'cannot reach https://r.example:5000 (docker://r.example/app@sha256:abc)';
    expect(redactUrlsIn(text)).toBe(text);
  });

  it('a stderr line is redacted, then escaped', () => {
    expect(stderrLine('https://u:p@h.example/x\n\x1b[2J')).toBe('https://h.example/x\\n\\x1b[2J');
  });
});
