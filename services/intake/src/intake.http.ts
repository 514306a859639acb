import type { NestExpressApplication } from '@nestjs/platform-express';
import { corsOptions, originGuard, originPolicyFromEnv } from '@spectest/platform';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { IntakeConfig } from './intake.config';
import { setupApiDocs } from './intake.openapi';
import { mediaType } from './submit-task.request';

/** The web page's static files, served as written (no build step): the same folder from src/ and from dist/. */
export const WEB_ROOT = join(__dirname, '..', 'src', 'public');
/** The browser build of the SDK that the page runs on (`npm run build` makes it), served at /sdk/. */
export const SDK_BROWSER_ROOT = join(dirname(require.resolve('@spectest/client/package.json')), 'dist', 'browser');

/** Bodies of the other routes (none takes more than a few fields). */
const SMALL_BODY_LIMIT = '64kb';

const isJson = (req: IncomingMessage) => mediaType(req) === 'application/json';
/** POST /v1/tasks reads its own body, once the caller is authenticated and admitted (see submission.reader). */
const isSubmission = (req: IncomingMessage) => req.method === 'POST' && (req.url ?? '').split('?')[0] === '/v1/tasks';

/**
 * Node answers `Expect: 100-continue` at once by default, inviting the body before anyone has looked at the
 * request. A submission is invited only when its reader starts (after authentication and the limits), so a
 * refused client that asked first never sends its body; other requests are invited as before.
 */
function inviteBodiesLate(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!isSubmission(req)) res.writeContinue();
    server.emit('request', req, res);
  });
}

/**
 * HTTP settings of the intake: who may call from a browser (the origin policy: Host and Origin checks in
 * dev mode, CORS from CORS_ORIGINS only), small bodies for the routes other than the submission, the web
 * page and the SDK it runs on, and the API description at /docs.
 */
export function configureIntakeHttp(app: NestExpressApplication, config: IntakeConfig): void {
  const policy = originPolicyFromEnv(config);
  app.use(originGuard(policy));
  app.enableCors(corsOptions(policy));
  app.useBodyParser('json', { type: (req: IncomingMessage) => isJson(req) && !isSubmission(req), limit: SMALL_BODY_LIMIT });
  inviteBodiesLate(app.getHttpServer());
  if (config.SERVE_WEB) {
    app.useStaticAssets(WEB_ROOT, { index: 'index.html', fallthrough: true });
    app.useStaticAssets(SDK_BROWSER_ROOT, { prefix: '/sdk/', index: false, fallthrough: true });
  }
  setupApiDocs(app);
}
