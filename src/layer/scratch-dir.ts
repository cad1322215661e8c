import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnInterrupt } from '../interrupt';

/** A scratch dir the store knows (store/scratch.ts's `Scratch` has this shape; layer/ may not import store/). */
export interface ScratchDir {
  readonly dir: string;
  /** Removes the dir; safe to call twice. */
  release(): Promise<void>;
}

export interface ScratchDirOptions {
  /**
   * Opens the scratch dir (the CLI passes the store's `.kimg/scratch/<owner>/`, so SIGINT/SIGTERM remove it and
   * `kimg prune` sweeps what SIGKILL leaves). Without it: a mkdtemp dir in `tmpDir` (default os.tmpdir()),
   * removed on SIGINT/SIGTERM only.
   */
  openScratch?: (purpose: string) => Promise<ScratchDir>;
  tmpDir?: string;
}

/**
 * Room for working files that come from outside (an inflated archive, a daemon's export, a staged load): the
 * caller's scratch dir when it gives one, else a private mkdtemp dir (mode 0700) that an interrupt removes.
 */
export async function openScratchDir(purpose: string, options: ScratchDirOptions = {}): Promise<ScratchDir> {
  if (options.openScratch) return options.openScratch(purpose);
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'kimg-'));
  const forget = removeOnInterrupt(dir);
  return {
    dir,
    release: async () => {
      forget();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
