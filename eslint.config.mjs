import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

// Module boundaries: services import libs, never each other; contracts import nothing of ours; the pure
// libs (reading a spec, cases, the artifact) import only contracts and each other.
const depConstraints = [
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:pure', onlyDependOnLibsWithTags: ['type:pure', 'type:contracts'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:pure', 'type:contracts'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:pure', 'type:contracts'] },
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:pure', 'type:contracts'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:service', 'type:lib', 'type:pure', 'type:contracts'] },
];

const nodeGlobals = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'FormData', 'fetch', 'AbortSignal'].map((name) => [name, 'readonly']),
);

const deepImports = { group: ['@spectest/*/src/*', '@spectest/*/dist/*'], message: 'Import a package through its index, not a deep path.' };

// The pure libs do no I/O: no files, sockets, processes, databases or brokers, no framework. Node's
// http module only for its table of status texts.
const noIo = 'A pure lib (libs/openapi, libs/cases, libs/artifact) does no I/O: take the data as an argument, let the caller read or send it.';
const ioModules = [
  'fs', 'fs/promises', 'net', 'tls', 'dgram', 'dns', 'https', 'http2', 'child_process', 'cluster', 'worker_threads', 'inspector', 'readline', 'repl',
].flatMap((name) => [name, `node:${name}`]);
const pureRestrictions = {
  paths: [
    ...ioModules.map((name) => ({ name, message: noIo })),
    ...['http', 'node:http'].map((name) => ({ name, allowImportNames: ['STATUS_CODES'], message: noIo })),
    ...['pg', 'typeorm', 'nats', 'ioredis', 'amqplib', 'socket.io', 'undici', 'axios'].map((name) => ({ name, message: noIo })),
  ],
  patterns: [deepImports, { group: ['@nestjs/*', 'typeorm/*', 'pg-*'], message: noIo }],
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**', '**/node_modules/**', 'coverage/**', '.nx/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'tests/fixtures/**', '**/public/**', 'tmp/**',
      // Real JavaScript of ours, linted below: the generated project's runtime and the spec validator's worker.
      '!libs/artifact/templates/**/*.js', '!libs/openapi/src/**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
    },
  },
  {
    files: ['libs/openapi/src/**/*.ts', 'libs/cases/src/**/*.ts', 'libs/artifact/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', pureRestrictions],
      'no-restricted-globals': ['error', ...['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource'].map((name) => ({ name, message: noIo }))],
    },
  },
  {
    // CommonJS for Node (the generated project needs no build step; the worker runs as it is).
    files: ['libs/artifact/templates/node-test/**/*.js', 'libs/openapi/src/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Scripts of the Postman sandbox: `pm`, its require('ajv') and btoa are what it provides.
    files: ['libs/artifact/templates/postman/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { pm: 'readonly', require: 'readonly', btoa: 'readonly', console: 'readonly' } },
    // Chai's property assertions (`.to.be.true`) are expressions by design.
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-unused-expressions': 'off', 'no-var': 'off' },
  },
  {
    // Tests and repo scripts (corpus, benchmarks) are not Nx projects; they may reach any lib's public API.
    files: ['**/*.spec.ts', '**/src/testing/**/*.ts', 'tests/**/*.ts', 'scripts/**/*.ts'], // test harnesses compose across projects
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
);
