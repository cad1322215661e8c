import { imageManifestSchema } from '../manifest/schemas';

/**
 * How long after a registry copy starts its first requests the manifest schemas are built: by then the
 * requests are on the wire (the TLS settings and the credential files are read first), and the process is
 * waiting for answers anyway.
 */
const WARM_UP_DELAY_MS = 15;

/**
 * Parsing the first manifest loads zod and builds the schemas (~30 ms of CPU, ~100 ms on a busy machine). A
 * registry copy parses one only after 2–3 round trips (ping, HEADs, GET), so that work is done while those are
 * in flight instead of after them (issue 12 "Latency": measured with the bench copy-latency timeline, the gap
 * between the manifest's arrival and the first blob HEAD fell from ~120 ms to under 10 ms). Returns the cancel.
 */
export function warmUpWhileWaiting(): () => void {
  const timer = setTimeout(() => imageManifestSchema.safeParse(undefined), WARM_UP_DELAY_MS);
  timer.unref();
  return () => clearTimeout(timer);
}
