import { MESSAGE_CATALOGUE, MessageKey, isMessageKey, renderMessage } from './messages';

describe('renderMessage', () => {
  it('fills every placeholder from messageParams, numbers included', () => {
    expect(renderMessage('parsing.done', { endpointCount: 19, title: 'Petstore', version: '1.0.0' })).toBe('Found 19 endpoints in Petstore 1.0.0');
    expect(renderMessage('enhancing.tokens', { method: 'GET', path: '/pets', completion: 0, perSecond: 14.2 })).toBe(
      'Receiving AI output for GET /pets: 0 tokens at 14.2/s',
    );
  });

  it('keeps a missing parameter visible and ignores extra ones', () => {
    expect(renderMessage('task.queued')).toBe('Task queued (position {position})');
    expect(renderMessage('task.cancelled', { extra: 'x' })).toBe('Cancelled');
  });

  it('does not interpret replacement patterns in parameter values', () => {
    expect(renderMessage('task.failed', { reason: '$& and $1 {reason}' })).toBe('Failed: $& and $1 {reason}');
  });

  it('keeps the English texts of API.md for the public keys', () => {
    const api: Partial<Record<MessageKey, string>> = {
      'task.queued': 'Task queued (position {position})',
      'parsing.started': 'Parsing OpenAPI specification...',
      'foundation.endpoint': 'Generating foundation cases for {method} {path}...',
      'enhancing.fallback': 'AI enhancement failed for {method} {path}; kept the foundation cases',
      'enhancing.done': 'Hybrid generation complete: {count} total cases',
      'packaging.zip': 'Creating ZIP file...',
      'task.completed': 'Done: {caseCount} test cases ready to download',
      'task.failed': 'Failed: {reason}',
    };
    for (const [k, text] of Object.entries(api)) expect(MESSAGE_CATALOGUE[k as MessageKey]).toBe(text);
  });

  it('isMessageKey knows the catalogue and nothing inherited', () => {
    expect(isMessageKey('task.completed')).toBe(true);
    expect(isMessageKey('nope')).toBe(false);
    expect(isMessageKey('toString')).toBe(false);
  });
});
