import { RegistryDirTarget } from './registry-dir-target';

export { RegistryDirPaths } from './paths';
export { RegistryDirTarget } from './registry-dir-target';

/** Opens `registry-dir:DIR` for reading and writing; nothing is created until a commit. */
export function openRegistryDir(dir: string): RegistryDirTarget {
  return new RegistryDirTarget(dir);
}
