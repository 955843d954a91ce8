// `npm start`: starts Plaza, and stops it cleanly on SIGTERM/SIGINT.
import { runProcess } from './process.ts';
import { startPlaza } from './plaza.ts';

await runProcess('Plaza', async (config) => {
  const plaza = await startPlaza(config);
  plaza.logger.info({ issuer: config.issuer, listening: plaza.url, store: plaza.store.engine, dataDir: config.dataDir }, 'Plaza started');
  return () => plaza.close();
});
