/**
 * Small typed errors with stable codes. Messages name the thing, the value and the remedy;
 * the CLI entry maps `exitCode`, the HTTP layer maps `httpStatus` (one place each).
 */
export type ErrorCode =
  | 'TS_CONFIG_INVALID'
  | 'TS_CONFIG_UNREADABLE'
  | 'TS_SOURCE_UNREACHABLE'
  | 'TS_SOURCE_FAILED'
  | 'TS_PAYLOAD_INVALID'
  | 'TS_REQUEST_INVALID'
  | 'TS_STORAGE_FAILED'
  | 'TS_NOT_FOUND';

export class TenantscopeError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: 1 | 2;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; exitCode?: 1 | 2; httpStatus?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = opts.exitCode ?? 1;
    this.httpStatus = opts.httpStatus ?? 500;
  }
}

/** One problem in a config document: `path: message`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigError extends TenantscopeError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;

  constructor(issues: readonly ConfigIssue[], file?: string, opts: { cause?: unknown } = {}) {
    const where = file ? ` in ${file}` : '';
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('TS_CONFIG_INVALID', `configuration${where} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${lines}`, {
      ...opts,
      exitCode: 2,
      httpStatus: 400,
    });
    this.issues = issues;
    this.file = file;
  }
}

/** A source (database, Redis, Traefik, Kubernetes, query API) could not be reached or answered badly. */
export class SourceError extends TenantscopeError {
  readonly source: string;
  readonly step: string;

  constructor(source: string, step: string, message: string, opts: { cause?: unknown; code?: ErrorCode } = {}) {
    super(opts.code ?? 'TS_SOURCE_FAILED', `${source}: ${step}: ${message}`, { cause: opts.cause, exitCode: 1, httpStatus: 502 });
    this.source = source;
    this.step = step;
  }
}

export class PayloadError extends TenantscopeError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('TS_PAYLOAD_INVALID', message, { ...opts, exitCode: 2, httpStatus: 400 });
  }
}

export class RequestError extends TenantscopeError {
  constructor(message: string, opts: { cause?: unknown; httpStatus?: number } = {}) {
    super('TS_REQUEST_INVALID', message, { cause: opts.cause, exitCode: 2, httpStatus: opts.httpStatus ?? 400 });
  }
}

export class StorageError extends TenantscopeError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('TS_STORAGE_FAILED', message, { ...opts, exitCode: 1, httpStatus: 503 });
  }
}

/** Turns anything thrown into a one-line reason, for logs and failure metrics. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    let msg = err.message;
    // undici says only "fetch failed"; the reason (ECONNREFUSED, timeout…) is in the cause
    const cause = err.cause;
    if (cause instanceof Error && !(err instanceof TenantscopeError) && !msg.includes(cause.message)) msg = `${msg}: ${describeError(cause)}`;
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !msg.includes(code) && !(err instanceof TenantscopeError) ? `${msg} (${code})` : msg;
  }
  return String(err);
}

/** Removes the password from a connection URL so it can go into messages and labels. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    // libpq also takes the password as a query parameter: postgres://u@h/db?password=…
    const inQuery = u.searchParams.has('password');
    if (!u.password && !inQuery) return url;
    if (u.password) u.password = '***';
    if (inQuery) u.searchParams.set('password', '***');
    return u.toString().replace('password=%2A%2A%2A', 'password=***');
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
