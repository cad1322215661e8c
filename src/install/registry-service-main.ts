// The background process `kimg install` starts to serve the embedded registry (registry-service.ts): the same
// server as `kimg registry serve --image`, over the cluster's images' registry/ layers in the store. It writes
// `{pid, url}` to its ready file once listening and stops on SIGTERM/SIGINT. Not a CLI command: its only caller is
// install, which passes one JSON argument.
import { writeFileAtomic } from '../fs/atomic-file';
import { openImageStorage, serveRegistry } from '../airgap/serve';
import type { RegistryServiceSpec } from './registry-service';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as RegistryServiceSpec;
  const storage = await openImageStorage(spec.images, { storeRoot: spec.storeRoot });
  const server = await serveRegistry({
    storage,
    host: spec.host,
    port: spec.port,
    onError: (err) => process.stderr.write(`kimg registry: ${(err as Error).message}\n`),
  });
  const stop = () => {
    server.closeNow();
    process.stdout.write('kimg registry: stopped\n');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`kimg registry: serving ${storage.description} at ${server.url}\n`);
  await writeFileAtomic(
    spec.readyFile,
    JSON.stringify({ pid: process.pid, url: server.url, host: server.host, port: server.port }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`kimg registry: ${(err as Error).message}\n`);
  process.exit(1);
});
