export { formatByteSize, parseByteSize } from './byte-size';
export { decompressed, decompressorFor, peek } from './decompress';
export { readTar, type TarEntry, type TarReading } from './tar-entries';
export { UnpackBudget } from './unpack-budget';
export {
  capExceeded,
  DEFAULT_UNPACK_LIMITS,
  UNPACK_CAPS,
  unpackLimitsFromEnv,
  type UnpackLimits,
} from './unpack-limits';
export { unpackTar, type UnpackOptions, type UnpackResult } from './unpack-tar';
export { ownershipPolicy, type Owner, type Ownership, type OwnershipPolicy } from './ownership';
