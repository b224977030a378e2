/**
 * The Sentinel form of `sources.redis[].url`:
 *
 *   redis+sentinel://[user[:password]@]host1[:26379][,host2[:26379]…]/<masterName>[/<db>][?sentinelUsername=…&sentinelPassword=…]
 *
 * The userinfo authenticates to the master (as in a redis:// URL); the sentinels' own credentials, when
 * they require auth (`requirepass` in sentinel.conf), go in the query. `new URL()` cannot parse it — a
 * comma-separated host list is no valid authority — so it is split by hand here, once, at construction.
 */
import { ConfigError } from '../../lib/errors.js';

export interface SentinelAddress {
  host: string;
  port: number;
}

export interface SentinelTarget {
  sentinels: SentinelAddress[];
  /** the name the sentinels monitor the master under (`sentinel monitor <name> …`) */
  masterName: string;
  db: number;
  username?: string;
  password?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
}

export const SENTINEL_DEFAULT_PORT = 26379;
const FORM = 'redis+sentinel://[user:password@]host1:26379[,host2:26379…]/<masterName>[/<db>][?sentinelPassword=…]';
const QUERY_KEYS = ['sentinelUsername', 'sentinelPassword'] as const;

export function isSentinelUrl(url: string): boolean {
  return /^redis\+sentinel:\/\//i.test(url);
}

/**
 * Hides every secret of a Sentinel URL, even a malformed one (it goes into error messages): the
 * sentinelPassword query value, then all between "user:" and the last "@" — an unencoded "?" or "/" in
 * the password must not end the redaction early, so in odd URLs it hides too much rather than too little.
 */
export function redactSentinelUrl(url: string): string {
  const out = url.replace(/([?&]sentinelPassword=)[^&#]*/gi, '$1***');
  const start = out.indexOf('//') + 2;
  const at = out.lastIndexOf('@');
  if (start < 2 || at <= start) return out;
  const colon = out.indexOf(':', start);
  if (colon < 0 || colon > at) return out;
  return `${out.slice(0, colon)}:***${out.slice(at)}`;
}

/** `sentinel master "mymaster" via 10.0.0.1:26379,10.0.0.2:26379, db 0` — no credentials, for messages */
export function describeSentinel(t: SentinelTarget): string {
  const user = t.username ? ` as user "${t.username}"` : '';
  return `sentinel master "${t.masterName}" via ${t.sentinels.map(formatAddress).join(',')}, db ${t.db}${user}`;
}

export function formatAddress(a: SentinelAddress): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/**
 * Parses a redis+sentinel:// URL; anything malformed is a ConfigError at `path` that names the (redacted)
 * value, what is wrong and the expected form.
 */
export function parseSentinelUrl(url: string, path = 'sources.redis[].url'): SentinelTarget {
  const bad = (why: string): ConfigError => new ConfigError([{ path, message: `"${redactSentinelUrl(url)}" is not a valid Sentinel URL: ${why} — write ${FORM}` }]);
  const decode = (s: string, what: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw bad(`the ${what} has an invalid %-escape (percent-encode "%" as %25)`);
    }
  };
  const m = /^redis\+sentinel:\/\/(.*)$/is.exec(url);
  if (!m) throw bad('it must start with redis+sentinel://');
  let rest = m[1]!;
  if (rest.includes('#')) throw bad('a "#" is not allowed (percent-encode it as %23 in a password)');
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }

  // the last "@" ends the userinfo: master names and hosts cannot contain one, a password might
  const target: Partial<SentinelTarget> = {};
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
    if (user) target.username = user;
    if (colon >= 0) {
      const password = decode(userinfo.slice(colon + 1), 'password');
      if (password) target.password = password;
    }
  }

  const slash = rest.indexOf('/');
  if (slash < 0 || rest.slice(slash + 1) === '') throw bad('the master name is missing after the sentinel list (the name of `sentinel monitor <name> …`)');
  const hostList = rest.slice(0, slash);
  if (hostList === '') throw bad('no sentinel address is given');
  const sentinels: SentinelAddress[] = [];
  for (const item of hostList.split(',')) {
    const hm = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(item);
    if (!hm) throw bad(`"${item}" is not a sentinel address (host, host:port or [ipv6]:port)`);
    const port = hm[3] === undefined ? SENTINEL_DEFAULT_PORT : Number(hm[3]);
    if (port < 1 || port > 65535) throw bad(`port ${hm[3]} of sentinel "${item}" is out of range 1–65535`);
    const host = (hm[1] ?? hm[2])!;
    if (!sentinels.some((s) => s.host === host && s.port === port)) sentinels.push({ host, port });
  }

  const segments = rest.slice(slash + 1).split('/');
  if (segments.length > 2 && !(segments.length === 3 && segments[2] === '')) throw bad(`too many path segments: expected /<masterName>[/<db>], got /${segments.join('/')}`);
  const masterName = decode(segments[0]!, 'master name');
  if (masterName === '' || /[\s/]/.test(masterName)) throw bad(`master name "${masterName}" is empty or contains blanks or "/"`);
  const dbText = segments[1] ?? '';
  if (dbText !== '' && !/^\d{1,9}$/.test(dbText)) throw bad(`db "${dbText}" is not a database number (0, 1, …)`);
  const db = dbText === '' ? 0 : Number(dbText);

  if (query !== '') {
    const params = new URLSearchParams(query);
    for (const key of params.keys()) {
      if (!(QUERY_KEYS as readonly string[]).includes(key)) throw bad(`unknown parameter "${key}" (known: ${QUERY_KEYS.join(', ')})`);
    }
    const su = params.get('sentinelUsername');
    const sp = params.get('sentinelPassword');
    if (su) target.sentinelUsername = su;
    if (sp) target.sentinelPassword = sp;
  }
  return { ...target, sentinels, masterName, db };
}
