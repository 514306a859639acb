import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { IntakeConfig } from './intake.config';
import { setupApiDocs } from './intake.openapi';

/** The web page's static files, served as written (no build step): the same folder from src/ and from dist/. */
export const WEB_ROOT = join(__dirname, '..', 'src', 'public');
/** The browser build of the SDK that the page runs on (`npm run build` makes it), served at /sdk/. */
export const SDK_BROWSER_ROOT = join(dirname(require.resolve('@spectest/client/package.json')), 'dist', 'browser');

const isJson = (req: IncomingMessage) => (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
/** POST /v1/tasks with a JSON body: kept as bytes here, parsed by readJsonSubmission (a big one in a worker thread). */
const isJsonSubmission = (req: IncomingMessage) => req.method === 'POST' && (req.url ?? '').split('?')[0] === '/v1/tasks' && isJson(req);

/**
 * HTTP settings of the intake: body limits (a spec inside JSON may be escaped, so the JSON limit is
 * twice the spec limit; the spec itself is then checked exactly), CORS for other origins' API clients
 * (bearer tokens, no cookies), the web page and the SDK it runs on, and the API description at /docs.
 */
export function configureIntakeHttp(app: NestExpressApplication, config: IntakeConfig): void {
  const jsonLimit = config.MAX_SPEC_BYTES * 2 + 64 * 1024;
  app.useBodyParser('raw', { type: isJsonSubmission, limit: jsonLimit });
  app.useBodyParser('json', { type: (req: IncomingMessage) => isJson(req) && !isJsonSubmission(req), limit: jsonLimit });
  app.useBodyParser('urlencoded', { limit: '64kb', extended: false });
  app.enableCors({ exposedHeaders: ['ETag', 'Retry-After', 'Location', 'Content-Length', 'Preference-Applied'] });
  if (config.SERVE_WEB) {
    app.useStaticAssets(WEB_ROOT, { index: 'index.html', fallthrough: true });
    app.useStaticAssets(SDK_BROWSER_ROOT, { prefix: '/sdk/', index: false, fallthrough: true });
  }
  setupApiDocs(app);
}
