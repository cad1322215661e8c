export {
  installInterruptHandlers,
  onInterrupt,
  pendingCleanups,
  removeOnInterrupt,
  runCleanups,
  SIGNAL_EXIT_CODES,
  type Cleanup,
} from './interrupt-cleanup';
