// One jest run for the whole repo: unit specs beside the code, end-to-end suites under tests/.
const fs = require('node:fs');
const path = require('node:path');

const swcrc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const transform = { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] };

// Workspace packages resolve to their sources in tests, so no build is needed to run a spec.
const moduleNameMapper = {};
for (const group of ['libs', 'services', 'apps']) {
  for (const name of fs.readdirSync(path.join(__dirname, group))) {
    moduleNameMapper[`^@spectest/${name}$`] = `<rootDir>/${group}/${name}/src/index.ts`;
  }
}

// tmp/ (git-ignored) holds corpus and tool caches and scratch copies whose package.json files would clash in the module map.
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname, modulePathIgnorePatterns: ['<rootDir>/tmp/'] };

module.exports = {
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tests/support/no-skip.reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{libs,services,apps}/*/src/**/*.spec.ts'] },
    { ...common, displayName: 'repo', testMatch: ['<rootDir>/tests/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/**/*.e2e-spec.ts'], testTimeout: 180000, slowTestThreshold: 60 },
  ],
};
