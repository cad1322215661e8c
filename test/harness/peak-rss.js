// Peak RSS of the calling process, for tests that bound a child's memory. Linux's VmHWM (proc(5)) is the peak of
// this process's own memory since its exec, and writing 5 to /proc/self/clear_refs resets it to the current RSS.
// Not getrusage's maxRSS (process.resourceUsage().maxRSS): Linux carries that across exec, so a child spawned by a
// big jest worker reports the worker's size as its own peak (a 300 MB parent → 290 MiB "peak" in a fresh node).
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');

/** VmHWM in bytes. */
function peakRss() {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error('no VmHWM in /proc/self/status');
  return Number(match[1]) * 1024;
}

/** Sets VmHWM to the current RSS, so a later peakRss() measures from here. */
function resetPeak() {
  writeFileSync('/proc/self/clear_refs', '5');
}

module.exports = { peakRss, resetPeak };
