// Listening and graceful shutdown: slow clients get bounded time, and on close the requests under way finish
// before their connections are cut.
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Middleware } from 'koa';

export interface ServeOptions {
  port: number;
  host: string;
  /** Slow clients (slowloris) get a bounded time for their headers and their whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** On close, how long requests under way may take to finish before their connections are cut, ms. */
  shutdownGraceMs: number;
  /** /metrics alone, on a loopback port of its own, where only the machine's own scrapers reach it. */
  metrics?: { port: number; endpoint: Middleware };
}

export interface Serving {
  server: Server;
  url: string;
  metricsUrl?: string;
  close(): Promise<void>;
}

function listening(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
}

async function listenForMetrics(metrics: NonNullable<ServeOptions['metrics']>): Promise<Server> {
  const server = new Koa().use(metrics.endpoint).listen(metrics.port, '127.0.0.1');
  await listening(server);
  return server;
}

export async function serve(app: Pick<Koa, 'listen'>, options: ServeOptions): Promise<Serving> {
  const server = app.listen(options.port, options.host);
  server.headersTimeout = options.headersTimeoutMs;
  server.requestTimeout = options.requestTimeoutMs;
  await listening(server);
  const { port } = server.address() as AddressInfo;
  const metricsServer = options.metrics && await listenForMetrics(options.metrics);
  let closing = false;
  const answering = new Set<ServerResponse>();
  // Once shutdown began, a keep-alive connection is closed after the answer it is giving, not kept for more.
  const closeAfter = (res: ServerResponse) => { if (!res.headersSent) res.setHeader('Connection', 'close'); };
  server.on('request', (_req, res: ServerResponse) => {
    if (closing) closeAfter(res);
    answering.add(res);
    res.once('close', () => { answering.delete(res); if (closing) server.closeIdleConnections(); });
  });
  return {
    server,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    metricsUrl: metricsServer && `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`,
    async close() {
      metricsServer?.close();
      closing = true;
      answering.forEach(closeAfter);
      // Stop accepting, let requests under way finish (bounded by the grace period), close idle connections.
      const closed = new Promise<void>((resolve) => { server.close(() => resolve()); });
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs);
      await closed;
      clearTimeout(grace);
    },
  };
}
