/**
 * Sub-steps of readSpec, reported as each starts. "dereference" checks every `$ref` and plans each
 * operation's resolved view (the document itself is never dereferenced whole).
 */
export type ReadSpecStep = 'read' | 'validate' | 'dereference' | 'endpoints';
export type ReadSpecStepListener = (step: ReadSpecStep) => void | Promise<void>;
