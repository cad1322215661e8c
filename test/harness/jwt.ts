import { createSign, randomBytes, X509Certificate } from 'node:crypto';

/** One entry of the `access` claim (distribution docs, "Token Authentication Implementation"). */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/**
 * Signs a registry bearer token as an RS256 JWS. The header carries `x5c` (the signing certificate chain, base64
 * DER, leaf first): distribution 2.8 verifies the chain against `auth.token.rootcertbundle` and then the signature
 * with the leaf's key (registry/auth/token/token.go verifySigningKey), so no libtrust `kid` is needed.
 */
export function signToken(claims: TokenClaims, keyPem: string, chainPem: string[]): string {
  const x5c = chainPem.map((pem) => new X509Certificate(pem).raw.toString('base64'));
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(keyPem);
  return `${header}.${payload}.${base64url(signature)}`;
}

/** Builds the standard claims; `nbf` is now, which distribution accepts with its 60 s leeway. */
export function tokenClaims(fields: {
  issuer: string;
  service: string;
  subject: string;
  access: Access[];
  expiresInSeconds: number;
}): TokenClaims {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: fields.issuer,
    sub: fields.subject,
    // A plain string: distribution 2.8.2 unmarshals `aud` as a string only (lists arrived in 3.0).
    aud: fields.service,
    exp: now + fields.expiresInSeconds,
    nbf: now,
    iat: now,
    jti: randomBytes(16).toString('hex'),
    access: fields.access,
  };
}

/** Reads a token's claims without verifying it (tests inspect what was granted). */
export function decodeToken(token: string): TokenClaims {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('not a JWS compact token');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
}

/**
 * Parses `type:name:actions` (distribution docs, "Token Scope Documentation"). The name may itself contain ':'
 * (a host with a port), so type ends at the first ':' and actions start after the last one.
 */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter(Boolean);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

export function formatScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}
