import { isKimgError } from '../../src/errors';
import {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  type Platform,
} from '../../src/manifest';

describe('parsePlatform', () => {
  const cases: [string, Platform][] = [
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v9.0', { os: 'linux', architecture: 'arm64', variant: 'v9' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86-64', { os: 'linux', architecture: 'amd64' }],
    ['linux/amd64/v1', { os: 'linux', architecture: 'amd64' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
    ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/armhf', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['darwin/arm64', { os: 'darwin', architecture: 'arm64' }],
    ['macos/arm64', { os: 'darwin', architecture: 'arm64' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
    ['windows(10.0.17763)/amd64', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763' }],
    ['linux/riscv64', { os: 'linux', architecture: 'riscv64' }],
    ['arm64', { os: 'linux', architecture: 'arm64' }],
    ['aarch64', { os: 'linux', architecture: 'arm64' }],
  ];
  test.each(cases)('%s', (specifier, expected) => {
    expect(parsePlatform(specifier)).toEqual(expected);
  });

  test('a lone OS takes the host architecture', () => {
    expect(parsePlatform('linux')).toEqual(normalizePlatform({ ...hostPlatform(), os: 'linux' }));
  });

  test.each([
    [''],
    ['linux/'],
    ['/amd64'],
    ['linux/amd64/v8/extra'],
    ['linux amd64'],
    ['linux/am.d64'],
    ['plan10'],
  ])('%j is refused with a hint', (specifier) => {
    let caught: unknown;
    try {
      parsePlatform(specifier);
    } catch (err) {
      caught = err;
    }
    expect(isKimgError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toContain(`"${specifier}"`);
    expect(isKimgError(caught) && caught.hint).toMatch(/linux\/amd64/);
  });
});

describe('formatPlatform', () => {
  test.each([
    [{ os: 'linux', architecture: 'amd64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'arm', variant: 'v7' }, 'linux/arm/v7'],
    [{ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763' }, 'windows(10.0.17763)/amd64'],
  ])('%j → %s, which parses back', (platform: Platform, text) => {
    expect(formatPlatform(platform)).toBe(text);
    expect(parsePlatform(text)).toEqual(platform);
  });
});

describe('platformMatches', () => {
  const p = (text: string): Platform => {
    const [os = '', architecture = '', variant] = text.split('/');
    return { os, architecture, ...(variant !== undefined && { variant }) };
  };
  test.each([
    ['linux/amd64', 'linux/amd64', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/aarch64', 'linux/arm64', true],
    ['linux/arm', 'linux/arm/v7', true],
    ['linux/arm/v7', 'linux/arm', true],
    ['linux/arm/v6', 'linux/arm', false],
    ['linux/arm/v6', 'linux/arm/v7', false],
    ['linux/arm64/v9', 'linux/arm64', false],
    ['linux/amd64', 'linux/arm64', false],
    ['windows/amd64', 'linux/amd64', false],
    ['Linux/x86_64', 'linux/amd64', true],
  ])('candidate %s, wanted %s → %s', (candidate, wanted, expected) => {
    expect(platformMatches(p(candidate), p(wanted))).toBe(expected);
  });

  test('os.version counts only when wanted names one', () => {
    const candidate = { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' };
    expect(platformMatches(candidate, { os: 'windows', architecture: 'amd64' })).toBe(true);
    expect(platformMatches(candidate, { ...candidate, 'os.version': '10.0.20348.1' })).toBe(false);
    expect(platformMatches(candidate, { ...candidate })).toBe(true);
  });
});

describe('hostPlatform', () => {
  test('is in GOOS/GOARCH names and already normalized', () => {
    const host = hostPlatform();
    const expectedArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386' };
    if (process.platform === 'linux') expect(host.os).toBe('linux');
    if (expectedArch[process.arch]) expect(host.architecture).toBe(expectedArch[process.arch]);
    expect(normalizePlatform(host)).toEqual(host);
  });
});
