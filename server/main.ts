// `npm start`: starts Plaza (in PLAZA_PROCESSES server processes when that is more than one), and stops it cleanly
// on SIGTERM/SIGINT.
import { createLogger } from './http/index.ts';
import { runProcess } from './process.ts';
import { isServerProcess, superviseServerProcesses } from './processes.ts';

await runProcess('Plaza', async (config) => {
  if (config.processes > 1 && !isServerProcess()) {
    const processes = superviseServerProcesses(config.processes, createLogger(config.logLevel));
    return () => processes.stop();
  }
  // Only a server process loads Plaza itself; a supervisor stays small.
  const { startPlaza } = await import('./plaza.ts');
  const plaza = await startPlaza(config);
  plaza.logger.info({ issuer: config.issuer, listening: plaza.url, store: plaza.store.engine, dataDir: config.dataDir }, 'Plaza started');
  return () => plaza.close();
});
