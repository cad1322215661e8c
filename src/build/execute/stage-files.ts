import { chmod } from 'node:fs/promises';
import { BuildContext } from '../context/build-context';
import { walkContext } from '../context/context-walk';
import { ignoreRules } from '../context/ignore-file';
import type { ReadOnlyTarget } from '../../transport/types';
import { UnpackBudget, unpackTar, type UnpackLimits } from '../../unpack';
import type { StageImage } from '../image/stage-image';

/**
 * The file tree of a stage (or image), for `COPY --from`: its layers unpacked in order into `dir` with
 * whiteouts applied (src/unpack: nothing lands outside `dir`), then walked like a build context, so COPY's
 * source rules, hashing and layer entries are the same code whatever COPY reads from. The layers share one
 * budget: the caps bound the whole tree, not each layer.
 */
export async function stageFiles(
  stage: StageImage,
  store: ReadOnlyTarget,
  dir: string,
  what: string,
  options: { limits?: Partial<UnpackLimits>; signal?: AbortSignal } = {},
): Promise<BuildContext> {
  await chmod(dir, 0o755);
  const budget = new UnpackBudget(options.limits);
  const io = options.signal ? { signal: options.signal } : {};
  for (const layer of stage.layers) {
    await unpackTar(await store.fetch(layer, io), dir, {
      whiteouts: true,
      what: `${what} layer ${layer.digest}`,
      budget,
      ...io,
    });
  }
  return directoryContext(dir);
}

/** A directory we made (an unpacked stage or ADD archive) as a context: no ignore rules. */
export async function directoryContext(dir: string): Promise<BuildContext> {
  const rules = ignoreRules([], undefined);
  return new BuildContext(dir, rules, await walkContext(dir, rules));
}
