export * from './types';
export * from './redact';
export * from './registry-key';
export { parseAuthFile, decodeAuthEntry, encodeAuthEntry, type AuthEntry, type AuthFile } from './auth-file';
export { authFileLocations, type AuthFileLocation, type AuthFileLocations } from './auth-paths';
export {
  HELPER_NOT_FOUND_MESSAGE,
  HELPER_PROGRAM_PREFIX,
  IDENTITY_TOKEN_USERNAME,
} from './credential-helper';
export { createCredentialStore, type CredentialStoreOptions } from './credential-store';
