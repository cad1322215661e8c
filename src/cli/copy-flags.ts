import type { Argv } from 'yargs';
import type { ManifestFormat } from '../copy/convert-format';
import { MANIFEST_FORMATS } from '../copy/convert-format';
import type { PlatformChoice } from '../copy/platform-selection';
import { KimgError } from '../errors';
import { hostPlatform } from '../manifest/host-platform';
import { parsePlatform } from '../manifest/platform';
import { parseFlag } from './usage-error';

/** The flags every image-moving command shares (CLI contract: `--platform P[,P…] | --all-platforms`). */
export interface CopyFlags {
  /** Repeating the flag gives an array (yargs' duplicate-arguments-array). */
  platform?: string | string[];
  'all-platforms'?: boolean;
  'keep-index'?: boolean;
  concurrency?: number;
  referrers?: boolean;
  'digest-tags'?: boolean;
}

export function addCopyFlags<T>(argv: Argv<T>): Argv<T & CopyFlags> {
  return argv
    .option('platform', {
      type: 'string',
      // not `array: true`: an array option would swallow the SOURCE and DEST positionals after it.
      describe: 'copy only these platforms (os/arch[/variant], comma-separated or repeated)',
    })
    .option('all-platforms', { type: 'boolean', describe: 'copy every platform of an index' })
    .option('keep-index', {
      type: 'boolean',
      describe:
        'with --platform: keep the original index (digest unchanged) and copy only the chosen children',
    })
    .option('concurrency', { type: 'number', describe: 'parallel blob transfers (default 6)' })
    .option('referrers', {
      type: 'boolean',
      describe: 'also copy signatures, SBOMs and other artifacts whose subject is the image (OCI referrers)',
    })
    .option('digest-tags', {
      type: 'boolean',
      describe: "also copy cosign's sha256-<digest>.sig/.att/.sbom tags",
    })
    .conflicts('platform', 'all-platforms') as Argv<T & CopyFlags>;
}

/** `defaultChoice` differs per command: pull takes the host's platform, copy/push/save everything. */
export function platformChoice(flags: CopyFlags, defaultChoice: 'host' | 'all'): PlatformChoice {
  const listed = [flags.platform ?? []]
    .flat()
    .flatMap((value) => value.split(','))
    .filter((p) => p.trim() !== '');
  if (flags['keep-index'] && listed.length === 0) {
    throw new KimgError(
      'USAGE',
      '--keep-index needs --platform',
      'name the platforms to copy, e.g. --platform linux/amd64',
    );
  }
  if (flags['all-platforms']) return { kind: 'all' };
  if (listed.length > 0) {
    return {
      kind: 'platforms',
      platforms: listed.map((p) => parseFlag(() => parsePlatform(p.trim()))),
      keepIndex: flags['keep-index'] === true,
    };
  }
  return defaultChoice === 'host' ? { kind: 'platforms', platforms: [hostPlatform()] } : { kind: 'all' };
}

/**
 * `--format` is global and means the output format (`json`); on commands that move images it may also name a
 * manifest format to convert to (`oci`, `v2s2`), as skopeo's `--format` does. Both may be given.
 */
export function splitFormat(format: string | string[] | undefined): {
  output?: string;
  manifest?: ManifestFormat;
} {
  const values = [format ?? []].flat();
  const result: { output?: string; manifest?: ManifestFormat } = {};
  for (const value of values) {
    if (value === 'json') result.output = 'json';
    else if ((MANIFEST_FORMATS as readonly string[]).includes(value))
      result.manifest = value as ManifestFormat;
    else {
      throw new KimgError(
        'USAGE',
        `unknown --format "${value}"`,
        'use --format json (output), or --format oci / --format v2s2 (convert manifests)',
      );
    }
  }
  return result;
}
