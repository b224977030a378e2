import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../lib/errors.js';
import { commandLabel, infoNumber, parseClientList, parseInfo, parseLatencyLatest, parseSlowlog, quantileLabel } from './info.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/redis/${name}`, import.meta.url)), 'utf8');

describe('parseInfo on recorded INFO ALL replies', () => {
  it('reads the CRLF master reply without carriage returns leaking into values', () => {
    const text = fixture('info-all-7.4-master.txt');
    expect(text).toContain('\r\n'); // the trap this test is about
    const info = parseInfo(text);
    expect(info.fields.get('redis_version')).toBe('7.4.4');
    expect(info.fields.get('role')).toBe('master');
    expect(infoNumber(info, 'used_memory')).toBe(13670824);
    expect(infoNumber(info, 'total_commands_processed')).toBe(284416);
    expect(infoNumber(info, 'mem_fragmentation_ratio')).toBe(1.63);
    // a value with ':' inside is split on the first colon only
    expect(info.fields.get('slave0')).toBe('ip=172.18.0.3,port=6379,state=online,offset=109888145,lag=0');
    expect(info.fields.get('executable')).toBe('/data/redis-server');
  });

  it('reads commandstats including subcommands and rejected calls', () => {
    const info = parseInfo(fixture('info-all-7.4-master.txt'));
    expect(info.commandstats.size).toBe(8);
    expect(info.commandstats.get('client|list')).toEqual({ calls: 24, usec: 5443, rejectedCalls: 0, failedCalls: 0 });
    expect(info.commandstats.get('ping')).toEqual({ calls: 3, usec: 2, rejectedCalls: 1, failedCalls: 0 });
  });

  it('reads latencystats percentiles and keyspace', () => {
    const info = parseInfo(fixture('info-all-7.4-master.txt'));
    expect(info.latencystats.get('info')).toEqual(new Map([['p50', 59.135], ['p99', 38273.023], ['p99.9', 54001.663]]));
    expect(info.latencystats.get('client|list')?.get('p99.9')).toBe(839.679);
    expect(info.keyspace).toEqual(new Map([[0, { keys: 33343, expires: 33343 }]]));
  });

  it('reads the LF cluster-replica reply the same way', () => {
    const info = parseInfo(fixture('info-all-7.4-cluster-replica.txt'));
    expect(info.fields.get('redis_mode')).toBe('cluster');
    expect(info.fields.get('role')).toBe('slave');
    expect(infoNumber(info, 'maxmemory')).toBe(52428800);
    expect(info.keyspace.get(0)).toEqual({ keys: 36204, expires: 3268 });
    expect(info.commandstats.size).toBe(13);
    expect(info.commandstats.get('cluster|replicate')).toEqual({ calls: 2, usec: 199, rejectedCalls: 0, failedCalls: 1 });
  });

  it('rejects a reply that is not INFO, naming the source', () => {
    expect(() => parseInfo('HTTP/1.1 200 OK garbage', 'redis "cache-1"')).toThrow(PayloadError);
    expect(() => parseInfo('', 'redis "cache-1"')).toThrow(/redis "cache-1": INFO reply has no field:value lines/);
    // an empty instance answers INFO keyspace with a bare section header: valid, no dbs
    expect(parseInfo('# Keyspace\r\n').keyspace.size).toBe(0);
  });
});

describe('small reply parsers', () => {
  it('parses CLIENT LIST lines', () => {
    const text =
      'id=3 addr=127.0.0.1:50100 laddr=127.0.0.1:6379 fd=8 name=acme-worker age=12 idle=7 flags=N db=2 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1928 events=r cmd=get user=default redir=-1 resp=2\n' +
      'id=4 addr=127.0.0.1:50102 laddr=127.0.0.1:6379 fd=9 name= age=1 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=1 omem=16400 tot-mem=22298 events=r cmd=client|list user=globex redir=-1 resp=2\n';
    const c = parseClientList(text);
    expect(c).toHaveLength(2);
    expect(c[0]).toMatchObject({ id: '3', name: 'acme-worker', db: 2, idleSeconds: 7, totMemBytes: 1928, user: 'default', addr: '127.0.0.1:50100' });
    expect(c[1]).toMatchObject({ name: '', user: 'globex', outputBufferBytes: 16400, cmd: 'client|list' });
  });

  it('parses SLOWLOG GET entries and rejects a non-array', () => {
    const e = parseSlowlog([[14, 1700000000, 25031, ['DEBUG', 'SLEEP', '0.025'], '127.0.0.1:50100', 'acme-worker']]);
    expect(e).toEqual([{ id: 14, timestampSeconds: 1700000000, durationMicros: 25031, args: ['DEBUG', 'SLEEP', '0.025'], addr: '127.0.0.1:50100', clientName: 'acme-worker' }]);
    expect(() => parseSlowlog('OK', 'redis "x"')).toThrow(/redis "x": SLOWLOG GET reply is not an array/);
  });

  it('parses LATENCY LATEST and bounds labels', () => {
    expect(parseLatencyLatest([['command', 1700000000, 120, 350]])).toEqual([{ event: 'command', latestMs: 120, maxMs: 350 }]);
    expect(quantileLabel('p99.9')).toBe('0.999');
    expect(quantileLabel('p50')).toBe('0.5');
    expect(quantileLabel('max')).toBeUndefined();
    expect(commandLabel('SORT')).toBe('sort');
    expect(commandLabel('client|list')).toBe('client|list');
    expect(commandLabel('x'.repeat(200))).toBe('other');
    expect(commandLabel('\u0000evil')).toBe('other');
  });
});
