import { listContextFiles, readBoundedFile, readContextFile } from './context-file';
import type { DiscoveryRun } from './discovery-run';
import { parseImageList } from './image-list';

/** Every file of a list folder (`images/shim/`), whatever its name (sealos reads them all). */
export async function discoverListFolder(run: DiscoveryRun, folder: string, how: string): Promise<void> {
  for (const file of await listContextFiles(run.root, folder, ['']))
    await discoverContextList(run, file, how);
}

export async function discoverContextList(run: DiscoveryRun, file: string, how: string): Promise<void> {
  run.findings.checkAborted();
  addList(
    run,
    parseImageList(await readContextFile(run.root, file, run.limits.maxFileBytes), file),
    file,
    how,
  );
}

/** A list named on the command line (`--image-list`): anywhere on the host, named as given. */
export async function discoverGivenList(run: DiscoveryRun, file: string): Promise<void> {
  run.findings.checkAborted();
  addList(
    run,
    parseImageList(await readBoundedFile(file, file, run.limits.maxFileBytes), file),
    file,
    'image-list-flag',
  );
}

function addList(
  run: DiscoveryRun,
  listed: ReturnType<typeof parseImageList>,
  file: string,
  how: string,
): void {
  for (const { entry, line } of listed) run.findings.add(entry, { file, line, how });
}
