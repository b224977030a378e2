import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ConfigError } from '../../lib/errors.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { configSchema } from '../../config/index.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { createRedisCollector } from './collector.js';
import { describeSentinel, isSentinelUrl, parseSentinelUrl, redactSentinelUrl } from './sentinel.js';

/** the ConfigError a bad URL throws, checked for type, path and the expected form in the remedy */
function rejection(url: string, path?: string): string {
  try {
    parseSentinelUrl(url, path);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('TS_CONFIG_INVALID');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.path).toBe(path ?? 'sources.redis[].url');
    expect(e.message).toContain('write redis+sentinel://[user:password@]host1:26379');
    return e.message;
  }
  throw new Error(`expected ${url} to be rejected`);
}

describe('parseSentinelUrl', () => {
  it('reads several sentinels, default port, master name and db', () => {
    expect(parseSentinelUrl('redis+sentinel://10.0.0.1:26380,sentinel-b,[::1]:26381/mymaster/3')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26380 },
        { host: 'sentinel-b', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'mymaster',
      db: 3,
    });
  });

  it('defaults to db 0 and tolerates a trailing slash', () => {
    expect(parseSentinelUrl('redis+sentinel://s1:26379/cache').db).toBe(0);
    expect(parseSentinelUrl('redis+sentinel://s1:26379/cache/').db).toBe(0);
    expect(parseSentinelUrl('redis+sentinel://s1:26379/cache/2/').db).toBe(2);
  });

  it('takes user and password (percent-decoded) for the master and sentinel credentials from the query', () => {
    const t = parseSentinelUrl('redis+sentinel://app:p%40ss%2Fw0rd@s1:26379,s2:26379/orders/1?sentinelPassword=s%26cret&sentinelUsername=watch');
    expect(t).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'orders',
      db: 1,
      username: 'app',
      password: 'p@ss/w0rd',
      sentinelUsername: 'watch',
      sentinelPassword: 's&cret',
    });
    // a password alone (no user), as in redis://:pw@host
    const p = parseSentinelUrl('redis+sentinel://:only@s1/m');
    expect(p.password).toBe('only');
    expect(p.username).toBeUndefined();
    // an unencoded "@" in the password: the last "@" ends the userinfo
    expect(parseSentinelUrl('redis+sentinel://u:a@b@s1/m').password).toBe('a@b');
  });

  it('collapses a sentinel listed twice', () => {
    expect(parseSentinelUrl('redis+sentinel://s1,s1:26379,s2/m').sentinels).toEqual([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
    ]);
  });

  it.each([
    ['redis://s1:26379/m', 'must start with redis+sentinel://'],
    ['redis+sentinel://s1:26379', 'master name is missing'],
    ['redis+sentinel://s1:26379/', 'master name is missing'],
    ['redis+sentinel:///m', 'no sentinel address'],
    ['redis+sentinel://s1,,s2/m', '"" is not a sentinel address'],
    ['redis+sentinel://s1:abc/m', '"s1:abc" is not a sentinel address'],
    ['redis+sentinel://s1:70000/m', 'port 70000 of sentinel "s1:70000" is out of range'],
    ['redis+sentinel://s1/m/x', 'db "x" is not a database number'],
    ['redis+sentinel://s1/m/1/2', 'too many path segments'],
    ['redis+sentinel://s1/m?db=2', 'unknown parameter "db" (known: sentinelUsername, sentinelPassword)'],
    ['redis+sentinel://s1/m#frag', 'a "#" is not allowed'],
    ['redis+sentinel://u:%zz@s1/m', 'the password has an invalid %-escape'],
  ])('rejects %s naming the problem and the expected form', (url, why) => {
    const msg = rejection(url, 'sources.redis["cache-1"].url');
    expect(msg).toContain(why);
    expect(msg).toContain('sources.redis["cache-1"].url');
  });

  it('never puts the password of a rejected URL into the message', () => {
    const msg = rejection('redis+sentinel://app:hunter2@s1:26379/m/notadb?sentinelPassword=swordfish');
    expect(msg).toContain('"redis+sentinel://app:***@s1:26379/m/notadb?sentinelPassword=***"');
    expect(msg).not.toContain('hunter2');
    expect(msg).not.toContain('swordfish');
    expect(rejection('redis+sentinel://:x%zzsecret@s1/m')).not.toContain('secret');
  });
});

describe('redactSentinelUrl and describeSentinel', () => {
  it('hides master and sentinel passwords, keeps user, hosts and master name', () => {
    expect(redactSentinelUrl('redis+sentinel://u:p@ss@h1:1,h2:2/m/0?sentinelUsername=w&sentinelPassword=pw')).toBe(
      'redis+sentinel://u:***@h1:1,h2:2/m/0?sentinelUsername=w&sentinelPassword=***',
    );
    expect(redactSentinelUrl('redis+sentinel://h1/m')).toBe('redis+sentinel://h1/m');
    // unencoded "?" and "/" in a password do not end the redaction early
    expect(redactSentinelUrl('redis+sentinel://u:pa?ss/wd@h1/m')).toBe('redis+sentinel://u:***@h1/m');
  });

  it('describes the target with master name and sentinels, without credentials', () => {
    const t = parseSentinelUrl('redis+sentinel://app:hunter2@s1:26379,[::1]:26380/orders/2?sentinelPassword=swordfish');
    const d = describeSentinel(t);
    expect(d).toBe('sentinel master "orders" via s1:26379,[::1]:26380, db 2 as user "app"');
    expect(d).not.toMatch(/hunter2|swordfish/);
  });

  it('recognises the scheme', () => {
    expect(isSentinelUrl('redis+sentinel://s/m')).toBe(true);
    expect(isSentinelUrl('redis://s:6379')).toBe(false);
  });
});

describe('sources.redis[].url in the config schema', () => {
  const parse = (url: string) => configSchema.safeParse({ sources: { redis: [{ name: 'cache-1', url }] } });

  it('accepts the standalone and Sentinel forms', () => {
    for (const url of ['redis://127.0.0.1:6379/0', 'rediss://:pw@cache:6380', 'redis+sentinel://s1:26379,s2:26379/mymaster', 'redis+sentinel://u:p@s1/mymaster/3?sentinelPassword=x'])
      expect(parse(url).success, url).toBe(true);
  });

  it('rejects a Sentinel URL without master name, stating the form and not echoing the password', () => {
    const r = parse('redis+sentinel://u:hunter2@s1:26379');
    expect(r.success).toBe(false);
    const text = JSON.stringify(r.error?.issues);
    expect(text).toContain('redis+sentinel://[user:password@]host1:26379');
    expect(text).not.toContain('hunter2');
    expect(parse('http://s1/m').success).toBe(false);
  });
});

describe('createRedisCollector with a Sentinel URL the schema lets through', () => {
  it('fails at construction with a ConfigError naming the source, without the password', () => {
    const config = configSchema.parse({ sources: { redis: [{ name: 'cache-1', url: 'redis+sentinel://app:hunter2@s1:99999/orders' }] } });
    const deps = { registry: new Registry(), resolver: createTenantResolver(config.tenancy), clock: new ManualClock(0), logger: createMemoryLogger() };
    let err: unknown;
    try {
      createRedisCollector(config.sources.redis[0]!, deps);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('sources.redis["cache-1"].url: "redis+sentinel://app:***@s1:99999/orders" is not a valid Sentinel URL: port 99999');
    expect(msg).not.toContain('hunter2');
  });
});
