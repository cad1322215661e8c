// Linux /proc readers for the CPU time of processes the benchmark did not spawn itself (the registries the test
// harness starts, whose handle has no pid): which process listens on a TCP port, and its utime + stime.
import { spawnSync } from 'child_process';
import * as fs from 'fs';

let ticksPerSecond: number | null = null;

/** Clock ticks per second of /proc/PID/stat's times (`getconf CLK_TCK`; 100 on Linux when that fails). */
export function clockTicks(): number {
  if (ticksPerSecond === null) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    ticksPerSecond = out.status === 0 && Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticksPerSecond;
}

/** utime + stime of a process (all its threads), in seconds; null when it is gone or unreadable. */
export function processCpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after its closing one, which is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / clockTicks() : null;
}

/** Inodes of the sockets listening on `port` (any local address), from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const f = line.trim().split(/\s+/);
      const local = f[1];
      if (!local || f[3] !== '0A' /* LISTEN */ || !local.endsWith(`:${hexPort}`)) continue;
      if (f[9] && f[9] !== '0') inodes.add(f[9]);
    }
  }
  return inodes;
}

/**
 * The pid of the process listening on TCP `port`: the listening socket's inode, then the process holding a file
 * descriptor on `socket:[inode]`. Null when none is found (or /proc hides other users' fds), or when the holder's
 * name is not `expectComm` (a guard against the port having been reused).
 */
export function listenerPid(port: number, expectComm?: string): number | null {
  const inodes = listeningInodes(port);
  if (!inodes.size) return null;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!wanted.has(target)) continue;
      const pid = Number(entry);
      if (expectComm !== undefined) {
        // comm is cut to 15 bytes by the kernel.
        const comm = readOr(`/proc/${pid}/comm`).trim();
        if (comm !== expectComm.slice(0, 15)) return null;
      }
      return pid;
    }
  }
  return null;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
