import { endianness } from 'node:os';
import type { Platform } from './descriptor';

/** Node's process.platform names that differ from GOOS. */
const OS_FROM_NODE: Partial<Record<NodeJS.Platform, string>> = { win32: 'windows', sunos: 'solaris' };

/** Node's process.arch names that differ from GOARCH. */
function goArch(arch: string): string {
  switch (arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'ppc64':
      // Node says ppc64 for both; GOARCH distinguishes the little-endian one that Linux distributions ship.
      return endianness() === 'LE' ? 'ppc64le' : 'ppc64';
    case 'mipsel':
      return 'mipsle';
    default:
      return arch;
  }
}

/** The platform this process runs on, in image-spec (GOOS/GOARCH) names, normalized. */
export function hostPlatform(): Platform {
  const os = OS_FROM_NODE[process.platform] ?? process.platform;
  const architecture = goArch(process.arch);
  if (architecture === 'arm') {
    // Node is built for one ARM version; process.config records it (e.g. arm_version: '7').
    const armVersion = (process.config.variables as Record<string, unknown>)['arm_version'];
    return { os, architecture, variant: typeof armVersion === 'string' ? `v${armVersion}` : 'v7' };
  }
  return { os, architecture };
}
