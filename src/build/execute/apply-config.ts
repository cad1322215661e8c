import { KimgError } from '../../errors';
import {
  addHistory,
  addLabels,
  addOnbuild,
  addToSet,
  setEntrypoint,
  setEnv,
  setField,
} from '../image/config-edits';
import type { StageImage } from '../image/stage-image';
import { DEFAULT_SHELL } from '../run/run-command';
import type { CommandSpec, ConfigEdit, Position } from '../plan/types';
import { applyClusterEdit } from './cluster-labels';

export interface EditContext {
  createdBy: string;
  created: string;
  at: Position;
  /** CMD was set by this stage (ENTRYPOINT resets an inherited CMD only). */
  cmdSet: boolean;
}

/** One planned config edit applied with docker's semantics (src/build/image/config-edits.ts). */
export function applyConfig(stage: StageImage, edit: ConfigEdit, ctx: EditContext): StageImage {
  const { createdBy, created } = ctx;
  switch (edit.op) {
    case 'env':
      return setEnv(stage, edit.pairs, createdBy, created);
    case 'labels':
      return addLabels(stage, edit.labels, createdBy, created);
    case 'field':
      return setField(stage, edit.field, edit.value, createdBy, created);
    case 'set':
      return addToSet(stage, edit.field, edit.keys, createdBy, created);
    case 'cmd':
      return setField(stage, 'Cmd', argv(stage, edit.command), createdBy, created);
    case 'entrypoint':
      return setEntrypoint(stage, argv(stage, edit.command), ctx.cmdSet, createdBy, created);
    case 'shell':
      return setField(stage, 'Shell', edit.value, createdBy, created);
    case 'healthcheck':
      return setField(stage, 'Healthcheck', edit.value, createdBy, created);
    case 'onbuild':
      return addOnbuild(stage, edit.trigger, createdBy, created);
    case 'author': {
      const next = addHistory(stage, createdBy, created);
      return { ...next, extra: { ...next.extra, author: edit.value } };
    }
    case 'none':
      return addHistory(stage, createdBy, created);
    default:
      return applyClusterEdit(stage, edit, ctx);
  }
}

/** Shell form runs through the stage's SHELL (Dockerfile reference, "CMD": `["/bin/sh", "-c", …]`). */
function argv(stage: StageImage, command: CommandSpec): string[] {
  if ('exec' in command) return command.exec;
  const shell = Array.isArray(stage.runConfig.Shell)
    ? (stage.runConfig.Shell as string[])
    : [...DEFAULT_SHELL];
  return [...shell, command.shell];
}

export function unknownApp(name: string, at: Position, known: string[]): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `${at.file}:${at.line}:${at.column}: no app "${name}" in this image or its base`,
    known.length > 0 ? `apps declared: ${known.join(', ')}` : `declare it first: APP ${name} local://PATH`,
  );
}
