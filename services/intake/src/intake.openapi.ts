import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { TaskEventSchema, TaskOptionsSchema, TaskSnapshotSchema } from '@spectest/contracts';
import { z } from 'zod';

/** Path of the API description (JSON) and of its browsable page. */
export const API_DOCS_PATH = 'docs';

const Accepted = z.object({
  taskId: z.string(),
  status: z.string(),
  statusUrl: z.string(),
  eventsUrl: z.string(),
  artifactUrl: z.string(),
  socket: z.object({ namespace: z.literal('/tasks'), taskId: z.string() }),
});
const TaskPage = z.object({ items: z.array(TaskSnapshotSchema), nextCursor: z.string().nullable() });
const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  details: z.array(z.unknown()).optional(),
});
const SubmitJson = z.object({
  spec: z.union([z.string(), z.record(z.string(), z.unknown())]).describe('the OpenAPI document: YAML or JSON text, or the object'),
  name: z.string().max(200).optional(),
  options: TaskOptionsSchema.optional(),
});

/** The components come from the same zod schemas that check the wire, so the description cannot drift from them. */
const SCHEMAS: Record<string, z.ZodType> = {
  TaskSnapshot: TaskSnapshotSchema,
  TaskEvent: TaskEventSchema,
  TaskOptions: TaskOptionsSchema,
  TaskAccepted: Accepted,
  TaskPage,
  Problem,
  SubmitTask: SubmitJson,
};

export const schemaRef = (name: keyof typeof SCHEMAS | string) => ({ $ref: `#/components/schemas/${name}` });

export function buildApiDocument(app: NestExpressApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('spectest API')
    .setDescription('Submit an OpenAPI document, follow the task live (SSE here, Socket.IO on namespace /tasks), download the test artifact.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  doc.components = doc.components ?? {};
  doc.components.schemas = {
    ...doc.components.schemas,
    ...Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, z.toJSONSchema(schema, { target: 'openapi-3.0' }) as object])),
  };
  const submit = doc.paths['/v1/tasks']?.post;
  if (submit) {
    submit.requestBody = {
      required: true,
      content: {
        'application/json': { schema: schemaRef('SubmitTask') },
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              spec: { type: 'string', format: 'binary', description: 'the OpenAPI document (YAML or JSON file)' },
              name: { type: 'string' },
              options: { type: 'string', description: 'TaskOptions as JSON text' },
            },
          },
        },
      },
    };
  }
  return doc;
}

/** Serves the description at /docs/openapi.json and a browsable page at /docs (assets from node_modules, no CDN). */
export function setupApiDocs(app: NestExpressApplication): void {
  SwaggerModule.setup(API_DOCS_PATH, app, () => buildApiDocument(app), { jsonDocumentUrl: `${API_DOCS_PATH}/openapi.json`, yamlDocumentUrl: `${API_DOCS_PATH}/openapi.yaml` });
}
