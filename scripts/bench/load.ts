// The load generator, in its own process: runs autocannon for one scenario and prints its figures as JSON.
// Requests that must differ (single-use tickets, DPoP proofs) come from a file of variants, each sent once: a run
// that uses them all ends early instead of replaying one.
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
const { result, seconds } = await run(job.seconds, 1);
process.stdout.write(JSON.stringify({
  rps: result.requests.total / seconds,
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  errors: result.errors + result.timeouts + result.non2xx,
  requests: result.requests.total,
}));
