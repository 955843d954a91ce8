// How Plaza's entry points run: read .env and the config, start, stop cleanly on SIGTERM/SIGINT, and say
// plainly why when the configuration is wrong.
import { ConfigError, loadConfig, loadDotEnv, type PlazaConfig } from './config/index.ts';

export async function runProcess(what: string, start: (config: PlazaConfig) => Promise<() => Promise<void>>): Promise<void> {
  try {
    loadDotEnv();
    const stop = await start(loadConfig());
    // A second signal (SIGINT from the terminal, then SIGTERM from a supervisor) joins the stop under way.
    let stopping: Promise<void> | undefined;
    const shutdown = async () => {
      stopping ??= stop();
      await stopping;
      process.exit(0);
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
    // Started by a supervisor over IPC (a test, a process manager): stop cleanly when it goes away, never outlive it.
    if (process.channel) process.once('disconnect', shutdown);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${what} cannot start: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
