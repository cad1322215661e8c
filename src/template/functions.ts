import { BUILTINS } from './builtins';
import type { FunctionCheck } from './parser';
import type { FunctionTable, GoFunction } from './function';
import { SPRIG_DATA } from './sprig-data';
import { SPRIG_ENCODING } from './sprig-encoding';
import { sprigMisc } from './sprig-misc';
import { SPRIG_REGEX } from './sprig-regex';
import { SPRIG_STRINGS } from './sprig-strings';

/**
 * Every function name sealos' renderer knows: sprig v3.2.3's TxtFuncMap (functions.go) plus the Helm functions
 * sealos adds (lifecycle/pkg/template/funcmap.go). A name here that kimg does not implement is refused at parse
 * time with its own message (dates, randomness, crypto key generation, DNS lookups: none belongs in a config
 * file rendered at install, and most would make the output differ per run).
 */
const SEALOS_FUNCTION_NAMES =
  `abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec b64enc base
bcrypt biggest buildCustomCert camelcase cat ceil chunk clean coalesce compact concat contains date dateInZone dateModify
date_in_zone date_modify decryptAES deepCopy deepEqual default derivePassword dict dig dir div divf duration
durationRound empty encryptAES env expandenv ext fail first float64 floor fromJson genCA genCAWithKey genPrivateKey
genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey get getHostByName has hasKey hasPrefix
hasSuffix hello htmlDate htmlDateInZone htpasswd indent initial initials int int64 isAbs join kebabcase keys kindIs
kindOf last list lower max maxf merge mergeOverwrite min minf mod mul mulf mustAppend mustChunk mustCompact
mustDateModify mustDeepCopy mustFirst mustFromJson mustHas mustInitial mustLast mustMerge mustMergeOverwrite
mustPrepend mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll mustRegexReplaceAllLiteral
mustRegexSplit mustRest mustReverse mustSlice mustToDate mustToJson mustToPrettyJson mustToRawJson mustUniq
mustWithout must_date_modify nindent nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend
quote randAlpha randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll regexMatch regexQuoteMeta
regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest reverse round semver semverCompare seq set
sha1sum sha256sum shuffle slice snakecase sortAlpha split splitList splitn squote sub subf substr swapcase ternary
title toDate toDecimal toJson toPrettyJson toRawJson toString toStrings trim trimAll trimPrefix trimSuffix trimall
trunc tuple typeIs typeIsLike typeOf uniq unixEpoch unset until untilStep untitle upper urlJoin urlParse uuidv4 values
without wrap wrapWith toToml toYaml fromYaml fromYamlArray fromJsonArray ipNet ipAt`
    .split(/\s+/)
    .filter(Boolean);

export interface FunctionOptions {
  /** What `env` and `expandenv` read (sealos: its own process environment). Default: nothing. */
  environment?: Readonly<Record<string, string>>;
}

/** The table execution calls into: Go's builtins, then sprig's and sealos' functions over them, as Go's Funcs does. */
export function functionTable(options: FunctionOptions = {}): FunctionTable {
  const table = new Map<string, GoFunction>(BUILTINS);
  for (const part of [
    SPRIG_STRINGS,
    SPRIG_DATA,
    SPRIG_ENCODING,
    SPRIG_REGEX,
    sprigMisc(options.environment ?? {}),
  ]) {
    for (const [name, fn] of part) table.set(name, fn);
  }
  return table;
}

/** Names kimg implements (the table's keys, without building closures over an environment). */
const IMPLEMENTED = new Set(functionTable().keys());

export const FUNCTION_CHECK: FunctionCheck = {
  has: (name) => IMPLEMENTED.has(name),
  refusal: (name) =>
    SEALOS_FUNCTION_NAMES.includes(name)
      ? `function ${JSON.stringify(name)} is not supported by kimg's renderer (sealos has it from sprig or Helm)`
      : `function ${JSON.stringify(name)} not defined`,
};

/** Names sealos would accept that kimg refuses, for docs and tests. */
export function unsupportedFunctionNames(): string[] {
  return SEALOS_FUNCTION_NAMES.filter((name) => !IMPLEMENTED.has(name)).sort();
}
