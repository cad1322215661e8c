import { KimgError } from '../../errors';
import { errorFromResponse } from '../errors';
import { readLimited } from '../http/body';
import { isDowngrade, sameOrigin } from '../http/origin';
import { redactUrl } from '../http/redact';
import type { HttpTransport } from '../http/transport';
import { basicAuthorization, hasPassword, type Credential } from './credential';
import type { CachedToken } from './token-cache';

/**
 * The distribution token flow (docs/spec/auth/token.md, oauth.md):
 * - with an identity token or a refresh token: POST the realm a form `grant_type=refresh_token` (OAuth2);
 * - otherwise GET the realm with `service` and `scope` parameters, with Basic credentials when we have a
 *   password, anonymously when we have none.
 * Credentials go to the realm's origin only (`authorize` returns nothing for any other hop) and never over plain
 * http when the registry itself is https.
 */
export const TOKEN_CLIENT_ID = 'kimg';
/** token.md: "If not specified, clients SHOULD assume the token is valid for 60 seconds." */
export const DEFAULT_TOKEN_LIFETIME_S = 60;
/** Tokens are JWTs of a few KiB; anything past this is not a token response. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

export interface TokenRequest {
  realm: string;
  service?: string;
  scopes: string[];
  credential?: Credential;
  refreshToken?: string;
  /** The registry that sent the challenge: an https registry's realm must be https too… */
  registry: URL;
  /** …unless plain http is allowed for the realm's host (loopback, or marked insecure: src/registry/tls). */
  realmHttpAllowed?: (host: string) => Promise<boolean>;
  signal?: AbortSignal;
}

async function realmUrl(request: TokenRequest): Promise<URL> {
  let realm: URL;
  try {
    realm = new URL(request.realm);
  } catch {
    throw new KimgError('UNAUTHORIZED', `the registry ${request.registry.host} named an invalid token realm`);
  }
  const downgrade = isDowngrade(request.registry, realm) && !(await request.realmHttpAllowed?.(realm.host));
  if ((realm.protocol !== 'https:' && realm.protocol !== 'http:') || downgrade) {
    throw new KimgError(
      'UNAUTHORIZED',
      `refusing token realm ${redactUrl(realm)} of https registry ${request.registry.host}: credentials would travel in clear`,
      'the registry is misconfigured (or hostile); report it to its operator',
    );
  }
  realm.username = '';
  realm.password = '';
  return realm;
}

export async function fetchToken(
  transport: HttpTransport,
  request: TokenRequest,
  now = Date.now,
): Promise<CachedToken> {
  const realm = await realmUrl(request);
  const refresh =
    request.refreshToken ??
    (request.credential && 'identityToken' in request.credential
      ? request.credential.identityToken
      : undefined);
  const onlyRealm = (value: string | undefined) => async (url: URL) =>
    sameOrigin(url, realm) ? value : undefined;
  const started = now();
  let response;
  if (refresh !== undefined) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refresh,
      client_id: TOKEN_CLIENT_ID,
    });
    if (request.service) form.set('service', request.service);
    if (request.scopes.length) form.set('scope', request.scopes.join(' '));
    response = await transport.send({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      lane: 'small',
      signal: request.signal,
      secretBody: true,
    });
  } else {
    const url = new URL(realm);
    if (request.service) url.searchParams.set('service', request.service);
    for (const scope of request.scopes) url.searchParams.append('scope', scope);
    const credential = hasPassword(request.credential) ? basicAuthorization(request.credential) : undefined;
    if (credential) url.searchParams.set('client_id', TOKEN_CLIENT_ID);
    response = await transport.send({
      method: 'GET',
      url,
      lane: 'small',
      signal: request.signal,
      authorize: onlyRealm(credential),
    });
  }
  if (response.status !== 200) {
    throw await errorFromResponse(response, {
      what: `getting a token for ${request.registry.host} (${request.scopes.join(' ') || 'no scope'})`,
      host: request.registry.host,
    });
  }
  const body = await readLimited(response.body, MAX_TOKEN_RESPONSE_BYTES, 'token response', {
    describe: response.describeError,
  });
  let parsed: {
    token?: unknown;
    access_token?: unknown;
    expires_in?: unknown;
    issued_at?: unknown;
    refresh_token?: unknown;
  };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new KimgError(
      'UNAUTHORIZED',
      `the token server ${realm.host} answered with something that is not JSON`,
    );
  }
  // token.md: `token` and `access_token` are synonyms; prefer `access_token` as OAuth2 clients do.
  const token =
    typeof parsed.access_token === 'string' && parsed.access_token ? parsed.access_token : parsed.token;
  if (typeof token !== 'string' || token === '') {
    throw new KimgError('UNAUTHORIZED', `the token server ${realm.host} returned no token`);
  }
  const lifetime =
    typeof parsed.expires_in === 'number' && parsed.expires_in > 0
      ? parsed.expires_in
      : DEFAULT_TOKEN_LIFETIME_S;
  // issued_at is the server's clock; measuring from our own send time is immune to clock skew.
  return {
    token,
    expiresAt: started + lifetime * 1000,
    scopes: request.scopes,
    refreshToken: typeof parsed.refresh_token === 'string' ? parsed.refresh_token : refresh,
  };
}
