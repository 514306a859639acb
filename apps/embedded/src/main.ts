import { AiEnhancerConfigSchema, AiEnhancerModule } from '@spectest/ai-enhancer';
import { AuthModule, authConfigFromEnv } from '@spectest/auth';
import { GatewayConfigSchema, GatewayModule } from '@spectest/gateway';
import { IntakeConfigSchema, IntakeModule, configureIntakeHttp } from '@spectest/intake';
import { InProcessMessaging } from '@spectest/messaging';
import { PackagerConfigSchema, PackagerModule } from '@spectest/packager';
import { DispatchStore, TaskStore } from '@spectest/persistence';
import { TaskDispatcher } from '@spectest/progress';
import { createLogger, loadConfigOrExit } from '@spectest/platform';
import { exitOnSignals, launch, startApplication } from '@spectest/runtime';
import { SpecParserConfigSchema, SpecParserModule } from '@spectest/spec-parser';
import { EmbeddedConfigSchema } from './embedded.config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { resumeActiveTasks } from './resume-tasks';

/**
 * The embedded default (`npm start`): all five services in one process, a real embedded PostgreSQL,
 * in-process messaging, AUTH_MODE=dev, the web page at http://localhost:3000.
 */
launch('embedded', async () => {
  const log = createLogger('embedded');
  const embedded = loadConfigOrExit(EmbeddedConfigSchema);
  const db = embedded.DATABASE_URL
    ? { url: embedded.DATABASE_URL, stop: async () => undefined }
    : await startEmbeddedPostgres(embedded.SPECTEST_DATA_DIR, embedded.EMBEDDED_PG_PORT, (m) => log.warn({ postgres: m }));
  const env = { AUTH_MODE: 'dev', ...process.env, DATABASE_URL: db.url, PORT: String(embedded.PORT) };
  const intake = loadConfigOrExit(IntakeConfigSchema, env);
  const messaging = new InProcessMessaging();

  const running = await startApplication(
    {
      service: 'embedded',
      config: intake,
      worker: true,
      modules: [
        AuthModule.forRoot(authConfigFromEnv(intake)),
        IntakeModule.forRoot(intake),
        GatewayModule.forRoot(loadConfigOrExit(GatewayConfigSchema, env)),
        SpecParserModule.forRoot(loadConfigOrExit(SpecParserConfigSchema, env)),
        AiEnhancerModule.forRoot(loadConfigOrExit(AiEnhancerConfigSchema, env)),
        PackagerModule.forRoot(loadConfigOrExit(PackagerConfigSchema, env)),
      ],
      configure: (app) => configureIntakeHttp(app, intake),
    },
    messaging,
  );
  const resumed = await resumeActiveTasks(running.app.get(TaskStore), running.app.get(DispatchStore), running.app.get(TaskDispatcher));
  log.info({ url: running.url.replace('0.0.0.0', 'localhost'), authMode: intake.AUTH_MODE, resumed }, `spectest is running at http://localhost:${embedded.PORT}`);
  exitOnSignals({ stop: async () => { await running.stop(); await db.stop(); } }, intake.SHUTDOWN_TIMEOUT_MS);
});
