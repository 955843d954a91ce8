// `npm start`: reads the environment, starts Plaza, and stops cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig, loadDotEnv } from './config/index.ts';
import { startPlaza } from './plaza.ts';

try {
  loadDotEnv();
  const config = loadConfig();
  const plaza = await startPlaza(config);
  console.log(JSON.stringify({ level: 'info', msg: 'Plaza started', issuer: config.issuer, listening: plaza.url, store: plaza.store.engine, dataDir: config.dataDir }));
  const stop = async () => {
    await plaza.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Plaza cannot start: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
