import { chmod } from 'node:fs/promises';
import { BuildContext } from '../context/build-context';
import { walkContext } from '../context/context-walk';
import { ignoreRules } from '../context/ignore-file';
import type { ReadOnlyTarget } from '../../transport/types';
import type { StageImage } from '../image/stage-image';
import { extractTar } from './extract-tar';

/**
 * The file tree of a stage (or image), for `COPY --from`: its layers unpacked in order into `dir` with
 * whiteouts applied, then walked like a build context, so COPY's source rules, hashing and layer entries are
 * the same code whatever COPY reads from.
 */
export async function stageFiles(
  stage: StageImage,
  store: ReadOnlyTarget,
  dir: string,
  what: string,
  signal?: AbortSignal,
): Promise<BuildContext> {
  await chmod(dir, 0o755);
  for (const layer of stage.layers) {
    const io = signal ? { signal } : {};
    await extractTar(await store.fetch(layer, io), dir, {
      whiteouts: true,
      what: `${what} layer ${layer.digest}`,
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
