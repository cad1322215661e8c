// Peak disk of a flow: the allocated bytes of a few folders and files (st_blocks, each inode once, so hard links
// and the store's leases count once), sampled while the flow runs. Exact for our folders even when other
// processes write to the same file system, which statfs sampling is not.
import * as fs from 'fs';
import * as path from 'path';

/** Allocated bytes below `paths` now (missing paths count 0). */
export function allocatedBytes(paths: readonly string[]): number {
  const seen = new Set<string>();
  let total = 0;
  const visit = (p: string) => {
    let stat: fs.BigIntStats;
    try {
      stat = fs.lstatSync(p, { bigint: true });
    } catch {
      return; // removed while we walked
    }
    const key = `${stat.dev}:${stat.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    total += Number(stat.blocks) * 512;
    if (stat.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        return;
      }
      for (const name of names) visit(path.join(p, name));
    }
  };
  for (const p of paths) visit(p);
  return total;
}

/** Samples allocatedBytes(paths) every `ms` until stopped; returns the peak. */
export function sampleDisk(paths: readonly string[], ms = 100): { stop(): number } {
  let peak = allocatedBytes(paths);
  const timer = setInterval(() => {
    peak = Math.max(peak, allocatedBytes(paths));
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, allocatedBytes(paths));
      return peak;
    },
  };
}
