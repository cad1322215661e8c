export * from './tls-config';
export * from './registry-scheme';
export { readCertDir, type CertDirContents } from './cert-dir';
export { defaultCaCertificates } from './ca-bundle';
