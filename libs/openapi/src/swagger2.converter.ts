import { convertObj } from 'swagger2openapi';
import { invalidSpec } from './spec-errors';

/** Swagger 2.0 -> OpenAPI 3.0, so everything downstream reads one shape. Never resolves anything external. */
export async function convertSwagger2(doc: Record<string, unknown>): Promise<{ openapi: Record<string, unknown>; warnings: string[] }> {
  try {
    // `text` stops the converter from re-serialising the whole document as YAML for error positions.
    const result = await convertObj(doc, { patch: true, warnOnly: true, resolve: false, resolveInternal: false, text: ' ' });
    const patches = typeof result.patches === 'number' ? result.patches : 0;
    const warnings = patches > 0 ? [`Swagger 2.0 conversion patched ${patches} small defect(s) in the document`] : [];
    return { openapi: result.openapi, warnings };
  } catch (error) {
    throw invalidSpec(`The Swagger 2.0 document could not be converted to OpenAPI 3: ${(error as Error).message}`);
  }
}
