import { KimgError } from '../errors';
import type { Platform } from './descriptor';
import { hostPlatform } from './host-platform';
import {
  KNOWN_ARCHITECTURES,
  KNOWN_OS,
  normalizeArchitecture,
  normalizeOs,
  normalizePlatform,
} from './platform-normalize';

const PLATFORM_HINT = 'a platform looks like linux/amd64, linux/arm64 or linux/arm/v7 (OS/ARCH[/VARIANT])';
// containerd platforms.go specifierRe; the OS may carry a version in parentheses: windows(10.0.17763)/amd64.
const COMPONENT = /^[A-Za-z0-9_-]+$/;
/** Variants may have a point: arm64 v8.1, v9.0 (containerd NormalizeArch). */
const VARIANT = /^[A-Za-z0-9_.-]+$/;
const OS_WITH_VERSION = /^([A-Za-z0-9_-]+)\(([^()]*)\)$/;

function invalid(specifier: string, problem: string): KimgError {
  return new KimgError('INVALID_ARGUMENT', `invalid platform "${specifier}": ${problem}`, PLATFORM_HINT);
}

/**
 * Parses `os/arch[/variant]` into its normal form (containerd platforms.Parse). A lone architecture means
 * linux (kimg images are Linux images whatever the host is); a lone OS takes the host's architecture.
 */
export function parsePlatform(specifier: string): Platform {
  const parts = specifier.split('/');
  if (specifier === '' || parts.length > 3) throw invalid(specifier, 'expected OS/ARCH or OS/ARCH/VARIANT');
  const [first = '', architecture, variant] = parts;
  const osMatch = OS_WITH_VERSION.exec(first);
  const os = osMatch?.[1] ?? first;
  const checks: [string | undefined, RegExp][] = [
    [os, COMPONENT],
    [architecture, COMPONENT],
    [variant, VARIANT],
  ];
  for (const [part, pattern] of checks) {
    if (part !== undefined && !pattern.test(part)) {
      throw invalid(
        specifier,
        part === ''
          ? 'it has an empty component'
          : `"${part}" has characters other than letters, digits, "_" and "-"`,
      );
    }
  }
  const osVersion = osMatch?.[2];
  const withVersion = osVersion !== undefined && osVersion !== '' ? { 'os.version': osVersion } : {};
  if (architecture !== undefined) {
    return normalizePlatform({ os, architecture, ...(variant !== undefined && { variant }), ...withVersion });
  }
  if (KNOWN_OS.includes(normalizeOs(os))) {
    const host = hostPlatform();
    return normalizePlatform({ ...host, os, ...withVersion });
  }
  if (KNOWN_ARCHITECTURES.includes(normalizeArchitecture(os).architecture)) {
    return normalizePlatform({ os: 'linux', architecture: os });
  }
  throw invalid(specifier, `"${os}" is neither a known OS nor a known architecture`);
}

/** `linux/arm64`, `linux/arm/v7`, `windows(10.0.17763)/amd64`: the form parsePlatform reads back. */
export function formatPlatform(platform: Platform): string {
  const os = platform['os.version'] ? `${platform.os}(${platform['os.version']})` : platform.os;
  return [os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}

/**
 * Whether an index entry (`candidate`) is the platform asked for. Both sides are normalized first, so arm64
 * without variant equals arm64/v8 and arm without variant equals arm/v7; then OS, architecture and variant must
 * be equal (containerd's matcher). `os.version` counts only when `wanted` names one.
 */
export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  const c = normalizePlatform(candidate);
  const w = normalizePlatform(wanted);
  if (c.os !== w.os || c.architecture !== w.architecture || (c.variant ?? '') !== (w.variant ?? ''))
    return false;
  return w['os.version'] === undefined || c['os.version'] === w['os.version'];
}
