import { KimgError } from '../errors';
import type { Output } from './output';
import { canPrompt, promptLine, readSecretFromStdin } from './secret-input';

export interface LoginFlags {
  username?: string;
  password?: string;
  'password-stdin'?: boolean;
}

const PIPE_HINT = 'pass them like this: printf %s "$PASSWORD" | kimg login REGISTRY -u USER --password-stdin';

function usage(message: string, hint = PIPE_HINT): KimgError {
  return new KimgError('USAGE', message, hint);
}

/**
 * The username and password for `kimg login`, from the flags, stdin, or — only when stdin is a terminal — a
 * prompt. CI has no terminal: there a missing password is an error, never a hang waiting for input.
 */
export async function loginCredentials(
  flags: LoginFlags,
  output: Output,
): Promise<{ username: string; password: string }> {
  if (flags.password !== undefined && flags['password-stdin']) {
    throw usage('--password and --password-stdin cannot be used together', 'keep --password-stdin');
  }
  let username = flags.username;
  let password: string | undefined;
  if (flags['password-stdin']) {
    // stdin holds the password, so it cannot also answer a username prompt.
    if (username === undefined) throw usage('--password-stdin needs --username (-u USER)');
    password = await readSecretFromStdin();
  } else if (flags.password !== undefined) {
    output.warn(
      '--password is visible to other users in the process list and stays in shell history; use --password-stdin',
    );
    password = flags.password;
  }
  if (username === undefined || password === undefined) {
    if (!canPrompt()) {
      const missing = username === undefined ? 'username' : 'password';
      throw usage(`no ${missing} given, and stdin is not a terminal to ask for one`);
    }
    username ??= await promptLine('Username: ', { hidden: false });
    password ??= await promptLine('Password: ', { hidden: true });
  }
  // RFC 7617: the user-id of Basic credentials cannot contain a colon.
  if (username === '' || username.includes(':')) {
    throw usage(`invalid username "${username}"`, 'a username is not empty and has no ":"');
  }
  if (password === '') throw usage('the password is empty');
  return { username, password };
}
