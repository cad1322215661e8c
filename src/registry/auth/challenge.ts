/**
 * `WWW-Authenticate` (RFC 9110 §11.6.1, §11.2): one or more challenges, each `scheme [token68 | #auth-param]`,
 * separated by commas, with quoted-string values that may themselves hold commas and escaped quotes, e.g.
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"
 * Registries use `Bearer` (distribution token auth, docs/spec/auth/token.md) or `Basic` (htpasswd).
 */
export interface Challenge {
  /** Lower-case: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lower-cased (they are case-insensitive); values as sent. */
  params: Record<string, string>;
  token68?: string;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /[A-Za-z0-9\-._~+/]/;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skip(pattern: RegExp): void {
    while (!this.done && pattern.test(this.peek())) this.pos++;
  }
  take(pattern: RegExp): string {
    const start = this.pos;
    this.skip(pattern);
    return this.text.slice(start, this.pos);
  }
}

function quoted(cursor: Cursor): string {
  cursor.pos++; // opening quote
  let value = '';
  while (!cursor.done) {
    const ch = cursor.peek();
    cursor.pos++;
    if (ch === '"') return value;
    if (ch === '\\' && !cursor.done) {
      value += cursor.peek();
      cursor.pos++;
    } else {
      value += ch;
    }
  }
  return value; // unterminated: take what there is rather than fail the whole header
}

/** `name=value` at the cursor, or undefined (cursor unchanged) when the next item is not a parameter. */
function param(cursor: Cursor): [string, string] | undefined {
  const start = cursor.pos;
  const name = cursor.take(TOKEN);
  cursor.skip(/[ \t]/);
  if (name === '' || cursor.peek() !== '=') {
    cursor.pos = start;
    return undefined;
  }
  cursor.pos++;
  cursor.skip(/[ \t]/);
  const value = cursor.peek() === '"' ? quoted(cursor) : cursor.take(TOKEN);
  return [name.toLowerCase(), value];
}

/** token68 (`Basic dXNlcjpwYXNz`) at the cursor: token68 chars, optional `=` padding, then `,` or the end. */
function token68(cursor: Cursor): string | undefined {
  const start = cursor.pos;
  let value = cursor.take(TOKEN68);
  value += cursor.take(/=/);
  const end = cursor.pos;
  cursor.skip(/[ \t]/);
  if (value !== '' && (cursor.done || cursor.peek() === ',')) return value.slice(0, end - start);
  cursor.pos = start;
  return undefined;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  if (Array.isArray(header)) return header.flatMap((h) => parseChallenges(h));
  const cursor = new Cursor(header);
  const challenges: Challenge[] = [];
  for (;;) {
    cursor.skip(/[ \t,]/);
    const scheme = cursor.take(TOKEN);
    if (scheme === '') break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    cursor.skip(/[ \t]/);
    // token68 first: `abc==` would otherwise read as a parameter `abc` with an empty value.
    const t68 = token68(cursor);
    if (t68 !== undefined) {
      challenge.token68 = t68;
      continue;
    }
    const first = param(cursor);
    if (!first) continue;
    challenge.params[first[0]] = first[1];
    // More parameters follow a comma, until a comma is followed by something that is not `name=` (a new scheme).
    for (;;) {
      const save = cursor.pos;
      cursor.skip(/[ \t]/);
      if (cursor.peek() !== ',') break;
      cursor.skip(/[ \t,]/);
      const next = param(cursor);
      if (!next) {
        cursor.pos = save;
        break;
      }
      challenge.params[next[0]] = next[1];
    }
    if (cursor.done) break;
    // Skip anything unparseable up to the next comma so one odd token does not hide later challenges.
    if (cursor.peek() !== ',') cursor.take(/[^,]/);
  }
  return challenges;
}

/** The challenge we act on: Bearer wins over Basic (the token flow never sends the password to the registry). */
export function preferredChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
