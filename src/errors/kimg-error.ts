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
  | 'ABORTED'
  // Registry client (src/registry): the distribution-spec error codes that change what the user does next,
  // plus transport failures. Anything else a registry says is REGISTRY_ERROR with the spec code attached.
  | 'REGISTRY_ERROR'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NAME_UNKNOWN'
  | 'TOO_MANY_REQUESTS'
  | 'NETWORK_ERROR'
  | 'TLS_ERROR'
  | 'REDIRECT_REFUSED'
  // Credentials and TLS settings (src/registry/credentials, src/registry/tls): the user's files or programs.
  | 'AUTH_FILE_INVALID'
  | 'CREDENTIAL_HELPER_NOT_FOUND'
  | 'CREDENTIAL_HELPER_FAILED'
  | 'TLS_CONFIG_INVALID'
  // The command line itself is wrong (unknown flag, bad flag value, missing argument): the CLI's exit status 2.
  // Refused inputs (files, archives, build contexts) are other codes and exit 1.
  | 'USAGE'
  // Image discovery (src/airgap/discovery): an input file that cannot be read as written, a chart Helm refused.
  | 'DISCOVERY_INPUT_INVALID'
  | 'HELM_FAILED'
  // A local file or folder that is not what it claims to be (src/fs): a device, FIFO, socket, or a symlink leaving its layout.
  | 'FILE_REFUSED'
  // A registry or HTTP deadline passed (src/registry/http/timeouts.ts).
  | 'TIMEOUT'
  // A remote APP/CNI/CSI source (src/build/app-sources): not found (404, no such chart or version), or not a chart.
  | 'APP_SOURCE_NOT_FOUND'
  | 'APP_SOURCE_INVALID'
  // A sync file (src/sync) that does not say what to copy: unknown key, bad regex or semver range, with its line.
  | 'SYNC_CONFIG_INVALID'
  // A sync finished with images it could not copy (each named in its report).
  | 'SYNC_INCOMPLETE'
  // A split bundle (`kimg save --split`) with a part missing, truncated or not the size its header records.
  | 'BUNDLE_INCOMPLETE'
  // kimg install (src/install): an app's Kubernetes range the rootfs does not meet; a hook or app command that failed.
  | 'INSTALL_INCOMPATIBLE'
  | 'HOOK_FAILED'
  // Not enough free space for what an install would unpack (the numbers are in the message).
  | 'NO_SPACE'
  // A .tmpl file install renders (src/template): a syntax error, an unsupported function, a failed execution.
  | 'TEMPLATE';

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
