import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatScope, parseScope, signToken, tokenClaims, type Access } from './jwt';
import { makeTestCa } from './tls';

export interface TestUser {
  username: string;
  password: string;
}

/** What the server grants: `user` is undefined for anonymous requests. */
export type GrantFunction = (user: string | undefined, requested: Access[]) => Access[];

export interface TokenRequestRecord {
  method: 'GET' | 'POST';
  /** Requested scopes exactly as sent (`repository:NAME:pull,push`). */
  scopes: string[];
  service: string | undefined;
  grantType: string | undefined;
  /** Whether the client sent an Authorization header (GET) or credentials in the form (POST). */
  authorization: boolean;
  user: string | undefined;
  status: number;
  granted: Access[];
}

export interface TokenServerOptions {
  users: TestUser[];
  issuer?: string;
  service?: string;
  grant?: GrantFunction;
  expiresInSeconds?: number;
}

export interface RunningTokenServer {
  /** The realm: `http://127.0.0.1:PORT/token`. */
  realm: string;
  issuer: string;
  service: string;
  /** The CA that issued the signing certificate: distribution's `auth.token.rootcertbundle`. */
  rootCertBundlePath: string;
  requests: TokenRequestRecord[];
  /** Replaces the grant policy (e.g. pull-only) for later requests. */
  setGrant(grant: GrantFunction | undefined): void;
  stop(): Promise<void>;
}

/** Default policy: a known user may pull and push any repository; anonymous may only pull. */
export const defaultGrant: GrantFunction = (user, requested) =>
  requested
    .filter((access) => access.type === 'repository')
    .map((access) => ({
      ...access,
      actions: access.actions.filter((action) => (user ? ['pull', 'push'] : ['pull']).includes(action)),
    }));

export const pullOnlyGrant: GrantFunction = (_user, requested) => defaultGrant(undefined, requested);

/**
 * A Docker token server (distribution docs "Token Authentication Specification" for GET with Basic auth, and
 * "OAuth2 Token Authentication" for POST with grant_type=password|refresh_token). Tokens are real RS256 JWTs the
 * real registry verifies, so a test can prove a scope was both requested and enforced.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<RunningTokenServer> {
  const issuer = options.issuer ?? 'kimg-test-issuer';
  const service = options.service ?? 'kimg-test-registry';
  const ca = await makeTestCa('kimg-token-ca');
  const signing = await ca.issueSigningCert('kimg-token-signer');
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>();
  let grant = options.grant ?? defaultGrant;

  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(req, body, res))
      .catch((error: unknown) => reply(res, 500, { errors: [{ code: 'UNKNOWN', message: String(error) }] }));
  });

  function handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const isPost = req.method === 'POST';
    const params = isPost ? new URLSearchParams(body) : url.searchParams;
    // GET repeats `scope`; POST sends one space-separated `scope` (OAuth2 spec).
    const scopes = params
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    const record: TokenRequestRecord = {
      method: isPost ? 'POST' : 'GET',
      scopes,
      service: params.get('service') ?? undefined,
      grantType: params.get('grant_type') ?? undefined,
      authorization: false,
      user: undefined,
      status: 0,
      granted: [],
    };
    requests.push(record);
    const fail = (status: number, code: string, message: string): void => {
      record.status = status;
      reply(res, status, { errors: [{ code, message }] });
    };
    if (url.pathname !== '/token' || (req.method !== 'GET' && !isPost))
      return fail(404, 'NOT_FOUND', 'no such endpoint');

    let user: string | undefined;
    if (isPost) {
      const grantType = params.get('grant_type');
      if (!params.get('client_id')) return fail(400, 'INVALID_REQUEST', 'client_id is required');
      if (grantType === 'password') {
        record.authorization = true;
        user = checkUser(params.get('username'), params.get('password'));
      } else if (grantType === 'refresh_token') {
        record.authorization = true;
        user = refreshTokens.get(params.get('refresh_token') ?? '');
      } else return fail(400, 'UNSUPPORTED_GRANT_TYPE', `grant_type ${grantType}`);
      if (!user) return fail(401, 'UNAUTHORIZED', 'bad credentials');
    } else if (req.headers.authorization) {
      record.authorization = true;
      const [scheme, value = ''] = req.headers.authorization.split(' ');
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      user =
        scheme === 'Basic' && colon > 0
          ? checkUser(decoded.slice(0, colon), decoded.slice(colon + 1))
          : undefined;
      if (!user) return fail(401, 'UNAUTHORIZED', 'bad credentials');
    }
    record.user = user;
    if (record.service !== undefined && record.service !== service) {
      return fail(400, 'INVALID_REQUEST', `unknown service ${record.service}`);
    }

    const requested = scopes.map(parseScope).filter((a): a is Access => a !== undefined);
    record.granted = grant(user, requested).filter((access) => access.actions.length > 0);
    const expiresIn = options.expiresInSeconds ?? 300;
    const claims = tokenClaims({
      issuer,
      service,
      subject: user ?? '',
      access: record.granted,
      expiresInSeconds: expiresIn,
    });
    const token = signToken(claims, signing.keyPem, [signing.certPem]);
    const answer: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date(claims.iat * 1000).toISOString(),
      scope: record.granted.map(formatScope).join(' '),
    };
    const offline = isPost ? params.get('access_type') === 'offline' : params.get('offline_token') === 'true';
    if (offline && user) {
      const refresh = randomBytes(24).toString('hex');
      refreshTokens.set(refresh, user);
      answer.refresh_token = refresh;
    }
    record.status = 200;
    reply(res, 200, answer);
  }

  function checkUser(username: string | null, password: string | null): string | undefined {
    return options.users.find((u) => u.username === username && u.password === password)?.username;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    issuer,
    service,
    rootCertBundlePath: ca.caCertPath,
    requests,
    setGrant(next) {
      grant = next ?? defaultGrant;
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
