/* Runs the migrations against DATABASE_URL and exits: `npm run migrate` (a k8s Job uses it too). */
import { createDataSource, runMigrations } from './data-source';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('config error: DATABASE_URL is required');
    process.exit(1);
  }
  const ds = createDataSource({ url, poolSize: 2, applicationName: 'spectest-migrate' });
  await ds.initialize();
  const done = await runMigrations(ds);
  console.log(JSON.stringify({ msg: 'migrations applied', migrations: done }));
  await ds.destroy();
}

main().catch((err) => {
  console.error(JSON.stringify({ msg: 'migration failed', error: String(err?.message ?? err) }));
  process.exit(1);
});
