// swagger2openapi ships no types; this declares only the call we make.
declare module 'swagger2openapi' {
  interface ConvertOptions {
    patch?: boolean;
    warnOnly?: boolean;
    resolve?: boolean;
    resolveInternal?: boolean;
    direct?: boolean;
    text?: string;
    [key: string]: unknown;
  }
  interface ConvertResult {
    openapi: Record<string, unknown>;
    [key: string]: unknown;
  }
  export function convertObj(swagger: object, options: ConvertOptions): Promise<ConvertResult>;
}
