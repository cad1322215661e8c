import { join } from 'node:path';
import { build, type BuildOptions, type BuildReport } from '../../src/build';

/**
 * A library build of the context `dir` whose Kubefile lies beside it (`dir/../Kubefile`, so editing it changes
 * no context file), tagged `t:1`, for linux/amd64, without embedding (no images to pull), into `storeRoot`.
 */
export function buildBeside(
  dir: string,
  storeRoot: string,
  extra: Partial<BuildOptions> = {},
): Promise<BuildReport> {
  return build({
    context: dir,
    file: join(dir, '..', 'Kubefile'),
    tags: ['t:1'],
    saveImages: false,
    platforms: [{ os: 'linux', architecture: 'amd64' }],
    open: { storeRoot },
    ...extra,
  });
}
