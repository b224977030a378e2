import { describe, expect, it } from 'vitest';
import { ConfigError, SourceError, describeError, redactUrl } from './errors.js';

describe('errors', () => {
  it('redactUrl hides passwords and leaves other URLs as written', () => {
    expect(redactUrl('postgres://monitor:s3cret@db:5432/postgres')).toBe('postgres://monitor:***@db:5432/postgres');
    expect(redactUrl('redis://:pw@cache:6379')).toBe('redis://:***@cache:6379');
    expect(redactUrl('http://127.0.0.1:9093')).toBe('http://127.0.0.1:9093');
    expect(redactUrl('postgres://monitor@db/postgres?password=s3cret&sslmode=require')).toBe('postgres://monitor@db/postgres?password=***&sslmode=require');
    expect(redactUrl('not a url://u:p@h')).not.toContain(':p@');
  });

  it('describeError surfaces the cause of generic errors and the code of system errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeError(new TypeError('fetch failed', { cause: refused }))).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError(Object.assign(new Error('getaddrinfo failed'), { code: 'ENOTFOUND' }))).toBe('getaddrinfo failed (ENOTFOUND)');
    expect(describeError('plain')).toBe('plain');
  });

  it('typed errors carry stable codes and exit codes', () => {
    const c = new ConfigError([{ path: 'a.b', message: 'bad' }], 'x.yaml');
    expect(c).toMatchObject({ code: 'TS_CONFIG_INVALID', exitCode: 2, httpStatus: 400 });
    expect(c.message).toBe('configuration in x.yaml has 1 problem:\n  a.b: bad');
    const s = new SourceError('postgres source "pg-main"', 'connect', 'ECONNREFUSED — is the server running?');
    expect(s).toMatchObject({ code: 'TS_SOURCE_FAILED', exitCode: 1, source: 'postgres source "pg-main"', step: 'connect' });
  });
});
