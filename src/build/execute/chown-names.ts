import { KimgError } from '../../errors';
import type { ReadOnlyTarget } from '../../transport/types';
import type { StageImage } from '../image/stage-image';
import { lookupPaths } from './image-paths';
import type { UnpackLimits } from '../../unpack';

const PASSWD = 'etc/passwd';
const GROUP = 'etc/group';

/**
 * `COPY/ADD --chown=NAME[:GROUP]` (reference: "COPY --chown": "the username or groupname … will be translated
 * to an integer UID or GID … using the container's root filesystem /etc/passwd and /etc/group files"). As
 * BuildKit and buildah: a user name alone takes the user's primary group; a number alone is also the gid; the
 * files are the stage's as it is at this step (the last layer holding them, whiteouts respected).
 */
export async function resolveChownNames(
  names: { user: string; group?: string },
  stage: StageImage,
  store: ReadOnlyTarget,
  signal?: AbortSignal,
  limits?: Partial<UnpackLimits>,
): Promise<{ uid: number; gid: number }> {
  const files = await lookupPaths(stage, store, [PASSWD, GROUP], signal, limits);
  const text = (path: string) => {
    const state = files.get(path);
    return state?.type === 'file' && state.content ? state.content.toString('utf8') : undefined;
  };
  const flag = `--chown=${names.user}${names.group !== undefined ? `:${names.group}` : ''}`;
  let uid: number;
  let primary: number;
  if (/^\d+$/.test(names.user)) {
    uid = primary = Number(names.user);
  } else {
    const user = findEntry(text(PASSWD), names.user, 2);
    if (!user) throw unknown(flag, 'user', names.user, text(PASSWD) !== undefined, PASSWD);
    [uid, primary] = user;
  }
  if (names.group === undefined) return { uid, gid: primary };
  if (/^\d+$/.test(names.group)) return { uid, gid: Number(names.group) };
  const group = findEntry(text(GROUP), names.group, 2);
  if (!group) throw unknown(flag, 'group', names.group, text(GROUP) !== undefined, GROUP);
  return { uid, gid: group[0] };
}

/** `name:x:ID:…` lines (passwd(5), group(5)): the numeric fields from `field` on (uid, gid / gid). */
function findEntry(text: string | undefined, name: string, field: number): [number, number] | undefined {
  for (const line of text?.split('\n') ?? []) {
    const parts = line.split(':');
    if (parts[0] !== name) continue;
    const id = Number(parts[field]);
    const next = Number(parts[field + 1]);
    if (Number.isInteger(id)) return [id, Number.isInteger(next) ? next : id];
  }
  return undefined;
}

function unknown(flag: string, kind: string, name: string, fileExists: boolean, file: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    fileExists
      ? `${flag}: no ${kind} "${name}" in the image's /${file}`
      : `${flag}: the image has no /${file} to look up the ${kind} "${name}" in`,
    `give a numeric id (--chown=1000:1000), or a ${kind} the base image defines`,
  );
}
