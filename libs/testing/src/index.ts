export { testNatsConfig, deleteNatsTestStreams, type TestNatsConfig } from './nats.harness';
export {
  createTestDatabase,
  dropTestDatabase,
  assertTestDatabaseName,
  testDatabaseAdminUrl,
  type TestDatabase,
} from './postgres.harness';
export { freePort } from './free-port';
export { TcpRelay } from './tcp-relay';
export { waitUntil } from './wait';
export { rawRequest, type RawRequest, type RawAnswer } from './raw-http';
export { countingLoopTurns } from './loop-turns';
