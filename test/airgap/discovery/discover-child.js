// Child process of hostile-input.test.ts: runs discoverImages (from dist/, which `npm test` builds) on the context
// in argv[2] with the options JSON in argv[3] and prints the outcome, the time it took and the growth of peak RSS
// over the baseline measured after start-up, so the test can bound both.
//
// The peak is this process's own, reset just before discovery (harness/peak-rss.js): getrusage's maxRSS, used
// before, is carried across exec, so under a big jest worker CI saw 140–225 MiB of "growth". Plain JavaScript, so
// no TypeScript compile adds a start-up peak either.
'use strict';
const { join } = require('node:path');
const { peakRss, resetPeak } = require('../../harness/peak-rss');

const dist = join(__dirname, '..', '..', '..', 'dist');
const { discoverImages } = require(join(dist, 'airgap', 'discovery'));
const { isKimgError } = require(join(dist, 'errors'));

async function main() {
  const options = JSON.parse(process.argv[3] ?? '{}');
  global.gc?.();
  resetPeak();
  const baseline = process.memoryUsage.rss();
  const start = process.hrtime.bigint();
  let outcome;
  try {
    const result = await discoverImages(process.argv[2], { ...options, env: process.env });
    outcome = { images: result.images.map((image) => image.normalized), warnings: result.warnings };
  } catch (err) {
    if (!isKimgError(err)) throw err;
    outcome = { code: err.code, message: err.message, hint: err.hint };
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const growth = peakRss() - baseline;
  process.stdout.write(JSON.stringify({ ...outcome, ms, growth }));
}

main().catch((err) => {
  process.stderr.write(String(err.stack));
  process.exit(1);
});
