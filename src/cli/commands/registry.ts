import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import {
  DEFAULT_SERVE_HOST,
  DEFAULT_SERVE_PORT,
  DirectoryStorage,
  Htpasswd,
  openImageStorage,
  serveRegistry,
  type RegistryStorage,
  type RequestLogEntry,
} from '../../airgap/serve';
import { KimgError } from '../../errors';
import { onInterrupt } from '../../interrupt';
import { parsePlatform } from '../../manifest/platform';
import { defaultStoreRoot } from '../../store/paths';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { parseFlag } from '../usage-error';

interface ServeArgs extends GlobalOptions {
  dir?: string;
  image?: string;
  addr: string;
  platform?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  htpasswd?: string;
}

const serveCommand: CommandModule<GlobalOptions, ServeArgs> = {
  command: 'serve [dir]',
  describe: 'serve a registry storage folder, or the registry/ of a cluster image in place, read-only',
  builder: (argv) =>
    argv
      .positional('dir', {
        type: 'string',
        describe: 'a folder holding docker/registry/v2 (the registry/ of a cluster image, unpacked)',
      })
      .option('image', {
        type: 'string',
        describe:
          'serve the registry/ of this local-store image from its uncompressed layer, without unpacking',
      })
      .option('addr', {
        type: 'string',
        default: `${DEFAULT_SERVE_HOST}:${DEFAULT_SERVE_PORT}`,
        describe: 'HOST:PORT to listen on (port 0: any free port); 0.0.0.0:PORT for every interface',
      })
      .option('platform', {
        type: 'string',
        describe: 'with --image: which platform of the image (default: the host)',
      })
      .option('tls-cert', { type: 'string', describe: 'PEM certificate chain: serve https (with --tls-key)' })
      .option('tls-key', { type: 'string', describe: 'PEM private key of --tls-cert' })
      .option('htpasswd', {
        type: 'string',
        describe: 'require Basic auth against this htpasswd file (bcrypt, htpasswd -B)',
      }),
  handler: async (argv) => {
    const context = createContext(argv);
    const { host, port } = parseAddr(argv.addr);
    const tls = await readTls(argv['tls-cert'], argv['tls-key']);
    const htpasswd = argv.htpasswd !== undefined ? await Htpasswd.load(argv.htpasswd) : undefined;
    const storage = await openStorage(argv, context.storeRoot);
    const server = await serveRegistry({
      storage,
      host,
      port,
      ...(tls && { tls }),
      ...(htpasswd && { htpasswd }),
      ...(context.debug && { onRequest: logRequest, onError: (err: unknown) => logError(err) }),
    }).catch(async (err: unknown) => {
      await storage.close();
      throw err;
    });
    // A long-running command and the interrupt handlers (src/interrupt): SIGINT/SIGTERM run the registered
    // cleanups synchronously, then exit 130/143. Ours stops listening and closes every connection at once
    // (transfers in flight are cut; clients retry elsewhere); the files go with the process.
    onInterrupt(() => {
      server.closeNow();
      process.stderr.write('kimg: registry serve: stopped, connections closed\n');
    });
    if (context.output.json)
      process.stdout.write(`${JSON.stringify({ url: server.url, storage: storage.description })}\n`);
    else process.stdout.write(`serving ${storage.description} at ${server.url}\n`);
    // Serve until a signal ends the process: the listening socket keeps the event loop alive.
    await new Promise<never>(() => undefined);
  },
};

export const registryCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  builder: (argv: Argv<GlobalOptions>) =>
    argv
      .command(serveCommand)
      .demandCommand(1, 'name a subcommand: `kimg registry serve`') as Argv<GlobalOptions>,
  handler: () => undefined,
};

async function openStorage(argv: ServeArgs, storeRoot: string | undefined): Promise<RegistryStorage> {
  if ((argv.dir === undefined) === (argv.image === undefined)) {
    throw new KimgError(
      'USAGE',
      'name what to serve: a folder (DIR) or an image (--image IMAGE), not both',
      'kimg registry serve DIR | kimg registry serve --image IMAGE',
    );
  }
  if (argv.dir !== undefined) return DirectoryStorage.open(argv.dir);
  return openImageStorage(argv.image as string, {
    storeRoot: storeRoot ?? defaultStoreRoot(),
    ...(argv.platform !== undefined && { platform: parseFlag(() => parsePlatform(argv.platform as string)) }),
  });
}

/** `HOST:PORT`, `[IPv6]:PORT`; the host is required, so every interface is only ever served when asked for. */
export function parseAddr(addr: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(addr);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined || port > 65535) {
    throw new KimgError(
      'USAGE',
      `--addr "${addr}" is not HOST:PORT`,
      `e.g. ${DEFAULT_SERVE_HOST}:${DEFAULT_SERVE_PORT}, 0.0.0.0:5000 for every interface, [::1]:5000, port 0 for any free port`,
    );
  }
  return { host, port };
}

async function readTls(
  cert: string | undefined,
  key: string | undefined,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new KimgError(
      'USAGE',
      'https needs both --tls-cert and --tls-key',
      'give both PEM files, or neither for http',
    );
  }
  const read = (file: string, flag: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new KimgError(
        'TLS_CONFIG_INVALID',
        `cannot read ${flag} ${file}: ${err.code ?? err.message}`,
        'check the path',
      );
    });
  return { cert: await read(cert, '--tls-cert'), key: await read(key, '--tls-key') };
}

/** `--debug`: one line per request (method, path, status, body bytes, time). */
function logRequest(entry: RequestLogEntry): void {
  const outcome = entry.aborted ? `${entry.status} aborted` : String(entry.status);
  process.stderr.write(
    `kimg: debug: ${entry.method} ${entry.path} → ${outcome} ${entry.bytes} B ${entry.ms} ms\n`,
  );
}

function logError(err: unknown): void {
  process.stderr.write(`kimg: debug: request failed: ${(err as Error).stack ?? String(err)}\n`);
}
