// `npm start` with the latency of a networked store (latency.ts): concurrent requests then interleave inside
// each process too, between a read and the conditional write that follows it, so races are real races.
import { runProcess } from '../../server/process.ts';
import { startPlaza } from '../../server/plaza.ts';
import { openStore } from '../../server/store/index.ts';
import { withLatency } from './latency.ts';

await runProcess('Plaza (with store latency)', async (config) => {
  const plaza = await startPlaza(config, { store: withLatency(await openStore(config)) });
  return () => plaza.close();
});
