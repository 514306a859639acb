// `npm run test:ollama`: the opt-in test against a real Ollama (OLLAMA_URL). Not part of `npm test`: the file
// name matches none of the root config's patterns, so CI never registers (or skips) it.
const root = require('../../jest.config.js');
const unit = root.projects[0];

module.exports = {
  ...unit,
  displayName: 'ollama',
  rootDir: require('node:path').join(__dirname, '..', '..'),
  testMatch: ['<rootDir>/tests/ollama/**/*.ollama-spec.ts'],
  testTimeout: 600000,
};
