/**
 * The message catalogue of API.md. Keys are stable: a client may translate them.
 * `{name}` placeholders are filled from `messageParams`.
 */
export const MESSAGE_CATALOGUE = {
  'task.queued': 'Task queued (position {position})',
  'parsing.started': 'Parsing OpenAPI specification...',
  'parsing.step': 'Parsing: {step}...',
  'parsing.done': 'Found {endpointCount} endpoints in {title} {version}',
  'foundation.endpoint': 'Generating foundation cases for {method} {path}...',
  'foundation.done': 'Generated {count} foundation cases',
  'enhancing.skipped': 'AI enhancement skipped: {reason}',
  'enhancing.started': 'Enhancing {endpointCount} endpoints with {provider} ({model})...',
  'enhancing.prompt': 'Preparing AI enhancement prompt for {method} {path}...',
  'enhancing.calling': 'Calling AI for enhancement of {method} {path}...',
  'enhancing.tokens': 'Receiving AI output for {method} {path}: {completion} tokens at {perSecond}/s',
  'enhancing.parsing': 'Parsing AI enhancement results for {method} {path}...',
  'enhancing.merged': 'Merged {count} AI cases for {method} {path}',
  'enhancing.fallback': 'AI enhancement failed for {method} {path}; kept the foundation cases',
  'enhancing.done': 'Hybrid generation complete: {count} total cases',
  'packaging.started': 'Creating test artifacts...',
  'packaging.zip': 'Creating ZIP file...',
  'packaging.done': 'Packaged {files} files, {bytes} bytes',
  'stage.skipped': 'Stage {stage} skipped: {reason}',
  'task.completed': 'Done: {caseCount} test cases ready to download',
  'task.failed': 'Failed: {reason}',
  'task.cancelled': 'Cancelled',
} as const;

export type MessageKey = keyof typeof MESSAGE_CATALOGUE;
export type MessageParams = Record<string, string | number>;

export const isMessageKey = (k: string): k is MessageKey => Object.prototype.hasOwnProperty.call(MESSAGE_CATALOGUE, k);

/** English text of a catalogue entry; a missing parameter stays visible as `{name}`. */
export function renderMessage(key: MessageKey, params: MessageParams = {}): string {
  return MESSAGE_CATALOGUE[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}
