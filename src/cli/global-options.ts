import type { Argv } from 'yargs';
import { DEFAULT_MAX_INFLATE_RATIO } from '../layer/inflate-bound';

/** DESIGN.md "CLI contract", global flags. Registry flags (--tls-verify, --cert-dir, --authfile) are parsed
 * here already so scripts can pass them; the registry client consumes them. */
export interface GlobalOptions {
  root?: string;
  format?: string;
  quiet?: boolean;
  debug?: boolean;
  'tls-verify'?: boolean;
  'cert-dir'?: string;
  authfile?: string;
  'max-inflate-ratio'?: number;
}

export function addGlobalOptions<T>(argv: Argv<T>): Argv<T & GlobalOptions> {
  return argv
    .option('root', {
      type: 'string',
      describe: 'local store directory (default $KIMG_ROOT, else $XDG_DATA_HOME/kimg)',
      global: true,
    })
    .option('format', {
      type: 'string',
      describe: 'output format: json for machine-readable output',
      global: true,
    })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'print only what scripts need', global: true })
    .option('debug', { type: 'boolean', describe: 'print stack traces and debug detail', global: true })
    .option('tls-verify', {
      type: 'boolean',
      describe: 'verify registry TLS certificates (default true)',
      global: true,
    })
    .option('cert-dir', {
      type: 'string',
      describe: 'directory of per-registry CA and client certificates',
      global: true,
    })
    .option('authfile', { type: 'string', describe: 'registry credentials file', global: true })
    .option('max-inflate-ratio', {
      type: 'number',
      describe: `a gzipped archive may inflate to N × its size (default $KIMG_MAX_INFLATE_RATIO, else ${DEFAULT_MAX_INFLATE_RATIO})`,
      global: true,
    }) as Argv<T & GlobalOptions>;
}
