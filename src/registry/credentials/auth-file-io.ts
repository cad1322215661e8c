import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KimgError } from '../../errors';
import { parseAuthFile, type AuthFile } from './auth-file';
import type { AuthFileLocation } from './auth-paths';

/** Reads and validates an auth file; undefined when it does not exist (every location is optional). */
export async function readAuthFile(location: AuthFileLocation): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(location.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw ioError(`cannot read auth file ${location.path}`, err);
  }
  return parseAuthFile(text, location.path, location.kind === 'legacy');
}

/**
 * Replaces the file atomically: a 0600 temp file beside it, fsync, rename (DESIGN.md: nothing is half-written;
 * credential files are 0600). The directory is made 0700 like podman's `containers/` dir. A symlinked file
 * (dotfile managers) is followed and the link kept, as docker/cli configfile.Save does.
 */
export async function writeAuthFile(path: string, content: AuthFile): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await open(temp, 'wx', 0o600);
    try {
      // Tabs, as docker and containers/image indent it; a trailing newline for editors.
      await handle.writeFile(JSON.stringify(content, null, '\t') + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw ioError(`cannot write auth file ${path}`, err);
  }
}

function ioError(message: string, err: unknown): KimgError {
  const reason = (err as NodeJS.ErrnoException).code ?? String(err);
  return new KimgError(
    'IO_ERROR',
    `${message}: ${reason}`,
    'check the permissions of the file and its directory',
    {
      cause: err,
    },
  );
}
