// The load generator, in its own process: runs autocannon for one scenario and prints its figures as JSON.
// Requests that must differ (single-use tickets, DPoP proofs) come from a file of variants, used in turn.
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

function run(seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({
      url: job.url,
      method: job.method as autocannon.Request['method'],
      headers: job.headers,
      body: job.body,
      duration: seconds,
      connections: job.connections,
      requests: variants ? [{
        setupRequest(request) {
          const v = variants[next % variants.length];
          next += 1;
          return { ...request, headers: { ...request.headers, ...v.headers }, body: v.body ?? request.body };
        },
      }] : undefined,
    }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

if (job.warmupSeconds > 0) await run(job.warmupSeconds);
const result = await run(job.seconds);
process.stdout.write(JSON.stringify({
  rps: result.requests.average,
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  errors: result.errors + result.timeouts + result.non2xx,
  requests: result.requests.total,
}));
