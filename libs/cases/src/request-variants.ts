import { Endpoint } from '@spectest/contracts';
import { asRecord, JsonSchema, MediaView, OperationView } from './operation-view';
import { isJsonContentType, isPlainObject } from './negative-cases';
import { pick } from './sample-value';
import { buildValidRequest, ValidRequest } from './valid-request';

/** One valid request of an operation; the first of the list is the main one, which negative cases break. */
export interface RequestVariant {
  valid: ValidRequest;
  /** Part of the case id after "positive" ("example.cat", "request.application-xml"); null for the main request. */
  idSuffix: string | null;
  /** How the title says which request this is: "a valid request", `the "cat" example`, "a multipart/form-data body". */
  description: string;
}

/**
 * The valid requests worth a positive case each: the main one (preferred media type, documented examples
 * first, the seed picking among named ones), then each other named example of that body, then each
 * other documented request media type the runners can send faithfully (JSON, forms, or a text value),
 * with its own examples. Same document and seed, same list in the same order.
 */
export function requestVariants(endpoint: Endpoint, view: OperationView, seed: number): RequestVariant[] {
  const main = buildValidRequest(endpoint, view, seed);
  const variants: RequestVariant[] = [{ valid: main, idSuffix: null, description: 'a valid request' }];
  if (!view.requestBody) return variants;
  const mainMedia = view.requestBody.media;
  const withMedia = (media: MediaView) => ({ ...view, requestBody: { required: view.requestBody!.required, media } });

  const mediaVariants = (media: MediaView, prefix: string | null, chosenIndex: number | null) => {
    namedExamples(media.raw).forEach(({ name, value }, index) => {
      if (index === chosenIndex) return;
      const pinned: MediaView = { ...media, raw: { ...media.raw, examples: undefined, example: value } };
      const valid = buildValidRequest(endpoint, withMedia(pinned), seed);
      if (!sendable(valid)) return;
      variants.push({
        valid,
        idSuffix: [...(prefix ? [prefix] : []), 'example', name].join('.'),
        description: `the "${name}" example${prefix ? ` as ${media.contentType}` : ''}`,
      });
    });
  };

  const mainExamples = namedExamples(mainMedia.raw);
  const mainIndex = asRecord(mainMedia.raw).example === undefined && mainExamples.length > 0 ? pick(seed, mainExamples.length) : null;
  if (mainIndex !== null) variants[0].description = `the "${mainExamples[mainIndex].name}" example`;
  mediaVariants(mainMedia, null, mainIndex);

  const content = asRecord(asRecord(view.operation.requestBody).content);
  for (const contentType of Object.keys(content)) {
    if (contentType === mainMedia.contentType || contentType.includes('*')) continue;
    const raw = asRecord(content[contentType]);
    const media: MediaView = { contentType, schema: raw.schema && typeof raw.schema === 'object' ? (raw.schema as JsonSchema) : null, raw };
    const valid = buildValidRequest(endpoint, withMedia(media), seed);
    if (!sendable(valid)) continue;
    const prefix = `request.${contentType}`;
    const examples = namedExamples(raw);
    const index = raw.example === undefined && examples.length > 0 ? pick(seed, examples.length) : null;
    variants.push({
      valid,
      idSuffix: prefix,
      description: index !== null ? `the "${examples[index].name}" example as ${contentType}` : `a ${contentType} body`,
    });
    mediaVariants(media, prefix, index);
  }
  return variants;
}

/** Named Example Objects with an inline value (an externalValue would be a fetch), in document order. */
function namedExamples(raw: Record<string, unknown>): { name: string; value: unknown }[] {
  const examples = raw.examples;
  if (!examples || typeof examples !== 'object' || Array.isArray(examples)) return [];
  return Object.entries(examples as Record<string, unknown>)
    .filter(([, example]) => asRecord(example).value !== undefined)
    .map(([name, example]) => ({ name, value: asRecord(example).value }));
}

/** What the runners can put on the wire as the documented media type says: JSON, form fields, or text. */
function sendable(valid: ValidRequest): boolean {
  const { contentType, body } = valid.request;
  if (body === undefined || isJsonContentType(contentType)) return true;
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) return isPlainObject(body);
  return typeof body === 'string';
}
