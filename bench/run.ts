// Entry point of `npm run bench -- NAME [options]`: compiles bench/ (tsconfig.bench.json) and runs one named
// benchmark. Each benchmark module exports `run(argv) → exit code`.

type Benchmark = { describe: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const BENCHMARKS: Record<string, Benchmark> = {
  compress: {
    describe: 'layer compression MB/s: kimg parallel gzip and zstd vs gzip -6 and pigz -6 (~256 MiB)',
    load: () => import('./compress'),
  },
  'load-save': {
    describe: 'kimg load/save vs skopeo copy for oci-archive and docker-archive (~250 MB, 8 layers)',
    load: () => import('./load-save'),
  },
  registry: {
    describe: 'push/pull of a 100 MiB and a 1 GiB layer to/from docker-registry: kimg copy vs skopeo copy',
    load: () => import('./registry'),
  },
  build: {
    describe:
      'kimg build + push vs buildah (one commit, --layers), docker build and the compression floor (~245 MB)',
    load: () => import('./build'),
  },
  serve: {
    describe:
      'kimg registry serve --image vs docker-registry: 10 images pulled by 4 concurrent skopeo clients',
    load: () => import('./serve'),
  },
  embed: {
    describe:
      'kimg build embedding 10 images (~300 MiB) vs skopeo copy loop + buildah bud; template-only rebuild',
    load: () => import('./embed'),
  },
  sync: {
    describe:
      'kimg sync vs skopeo sync (30 images sharing layers; warm no-op) and vs a skopeo copy loop (20)',
    load: () => import('./sync'),
  },
  install: {
    describe:
      'kimg install: unpack a ~256 MiB rootfs vs umoci unpack; load + install of a 10-image bundle vs a sealos-style flow (time, peak disk)',
    load: () => import('./install'),
  },
  copy: {
    describe: 'registry→registry, registry→oci, oci→registry (~250 MB, 8 layers); 20 images sharing layers',
    load: () => import('./copy'),
  },
  'copy-latency': {
    describe:
      'one 8-layer image registry→registry behind ~40 ms per request (and loopback): kimg vs skopeo copy',
    load: () => import('./copy-latency'),
  },
};

function usage(): string {
  const names = Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(12)} ${b.describe}`);
  return [
    'usage: npm run bench -- NAME [options]   (NAME --help for its options)',
    '',
    'benchmarks:',
    ...names,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const bench = BENCHMARKS[name];
  if (!bench) {
    console.error(`bench: unknown benchmark '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await bench.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
