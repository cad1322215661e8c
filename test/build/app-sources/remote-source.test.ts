import { describe, expect, it } from '@jest/globals';
import { chooseVersion, versionsHint } from '../../../src/build/app-sources/chart-version';
import {
  chartArchiveUrl,
  chartVersions,
  indexedDigest,
} from '../../../src/build/app-sources/chart-repository';
import { parseRemoteSource } from '../../../src/build/app-sources/remote-source';

describe('remote APP source spellings', () => {
  it('parses https, helm and oci sources', () => {
    expect(parseRemoteSource('https://e.com/charts/web-1.0.0.tgz')).toMatchObject({
      kind: 'url',
      chart: true,
    });
    expect(parseRemoteSource('http://e.com/app.yaml')).toMatchObject({ kind: 'url', chart: false });
    expect(parseRemoteSource('helm://charts.e.com:8080/stable/sub/redis@~18.1')).toEqual({
      kind: 'helm',
      written: 'helm://charts.e.com:8080/stable/sub/redis@~18.1',
      host: 'charts.e.com:8080',
      path: 'stable/sub',
      chart: 'redis',
      version: '~18.1',
    });
    expect(parseRemoteSource('helm://charts.e.com/redis')).toMatchObject({ host: 'charts.e.com', path: '' });
    expect(parseRemoteSource('oci://reg.io:5000/charts/web:1.0.0')).toMatchObject({
      kind: 'oci',
      chart: 'web',
      reference: { domain: 'reg.io:5000', path: 'charts/web', tag: '1.0.0' },
    });
  });

  it('refuses what it cannot use, saying how a source is written', () => {
    const refused = (text: string) => {
      try {
        parseRemoteSource(text);
      } catch (err) {
        return `${(err as Error).message} | ${(err as { hint?: string }).hint}`;
      }
      throw new Error(`${text} was accepted`);
    };
    expect(refused('oci://charts/web:1')).toMatch(/names no registry host \| write oci:\/\/REGISTRY/);
    expect(refused('oci://web')).toMatch(/names no registry host/);
    expect(refused('helm://redis')).toMatch(/names no chart repository host and chart/);
    expect(refused('helm://e.com/redis@')).toMatch(/empty version/);
    const secret = refused('https://user:hunter2@e.com/a.yaml');
    expect(secret).toMatch(/carries user:password/);
    expect(secret).not.toContain('hunter2');
  });
});

describe('choosing a chart version as Helm does', () => {
  const available = ['0.1.0', '0.2.0', '1.0.0-rc.1', '0.2.1', 'v0.3.0', 'latest'];

  it('takes an exact version, else the highest in a range, else the highest stable one', () => {
    expect(chooseVersion(available, '0.2.0')).toBe('0.2.0');
    expect(chooseVersion(available, '0.3.0')).toBe('v0.3.0');
    expect(chooseVersion(available, '~0.2')).toBe('0.2.1');
    expect(chooseVersion(available, '>=0.1 <0.2.1')).toBe('0.2.0');
    expect(chooseVersion(available, undefined)).toBe('v0.3.0');
    expect(chooseVersion(available, '1.0.0-rc.1')).toBe('1.0.0-rc.1');
    expect(chooseVersion(available, '9.9.9')).toBeUndefined();
    expect(chooseVersion(['1.0.0-rc.1'], undefined)).toBeUndefined();
  });

  it('lists what there is newest first, at most ten', () => {
    expect(versionsHint(['0.1.0', '0.10.0', '0.2.0'])).toBe('available: 0.10.0, 0.2.0, 0.1.0');
    const many = Array.from({ length: 13 }, (_, i) => `1.${i}.0`);
    expect(versionsHint(many)).toBe(
      'available: 1.12.0, 1.11.0, 1.10.0, 1.9.0, 1.8.0, 1.7.0, 1.6.0, 1.5.0, 1.4.0, 1.3.0, … (3 more)',
    );
  });
});

describe('a chart repository index', () => {
  it('reads every scalar as a string (a digest of digits is not a number) and resolves URLs as Helm', () => {
    const digits = '1'.repeat(64);
    const text = `apiVersion: v1\nentries:\n  api:\n    - version: 1.0\n      digest: ${digits}\n      urls: [api-1.0.tgz]\n`;
    const [entry] = chartVersions(text, 'api', 'helm://x/api');
    expect(entry).toEqual({ version: '1.0', digest: digits, urls: ['api-1.0.tgz'] });
    expect(indexedDigest(entry!)).toBe(`sha256:${digits}`);
    expect(chartArchiveUrl(entry!, new URL('https://e.com/stable'), 'x').href).toBe(
      'https://e.com/stable/api-1.0.tgz',
    );
    const elsewhere = { ...entry!, urls: ['http://cdn.e.com/api-1.0.tgz'] };
    expect(() => chartArchiveUrl(elsewhere, new URL('https://e.com/stable'), 'x')).toThrow(/plain http/);
  });

  it('names the charts there when the one asked for is missing, and refuses what is no index', () => {
    expect(() => chartVersions('entries:\n  web: []\n  db: []\n', 'api', 'helm://x/api')).toThrow(
      /has no chart named api/,
    );
    expect(() => chartVersions('<html>', 'api', 'helm://x/api')).toThrow(
      /not a chart index: it has no entries/,
    );
    expect(() => chartVersions('a: *x', 'api', 'helm://x/api')).toThrow(/not a chart index/);
  });
});
