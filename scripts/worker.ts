// `npm run worker`: standalone workers on the same store as the servers. WORKERS=n runs n of them in this process.
// SIGTERM/SIGINT let the current job finish and hand back any lease.
import { runProcess } from '../server/process.ts';
import { createPlaza } from '../server/plaza.ts';

await runProcess('Plaza workers', async (config) => {
  const plaza = await createPlaza(config);
  const workers = Array.from({ length: config.workers }, () => plaza.async.newWorker());
  for (const worker of workers) worker.start();
  plaza.logger.info({ workers: workers.map((w) => w.id), dataDir: config.dataDir }, 'Plaza workers started');
  return async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await plaza.close();
  };
});
