// Every core: the started process forks PLAZA_PROCESSES server processes that share one port (node:cluster; each
// accepts its own connections) and one store, replaces one that dies, and on SIGTERM stops them all cleanly.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** A process that dies this soon after its start is replaced only after RESTART_DELAY_MS, so a crash loop stays slow. */
const SHORT_LIFE_MS = 5000;
const RESTART_DELAY_MS = 1000;

export interface ServerProcesses {
  /** Stops every process (each answers its requests under way) and resolves when all have exited. */
  stop(): Promise<void>;
}

/** Whether this process is one of the forked server processes rather than their supervisor. */
export const isServerProcess = (): boolean => cluster.isWorker;

export function superviseServerProcesses(count: number, logger: Logger): ServerProcesses {
  // Each process accepts its own connections: the supervisor carries no traffic, and one stopping hands none back.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  const startedAt = new Map<Worker, number>();
  const fork = () => {
    if (stopping) return;
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    worker.once('exit', (code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? 0);
      startedAt.delete(worker);
      if (stopping) return;
      logger.error({ serverPid: worker.process.pid, code, signal }, 'a Plaza server process died; starting another');
      if (lived < SHORT_LIFE_MS) setTimeout(fork, RESTART_DELAY_MS); else fork();
    });
  };
  for (let i = 0; i < count; i += 1) fork();
  logger.info({ processes: count }, 'Plaza serves from several processes');
  return {
    async stop() {
      stopping = true;
      const exits = [...startedAt.keys()].map((worker) => new Promise<void>((resolve) => {
        if (worker.isDead()) return resolve();
        worker.once('exit', () => resolve());
        worker.process.kill('SIGTERM');
      }));
      await Promise.all(exits);
    },
  };
}
