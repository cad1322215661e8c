// Child process of hostile-input.test.ts (node -r test/harness/ts-register.js): runs discoverImages on the
// context in argv[2] with the options JSON in argv[3] and prints the outcome, the time it took and the growth of
// peak RSS over the baseline measured after start-up, so the test can bound both.
import { discoverImages } from '../../../src/airgap/discovery';
import { isKimgError } from '../../../src/errors';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[3] ?? '{}') as Parameters<typeof discoverImages>[1];
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  const start = process.hrtime.bigint();
  let outcome: Record<string, unknown>;
  try {
    const result = await discoverImages(process.argv[2] as string, { ...options, env: process.env });
    outcome = { images: result.images.map((image) => image.normalized), warnings: result.warnings };
  } catch (err) {
    if (!isKimgError(err)) throw err;
    outcome = { code: err.code, message: err.message, hint: err.hint };
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const growth = process.resourceUsage().maxRSS * 1024 - baseline;
  process.stdout.write(JSON.stringify({ ...outcome, ms, growth }));
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack));
  process.exit(1);
});
