// `npm run test:faults`: the fault-injection suite (full mode on its own NATS and Postgres, which it kills
// and restarts). `.ci/run` runs it after `npm test`; the root config's patterns never match its files.
const root = require('../../jest.config.js');
const e2e = root.projects[2];

module.exports = {
  ...e2e,
  displayName: 'faults',
  rootDir: require('node:path').join(__dirname, '..', '..'),
  testMatch: ['<rootDir>/tests/faults/**/*.faults-spec.ts'],
  testTimeout: 600000,
  maxWorkers: 1,
  reporters: root.reporters,
};
