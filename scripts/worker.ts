// `npm run worker`: standalone workers on the same store as the servers. WORKERS=n runs n of them in this process.
// SIGTERM/SIGINT let the current job finish and hand back any lease.
import { ConfigError, loadConfig, loadDotEnv } from '../server/config/index.ts';
import { createPlaza } from '../server/plaza.ts';

try {
  loadDotEnv();
  const config = loadConfig();
  const count = Math.max(1, Math.min(32, Number(process.env.WORKERS) || 1));
  const plaza = await createPlaza(config);
  const workers = Array.from({ length: count }, () => plaza.async.newWorker());
  for (const worker of workers) worker.start();
  console.log(JSON.stringify({ level: 'info', msg: 'Plaza workers started', workers: workers.map((w) => w.id), dataDir: config.dataDir }));
  const stop = async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await plaza.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Plaza workers cannot start: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
