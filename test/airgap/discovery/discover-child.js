// Child process of hostile-input.test.ts: runs discoverImages (from dist/, which `npm test` builds) on the context
// in argv[2] with the options JSON in argv[3] and prints the outcome, the time it took and the growth of peak RSS
// over the baseline measured after start-up, so the test can bound both. Plain JavaScript on purpose: compiling
// the sources with TypeScript in this process (ts-register) raised its start-up peak past what discovery itself
// uses, and under a loaded CI run that transient showed up as 50+ MiB of "growth".
'use strict';
const { join } = require('node:path');

const dist = join(__dirname, '..', '..', '..', 'dist');
const { discoverImages } = require(join(dist, 'airgap', 'discovery'));
const { isKimgError } = require(join(dist, 'errors'));

async function main() {
  const options = JSON.parse(process.argv[3] ?? '{}');
  global.gc?.();
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
  const growth = process.resourceUsage().maxRSS * 1024 - baseline;
  process.stdout.write(JSON.stringify({ ...outcome, ms, growth }));
}

main().catch((err) => {
  process.stderr.write(String(err.stack));
  process.exit(1);
});
