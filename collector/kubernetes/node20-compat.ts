/**
 * @kubernetes/client-node 2.0.1 depends on undici ^8, which declares Node >= 22.19 and, on the Node 20
 * this project supports (package.json engines >= 20.6), fails at import time. Three gaps, each
 * filled only when missing and each harmless for what the client does here:
 * - `zlib.createZstdDecompress` (Node 22.15): undici binds it at load for `Content-Encoding: zstd`;
 *   the client never asks for zstd, so the stand-in throws if a server sends it anyway.
 * - `worker_threads.markAsUncloneable` (Node 22.10): only marks undici's web objects as not
 *   structured-cloneable; a no-op loses nothing for fetch.
 * - `Promise.withResolvers` (Node 22, ES2024): used by undici's fetch; the standard polyfill.
 * Must be imported before @kubernetes/client-node (ESM evaluates imports in order). Drop this file
 * when the engines floor moves to Node 22.19.
 */
import zlib from 'node:zlib';
import workerThreads from 'node:worker_threads';

const z = zlib as unknown as Record<string, unknown>;
if (typeof z.createZstdDecompress !== 'function') {
  z.createZstdDecompress = () => {
    throw new Error('zstd Content-Encoding is not supported on this Node.js version (needs >= 22.15)');
  };
}

const wt = workerThreads as unknown as Record<string, unknown>;
if (typeof wt.markAsUncloneable !== 'function') wt.markAsUncloneable = () => {};

const P = Promise as unknown as { withResolvers?: unknown };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>(this: PromiseConstructor) {
    let resolve!: (v: T | PromiseLike<T>) => void;
    let reject!: (e: unknown) => void;
    const promise = new this<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
