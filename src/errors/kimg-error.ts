/**
 * The one error type kimg throws on purpose. `code` is stable (scripts and tests match on it), `message` names
 * the input that failed, `hint` says what to do next. The CLI's single exit point prints `message` and `hint`
 * and maps the code to an exit status; anything that is not a KimgError is a bug and is printed as one.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_REFERENCE'
  | 'UNKNOWN_TRANSPORT'
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'SIZE_LIMIT'
  | 'BLOB_UNKNOWN'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'CONFIG_INVALID'
  | 'INDEX_INVALID'
  | 'LAYOUT_INVALID'
  | 'ARCHIVE_INVALID'
  | 'ARCHIVE_FORMAT_UNKNOWN'
  | 'IMAGE_NOT_FOUND'
  | 'AMBIGUOUS_IMAGE'
  | 'PLATFORM_NOT_FOUND'
  | 'UNSUPPORTED'
  | 'LOCK_FAILED'
  | 'IO_ERROR'
  | 'DAEMON_ERROR'
  | 'ABORTED';

export class KimgError extends Error {
  override readonly name = 'KimgError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isKimgError(err: unknown, code?: ErrorCode): err is KimgError {
  return err instanceof KimgError && (code === undefined || err.code === code);
}
