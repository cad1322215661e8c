import type { ServerResponse } from 'node:http';

/**
 * distribution-spec "Error Codes" (plus NOT_FOUND for paths no endpoint has, which the registry's router
 * answers with a bare 404). The body is the spec's `{"errors":[{code, message, detail}]}`.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'PAGINATION_NUMBER_INVALID'
  | 'UNAUTHORIZED'
  | 'UNSUPPORTED'
  | 'NOT_FOUND'
  | 'UNKNOWN';

export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: RegistryErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Sends an error; a HEAD gets the status and headers only (RFC 9110: no content in a response to HEAD). */
export function sendError(res: ServerResponse, head: boolean, error: RegistryHttpError): number {
  const body = Buffer.from(JSON.stringify({ errors: [{ code: error.code, message: error.message }] }));
  res.writeHead(error.status, {
    ...error.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(body.length),
  });
  res.end(head ? undefined : body);
  return head ? 0 : body.length;
}
