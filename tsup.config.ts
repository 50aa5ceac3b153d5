import type { Options } from 'tsup';

const shared: Options = {
  target: 'es2022',
  platform: 'node',
  sourcemap: false,
  treeshake: true,
};

/** The library entries (ESM and CJS with types for both) and the command-line tool (ESM). */
const config: Options[] = [
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      node: 'src/adapters/node.ts',
      express: 'src/adapters/express.ts',
      fetch: 'src/adapters/fetch.ts',
      'aws-lambda': 'src/adapters/aws-lambda.ts',
      fastify: 'src/adapters/fastify.ts',
      testing: 'src/testing/index.ts',
      redis: 'src/redis/index.ts',
      opentelemetry: 'src/opentelemetry/index.ts',
      sqlite: 'src/sqlite/index.ts',
      postgres: 'src/postgres/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    splitting: true,
    clean: false,
  },
  {
    ...shared,
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    banner: { js: '#!/usr/bin/env node' },
    dts: false,
    clean: false,
  },
];

export default config;
