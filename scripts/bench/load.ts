// The load generator, in its own process: runs autocannon for one scenario and prints its figures as JSON.
// Requests that must differ (single-use tickets, DPoP proofs) come from a file of variants, each sent once: a run
// that uses them all ends early instead of replaying one. Given the server's process ids, it also reports the CPU
// time they spent during the measured run.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface Job {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  variantsFile?: string;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** The server's processes, whose CPU time is counted. */
  pids?: number[];
}

/** Linux counts process CPU time in clock ticks of 10 ms (USER_HZ, 100 on every common kernel). */
const MS_PER_TICK = 10;

/** User and system CPU time of the processes so far, ms; a process that is gone counts nothing. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks * MS_PER_TICK;
}

const job = JSON.parse(process.argv[2]) as Job;
const variants = job.variantsFile ? JSON.parse(readFileSync(job.variantsFile, 'utf8')) as { headers?: Record<string, string>; body?: string }[] : undefined;
let next = 0;

interface Run { result: autocannon.Result; seconds: number }

function run(seconds: number, share: number): Promise<Run> {
  // autocannon's `amount` caps the requests sent (it then ignores `duration`), so the time is bounded by a timer.
  const amount = variants ? Math.floor((variants.length - next) * share) : undefined;
  const connections = Math.min(job.connections, amount ?? job.connections);
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: job.url,
      method: job.method as autocannon.Request['method'],
      headers: job.headers,
      body: job.body,
      duration: seconds,
      amount,
      connections,
      requests: variants ? [{
        setupRequest(request) {
          const v = variants[next];
          next += 1;
          return { ...request, headers: { ...request.headers, ...v.headers }, body: v.body ?? request.body };
        },
      }] : undefined,
    }, (err, result) => {
      clearTimeout(timer);
      if (err) reject(err); else resolve({ result, seconds: (lastAnswer - started) / 1000 });
    });
    // autocannon ends a run on its next one-second tick; the rate counts up to the last answer.
    const started = performance.now();
    let lastAnswer = started;
    instance.on('response', () => { lastAnswer = performance.now(); });
    const timer = setTimeout(() => instance.stop(), seconds * 1000);
  });
}

// The warm-up may use the variants in proportion to its time, the measured run the rest.
if (job.warmupSeconds > 0) await run(job.warmupSeconds, job.warmupSeconds / (job.warmupSeconds + job.seconds));
const cpuBefore = cpuMs(job.pids ?? []);
const { result, seconds } = await run(job.seconds, 1);
const cpu = cpuMs(job.pids ?? []) - cpuBefore;
process.stdout.write(JSON.stringify({
  cpu_ms_per_req: job.pids?.length && result.requests.total ? cpu / result.requests.total : null,
  rps: result.requests.total / seconds,
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  errors: result.errors + result.timeouts + result.non2xx,
  requests: result.requests.total,
}));
