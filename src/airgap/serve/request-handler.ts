import type { IncomingMessage, ServerResponse } from 'node:http';
import { MediaType } from '../../manifest';
import { parseRange } from './byte-range';
import type { Htpasswd } from './htpasswd';
import { CATALOG_MAX_ENTRIES, paginate } from './pagination';
import { RegistryHttpError, sendError } from './registry-errors';
import { StoredManifestInvalid, type RegistryView } from './registry-view';
import { parseRoute, type Route } from './routes';

export interface HandlerSettings {
  htpasswd?: Htpasswd;
  /** The `realm` of `WWW-Authenticate: Basic` (default "kimg registry"). */
  realm: string;
}

/** `Docker-Distribution-API-Version` on every answer: clients (docker, containerd) probe `/v2/` for it. */
const API_VERSION = { 'Docker-Distribution-API-Version': 'registry/2.0' };

/** Body bytes handed to the connection so far, for the request log (a blob counts as it streams). */
export interface SentBytes {
  bytes: number;
}

/**
 * One request of the read-only distribution API; `sent` counts the body bytes for the request log.
 * Writes are 405 UNSUPPORTED (distribution-spec: a registry MAY refuse a method with 405); a HEAD is answered as
 * its GET without the body.
 */
export async function handleRequest(
  view: RegistryView,
  settings: HandlerSettings,
  req: IncomingMessage,
  res: ServerResponse,
  sent: SentBytes,
): Promise<void> {
  const head = req.method === 'HEAD';
  for (const [key, value] of Object.entries(API_VERSION)) res.setHeader(key, value);
  try {
    if (settings.htpasswd && !(await settings.htpasswd.check(req.headers.authorization))) {
      throw new RegistryHttpError(401, 'UNAUTHORIZED', 'authentication required', {
        'WWW-Authenticate': `Basic realm="${settings.realm}"`,
      });
    }
    const url = new URL(req.url ?? '/', 'http://registry.invalid');
    const route = parseRoute(url.pathname);
    if (req.method !== 'GET' && !head) {
      throw new RegistryHttpError(405, 'UNSUPPORTED', 'this registry is read-only', { Allow: 'GET, HEAD' });
    }
    sent.bytes = await answer(view, route, url, req, res, head, sent);
  } catch (err) {
    if (err instanceof RegistryHttpError) sent.bytes = sendError(res, head, err);
    else if (err instanceof StoredManifestInvalid)
      sent.bytes = sendError(res, head, new RegistryHttpError(500, 'UNKNOWN', err.message));
    else throw err;
  }
}

async function answer(
  view: RegistryView,
  route: Route,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  head: boolean,
  sent: SentBytes,
): Promise<number> {
  switch (route.kind) {
    case 'base':
      return sendJson(res, head, {});
    case 'upload':
      throw new RegistryHttpError(405, 'UNSUPPORTED', 'this registry is read-only', { Allow: 'GET, HEAD' });
    case 'catalog': {
      const page = paginate(await view.repositories(), url.searchParams, '/v2/_catalog', CATALOG_MAX_ENTRIES);
      if (page.link) res.setHeader('Link', page.link);
      return sendJson(res, head, { repositories: page.items });
    }
    case 'tags': {
      if (!(await view.repositoryExists(route.name))) throw nameUnknown(route.name);
      const page = paginate(await view.tags(route.name), url.searchParams, `/v2/${route.name}/tags/list`);
      if (page.link) res.setHeader('Link', page.link);
      return sendJson(res, head, { name: route.name, tags: page.items });
    }
    case 'manifest':
      return sendManifest(view, route.name, route.tag, route.digest, req, res, head);
    case 'blob':
      return sendBlob(view, route.name, route.digest, req, res, head, sent);
    case 'referrers':
      return sendReferrers(view, route.name, route.digest, url, res, head);
  }
}

async function sendManifest(
  view: RegistryView,
  name: string,
  tag: string | undefined,
  byDigest: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  head: boolean,
): Promise<number> {
  const digest = byDigest ?? (tag !== undefined ? await view.tagDigest(name, tag) : undefined);
  const manifest = digest === undefined ? undefined : await view.manifest(name, digest);
  if (!manifest) {
    if (!(await view.repositoryExists(name))) throw nameUnknown(name);
    throw new RegistryHttpError(404, 'MANIFEST_UNKNOWN', `manifest unknown: ${byDigest ?? tag ?? ''}`);
  }
  const etag = `"${manifest.digest}"`;
  const headers = {
    'Content-Type': manifest.facts.mediaType,
    'Docker-Content-Digest': manifest.digest,
    ETag: etag,
  };
  // distribution's GetManifest answers If-None-Match on the digest ETag with 304.
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return 0;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(manifest.bytes.length) });
  res.end(head ? undefined : manifest.bytes);
  return head ? 0 : manifest.bytes.length;
}

async function sendBlob(
  view: RegistryView,
  name: string,
  digest: string,
  req: IncomingMessage,
  res: ServerResponse,
  head: boolean,
  sent: SentBytes,
): Promise<number> {
  const file = await view.openBlob(name, digest);
  if (!file) {
    if (!(await view.repositoryExists(name))) throw nameUnknown(name);
    throw new RegistryHttpError(404, 'BLOB_UNKNOWN', `blob unknown to registry: ${digest}`);
  }
  try {
    const headers = {
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      ETag: `"${digest}"`,
      // Content-addressed: the bytes of a digest never change (the registry sends the same max-age).
      'Cache-Control': 'max-age=31536000',
    };
    const range = parseRange(req.headers.range, file.size);
    if (range.kind === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}`, 'Content-Length': '0' });
      res.end();
      return 0;
    }
    const [start, end] = range.kind === 'range' ? [range.start, range.end] : [0, file.size - 1];
    const length = end - start + 1;
    res.writeHead(range.kind === 'range' ? 206 : 200, {
      ...headers,
      'Content-Length': String(length),
      ...(range.kind === 'range' && { 'Content-Range': `bytes ${start}-${end}/${file.size}` }),
    });
    if (head || length === 0) {
      res.end();
      return 0;
    }
    // Streamed from disk with backpressure; a client that goes away ends the copy and the file closes (finally).
    await file.writeTo(res, start, end, (bytes) => (sent.bytes += bytes));
    res.end();
    return length;
  } finally {
    await file.close();
  }
}

async function sendReferrers(
  view: RegistryView,
  name: string,
  digest: string,
  url: URL,
  res: ServerResponse,
  head: boolean,
): Promise<number> {
  const artifactType = url.searchParams.get('artifactType');
  const referrers = (await view.referrers(name, digest)).filter(
    (manifest) => artifactType === null || manifest.facts.artifactType === artifactType,
  );
  // distribution-spec "Listing Referrers": always 200 with an image index, never 404; a filter applied says so.
  if (artifactType !== null) res.setHeader('OCI-Filters-Applied', 'artifactType');
  return sendJson(
    res,
    head,
    {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: referrers.map(({ digest: referrer, bytes, facts }) => ({
        mediaType: facts.mediaType,
        digest: referrer,
        size: bytes.length,
        ...(facts.artifactType !== undefined && { artifactType: facts.artifactType }),
        ...(facts.annotations !== undefined && { annotations: facts.annotations }),
      })),
    },
    MediaType.OciIndex,
  );
}

function sendJson(
  res: ServerResponse,
  head: boolean,
  value: unknown,
  contentType = 'application/json; charset=utf-8',
): number {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(body.length) });
  res.end(head ? undefined : body);
  return head ? 0 : body.length;
}

function nameUnknown(name: string): RegistryHttpError {
  return new RegistryHttpError(404, 'NAME_UNKNOWN', `repository name not known to registry: ${name}`);
}
