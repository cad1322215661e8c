import { KimgError } from '../../errors';
import { TarIndex, type TarIndexOptions } from '../../layer';
import { DockerArchiveDestination } from '../docker-archive/destination';
import { MANIFEST_JSON_FILE } from '../docker-archive/manifest-json';
import { DockerArchiveSource } from '../docker-archive/source';
import { OciArchiveDestination } from '../oci-archive/destination';
import { OciArchiveSource } from '../oci-archive/source';
import type { ReadOnlyTarget } from '../types';
import type { ArchiveDestination, ArchiveDestinationOptions } from './archive-destination';
import type { ArchiveMembers } from './archive-members';
import { OCI_LAYOUT_FILE } from './layout-files';

/** How an archive source reads a gzipped file: where it inflates it and within which bound (layer/). */
export type ArchiveReadOptions = TarIndexOptions;

export const ARCHIVE_FORMATS = ['oci-archive', 'docker-archive'] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/**
 * Opens an archive whose format is told by its content (`kimg load -i FILE`). manifest.json wins over
 * oci-layout: Docker ≥ 25 writes both, and its manifest.json carries the RepoTags users expect.
 */
export async function openArchiveSource(
  file: string,
  options: ArchiveReadOptions = {},
): Promise<{ format: ArchiveFormat; source: ReadOnlyTarget }> {
  return archiveSourceOf(await TarIndex.open(file, options));
}

/** The archive source for `members` (taking ownership of them), its format told by content as above. */
export async function archiveSourceOf(
  members: ArchiveMembers,
): Promise<{ format: ArchiveFormat; source: ReadOnlyTarget }> {
  if (members.has(MANIFEST_JSON_FILE))
    return { format: 'docker-archive', source: await DockerArchiveSource.fromTar(members) };
  if (members.has(OCI_LAYOUT_FILE))
    return { format: 'oci-archive', source: await OciArchiveSource.fromTar(members) };
  await members.close();
  throw new KimgError(
    'ARCHIVE_FORMAT_UNKNOWN',
    `${members.file} is not an oci-archive or docker-archive`,
    'it is a tar file, but holds neither manifest.json (docker save) nor oci-layout (OCI image layout)',
  );
}

export async function openArchiveDestination(
  file: string,
  format: ArchiveFormat,
  options: ArchiveDestinationOptions = {},
): Promise<ArchiveDestination> {
  return format === 'docker-archive'
    ? DockerArchiveDestination.create(file, options)
    : OciArchiveDestination.create(file, options);
}
