import { KimgError } from '../errors';

/** A password or token is a line, not a file: more than this on stdin is a mistake (a piped binary). */
export const MAX_SECRET_BYTES = 64 * 1024;

/**
 * `--password-stdin`: all of stdin, minus the one trailing newline `echo` and `cat` leave (docker and podman
 * strip it too; a password may still end in spaces).
 */
export async function readSecretFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const piece = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += piece.length;
    if (size > MAX_SECRET_BYTES) {
      throw new KimgError(
        'USAGE',
        `--password-stdin: more than ${MAX_SECRET_BYTES} bytes on stdin`,
        'pipe only the password, e.g. printf %s "$PASSWORD" | kimg login …',
      );
    }
    chunks.push(piece);
  }
  const secret = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (secret === '') {
    throw new KimgError(
      'USAGE',
      '--password-stdin: stdin was empty',
      'pipe the password in, e.g. printf %s "$PASSWORD" | kimg login REGISTRY -u USER --password-stdin',
    );
  }
  return secret;
}

/** Whether we may ask the person at the keyboard (never in CI, where stdin is closed or a pipe). */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && typeof process.stdin.setRawMode === 'function';
}

/**
 * Asks for one line on the terminal (the question on stderr, so stdout stays clean). With `hidden`, typed
 * characters are not echoed, as `podman login` does for the password.
 */
export function promptLine(question: string, options: { hidden: boolean }): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new KimgError('ABORTED', 'login cancelled; nothing was saved'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') {
          if (value.length > 0 && !options.hidden) process.stderr.write('\b \b');
          value = value.slice(0, -1);
        } else {
          value += ch;
          if (!options.hidden) process.stderr.write(ch);
        }
      }
    };
    stdin.on('data', onData);
  });
}
