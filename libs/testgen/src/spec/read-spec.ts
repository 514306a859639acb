import { SpecLimits, resolveSpecLimits } from './spec-limits';
import { ParsedSpec, ReadSpecStepListener } from './parsed-spec';
import { parseSpecInput } from './spec-text.parser';
import { detectOpenApiVersion } from './openapi-version';
import { assertOnlyLocalRefs } from './external-ref.guard';
import { assertOperationCountWithin, listEndpoints } from './endpoint-lister';
import { dereferenceOnly, validateAndDereference } from './spec-validator';
import { convertSwagger2 } from './swagger2.converter';
import { DEFAULT_RECURSION_CUT, cutRecursion } from './recursion-cutter';

/**
 * Reads an OpenAPI 3.0/3.1 or Swagger 2.0 document from text or an object, within `limits`,
 * and returns it validated, converted to OpenAPI 3.x, dereferenced and listed as endpoints.
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
  const version = detectOpenApiVersion(raw);
  const source = raw as Record<string, unknown>;
  assertOnlyLocalRefs(source);
  assertOperationCountWithin(source, resolved.maxOperations);

  await onStep?.('validate');
  const warnings: string[] = [];
  let graph: Record<string, unknown>;
  if (version.flavour === 'swagger2') {
    // Validate what the user wrote (errors then point into their document), convert the untouched original.
    await validateAndDereference(structuredClone(source));
    await onStep?.('dereference');
    const converted = await convertSwagger2(source);
    warnings.push(...converted.warnings);
    graph = await dereferenceOnly(converted.openapi);
  } else {
    graph = await validateAndDereference(source);
    await onStep?.('dereference');
  }
  const cut = cutRecursion(graph, {
    maxDepth: DEFAULT_RECURSION_CUT.maxDepth,
    maxNodes: resolved.maxExpandedNodes,
    maxSchemaNesting: resolved.maxSchemaNesting,
    maxBytes: resolved.maxExpandedBytes,
  });
  warnings.push(...cut.warnings);
  const document = cut.document;

  await onStep?.('endpoints');
  assertOperationCountWithin(document, resolved.maxOperations);
  const endpoints = listEndpoints(document);
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
