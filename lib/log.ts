/**
 * A tiny structured logger: one line per event, `level msg key=value…` for people,
 * or JSON lines when TENANTSCOPE_LOG_FORMAT=json. Injected, never global.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: Level;
  format?: 'text' | 'json';
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v);
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? (process.env.TENANTSCOPE_LOG_LEVEL as Level | undefined) ?? 'info';
  const format = opts.format ?? (process.env.TENANTSCOPE_LOG_FORMAT === 'json' ? 'json' : 'text');
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = opts.base ?? {};
  const emit = (l: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[l] < order[level]) return;
    const all = { ...base, ...fields };
    if (format === 'json') {
      write(JSON.stringify({ ts: new Date().toISOString(), level: l, msg, ...all }));
    } else {
      const kv = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${fmtValue(v)}`)
        .join(' ');
      write(`${l.padEnd(5)} ${msg}${kv ? ' ' + kv : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ level, format, write, base: { ...base, ...f } }),
  };
}

/** For tests: a logger that records lines. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'text', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
