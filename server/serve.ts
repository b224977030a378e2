import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { TenantscopeError } from '../lib/errors.js';

export interface HttpServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `host:port`; port 0 picks a free one. Rejects with a message naming the address on EADDRINUSE. */
export function listen(app: Hono, listenAddr: string): Promise<HttpServer> {
  const idx = listenAddr.lastIndexOf(':');
  const hostname = listenAddr.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(listenAddr.slice(idx + 1));
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (err: NodeJS.ErrnoException) => {
      const remedy = err.code === 'EADDRINUSE' ? 'another process listens there — stop it or set server.listen to another port' : 'check server.listen';
      reject(new TenantscopeError('TS_CONFIG_INVALID', `cannot listen on ${listenAddr}: ${err.code ?? err.message} — ${remedy} (server.listen)`, { cause: err, exitCode: 1 }));
    };
    server = serve({ fetch: app.fetch, hostname, port }, (info) => {
      server.off('error', onError);
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            // idle keep-alive sockets would hold close() open
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', onError);
  });
}
