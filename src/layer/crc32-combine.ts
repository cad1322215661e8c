/**
 * crc32_combine from zlib 1.2.12+ (crc32.c, `multmodp`/`x2nmodp`): the CRC-32 of A‖B from crc(A), crc(B) and
 * len(B), in O(log len) — so worker threads can checksum their own blocks and the gzip trailer (RFC 1952 §2.3.1,
 * CRC32 of the uncompressed data) is assembled in order without a second pass. Node has `zlib.crc32` (20.15+)
 * but no combine.
 */
const POLY = 0xedb88320;

/** a(x) · b(x) mod p(x), in zlib's reflected bit order. */
function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) mod p(x) for k = 0…31. */
const X2N_TABLE: number[] = (() => {
  const table: number[] = [];
  let p = 0x40000000; // x^1
  table.push(p);
  for (let n = 1; n < 32; n++) table.push((p = multmodp(p, p)));
  return table;
})();

/** x^(n · 2^k) mod p(x). */
function x2nmodp(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multmodp(X2N_TABLE[k & 31] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

export function crc32Combine(crc1: number, crc2: number, length2: number): number {
  return (multmodp(x2nmodp(length2, 3), crc1) ^ crc2) >>> 0;
}
