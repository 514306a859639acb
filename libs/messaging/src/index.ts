export * from './messaging.types';
export type { MessagingLogger } from './messaging.logger';
export { MaxDeliverExceededError } from './work-delivery.runner';
export { WORK_DEFAULTS } from './work.defaults';
export { NatsMessaging, type NatsMessagingOptions } from './nats.messaging';
export { workStreamName, workConsumerName } from './nats-work.streams';
export { InProcessMessaging, type InProcessMessagingOptions } from './in-process.messaging';
export { subjectMatches } from './subject.matcher';
