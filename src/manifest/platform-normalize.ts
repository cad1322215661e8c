import type { Platform } from './descriptor';

/**
 * Platform spellings as containerd normalizes them (containerd/platforms database.go normalizeOS,
 * NormalizeArch), so `linux/aarch64`, `Linux/arm64/v8` and `linux/arm64` are one platform. Values follow
 * image-spec image-index.md, which takes GOOS/GOARCH names.
 */
export const KNOWN_OS = [
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'illumos',
  'ios',
  'js',
  'linux',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'wasip1',
  'windows',
];
export const KNOWN_ARCHITECTURES = [
  '386',
  'amd64',
  'arm',
  'arm64',
  'loong64',
  'mips',
  'mips64',
  'mips64le',
  'mipsle',
  'ppc64',
  'ppc64le',
  'riscv64',
  's390x',
  'wasm',
];
/** Spellings that are not GOARCH names but mean one, with the variant they imply (undefined: keep the given one). */
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  aarch64: { architecture: 'arm64' },
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  i386: { architecture: '386', variant: '' },
  i686: { architecture: '386', variant: '' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
};

export function normalizeOs(os: string): string {
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

/**
 * containerd NormalizeArch: arm64 v8 is the baseline and is written without a variant (so arm64 == arm64/v8);
 * arm defaults to v7; amd64 v1 is the baseline; "8"/"v8.0" style variants are spelled "v8".
 */
export function normalizeArchitecture(
  architecture: string,
  variant = '',
): { architecture: string; variant: string } {
  const lower = architecture.toLowerCase();
  const alias = ARCH_ALIASES[lower];
  const arch = alias?.architecture ?? lower;
  let v = alias?.variant ?? variant.toLowerCase();
  if (/^\d/.test(v)) v = `v${v}`;
  if (arch === 'arm64' && (v === 'v8' || v === 'v8.0')) v = '';
  if (arch === 'arm64' && v === 'v9.0') v = 'v9';
  if (arch === 'arm' && v === '') v = 'v7';
  if (arch === 'amd64' && v === 'v1') v = '';
  return { architecture: arch, variant: v };
}

/** The normal form of a platform; `variant` is dropped when it is the default. Other fields are kept. */
export function normalizePlatform(platform: Platform): Platform {
  const { architecture, variant } = normalizeArchitecture(platform.architecture, platform.variant);
  const { variant: _dropped, ...rest } = platform;
  return { ...rest, os: normalizeOs(platform.os), architecture, ...(variant !== '' && { variant }) };
}
