import { startupSnapshot } from 'node:v8';
import { yaml, zod } from '../lazy/lazy';
import { setPackageRoot } from '../lazy/package-root';
import { imageManifestSchema } from '../manifest/schemas';
import { loadEveryCommand } from './commands';
import { main } from './main';
import { warmUpForSnapshot } from './snapshot-warm-up';

/**
 * The start-up snapshot's program (scripts/build-snapshot.js bundles it and runs `node --build-snapshot`). Node
 * then starts `kimg` from a heap in which every module below is already loaded and the manifest schemas built, in
 * place of reading, compiling and running ~350–450 modules at each start: ~0.07–0.1 s of every command, most of
 * a cached rebuild or a no-op copy (docs/architecture.md "Start-up"). Nothing here may touch the machine it is
 * built on (no handles, timers, environment or paths kept): run-time state is read when the command runs.
 *
 * bin/kimg runs it as `node --snapshot-blob BLOB -- PACKAGE_ROOT ARGS…`.
 */
if (!startupSnapshot.isBuildingSnapshot()) {
  throw new Error('cli/snapshot-main is the start-up snapshot program: run it with `node --build-snapshot`');
}

loadEveryCommand();
zod();
yaml();
imageManifestSchema.safeParse(undefined);
warmUpForSnapshot();

startupSnapshot.setDeserializeMainFunction(() => {
  const [, root, ...args] = process.argv;
  setPackageRoot(root ?? '.');
  if (args.includes('--debug')) {
    const blob = process.execArgv[process.execArgv.indexOf('--snapshot-blob') + 1] ?? '?';
    process.stderr.write(`kimg: debug: started from the start-up snapshot ${blob}\n`);
  }
  void main(args);
});
