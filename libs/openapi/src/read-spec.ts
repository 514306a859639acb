import { AppError } from '@spectest/contracts';
import { SpecLimits, resolveSpecLimits } from './spec-limits';
import { ParsedSpec } from '@spectest/contracts';
import { ReadSpecStepListener } from './read-spec-step';
import { parseSpecInput } from './spec-text.parser';
import { detectOpenApiVersion } from './openapi-version';
import { assertOnlyLocalRefs } from './external-ref.guard';
import { assertOperationCountWithin, listEndpoints } from './endpoint-lister';
import { validateBundled, validateWithSwaggerParser } from './spec-validator';
import { convertSwagger2 } from './swagger2.converter';
import { planOperations, yieldToEventLoop } from './operation-planning';
import { resolverFor } from './operation-views';
import { resolveJsonPointer } from './json-pointer';

/**
 * Reads an OpenAPI 3.0/3.1 or Swagger 2.0 document from text or an object, within `limits`,
 * and returns it validated, converted to OpenAPI 3.x, with its local `$ref`s kept, and listed as endpoints.
 * The "dereference" step checks every reference and decides how far each operation's view expands
 * (`resolveOperation` builds the view when asked); the limits of the expansion apply per operation.
 * Every refusal is an AppError with a stable code; nothing outside the document is ever fetched or read.
 */
export async function readSpec(
  input: string | Buffer | object,
  limits: Partial<SpecLimits> = {},
  onStep?: ReadSpecStepListener,
): Promise<ParsedSpec> {
  const resolved = resolveSpecLimits(limits);

  await onStep?.('read');
  const raw = parseSpecInput(input, resolved);
  // Parsing a 47 MB document holds the event loop for over half a second: let a progress heartbeat out.
  await yieldToEventLoop();
  const version = detectOpenApiVersion(raw);
  const source = raw as Record<string, unknown>;
  assertOnlyLocalRefs(source);
  assertOperationCountWithin(source, resolved.maxOperations);

  await onStep?.('validate');
  const warnings: string[] = [];
  let document: Record<string, unknown>;
  if (version.flavour === 'swagger2') {
    // Validate what the user wrote (errors then point into their document), convert the untouched original.
    await validateWithSwaggerParser(source);
    const converted = await convertSwagger2(source);
    warnings.push(...converted.warnings);
    document = converted.openapi;
  } else {
    await validateBundled(withPathItemsInlined(source));
    // parseSpecInput copied an object input already: the caller's object is never the one we keep.
    document = source;
  }

  await onStep?.('dereference');
  await yieldToEventLoop();
  const resolver = resolverFor(document, resolved);
  const endpoints = listEndpoints(document);
  assertOperationCountWithin(document, resolved.maxOperations);
  try {
    warnings.push(...(await planOperations(resolver, endpoints)));
  } catch (error) {
    if (error instanceof RangeError) {
      throw new AppError('spec_too_deep', `The spec's references chain too deeply to resolve: ${error.message}`, 400);
    }
    throw error;
  }

  await onStep?.('endpoints');
  if (endpoints.length === 0) warnings.push('The spec defines no operations under "paths"');

  const info = (document.info ?? {}) as Record<string, unknown>;
  return {
    title: typeof info.title === 'string' ? info.title : 'Untitled API',
    version: typeof info.version === 'string' ? info.version : String(info.version ?? ''),
    openapiVersion: version.source,
    document,
    endpoints,
    warnings,
  };
}

/**
 * The OpenAPI 3.1 JSON Schema (as ajv reads it) refuses a path item that is a `$ref` ("unevaluated
 * properties"), though the specification allows it: validate with the path items it points at put in place.
 */
function withPathItemsInlined(document: Record<string, unknown>): Record<string, unknown> {
  const paths = document.paths;
  if (!paths || typeof paths !== 'object') return document;
  const entries = Object.entries(paths as Record<string, unknown>);
  const isPathRef = (item: unknown) => item !== null && typeof item === 'object' && typeof (item as { $ref?: unknown }).$ref === 'string';
  if (!entries.some(([, item]) => isPathRef(item))) return document;
  const inlined = entries.map(([path, item]) => [path, isPathRef(item) ? (resolveJsonPointer(document, (item as { $ref: string }).$ref) ?? item) : item]);
  return { ...document, paths: Object.fromEntries(inlined) };
}
