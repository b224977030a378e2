import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExposition, parseSampleValue } from './index.js';

const fixture = (p: string) => readFileSync(new URL(`../../test/fixtures/${p}`, import.meta.url), 'utf8');
const sampleLines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;

describe('parseExposition on recorded payloads', () => {
  it('reads the Traefik v2 file (no trailing newline) completely and groups histograms under their family', () => {
    const text = fixture('traefik/traefik-v2-proxy.metrics.txt');
    expect(text.endsWith('\n')).toBe(false);
    const r = parseExposition(text);
    expect(r.errors).toEqual({});
    expect(r.samples).toBe(88);
    const svc = r.families.get('traefik_service_requests_total');
    expect(svc?.type).toBe('counter');
    expect(svc?.samples).toEqual([
      { name: 'traefik_service_requests_total', labels: { code: '200', method: 'GET', protocol: 'http', service: 'readiness@http' }, value: 70424, timestampMs: undefined },
    ]);
    const hist = r.families.get('traefik_entrypoint_request_duration_seconds');
    expect(hist?.type).toBe('histogram');
    expect(hist?.samples).toHaveLength(28);
    expect(hist?.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le)).toContain('+Inf');
    expect(r.families.has('traefik_entrypoint_request_duration_seconds_bucket')).toBe(false);
    const gc = r.families.get('go_gc_duration_seconds');
    expect(gc?.type).toBe('summary');
    expect(gc?.samples.map((s) => s.name)).toEqual([...Array(5).fill('go_gc_duration_seconds'), 'go_gc_duration_seconds_sum', 'go_gc_duration_seconds_count']);
    expect(r.families.get('go_info')?.help).toBe('Information about the Go environment.');
    // the very last line, with no newline after it, is not lost
    expect(r.families.get('traefik_service_requests_total')?.samples[0]?.value).toBe(70424);
    expect(r.families.get('process_virtual_memory_max_bytes')?.samples[0]?.value).toBe(1.8446744073709552e19);
  });

  it.each([
    ['prometheus/cadvisor.txt', 1399, 59],
    ['prometheus/cadvisor-legacy-labels.txt', 3215, 52],
    ['prometheus/kube-state-metrics-v2.19.1.txt', 1055, 233],
    ['prometheus/cadvisor-standalone-testdata.txt', 80, 45],
  ])('reads every sample of %s without errors', (file, expectedSamples, typedFamilies) => {
    const text = fixture(file);
    const r = parseExposition(text);
    expect(r.errors).toEqual({});
    expect(r.samples).toBe(expectedSamples);
    expect(sampleLines(text)).toBe(expectedSamples);
    expect([...r.families.values()].filter((f) => f.type !== 'untyped')).toHaveLength(typedFamilies);
  });

  it('keeps cAdvisor millisecond timestamps and exponent values', () => {
    const r = parseExposition(fixture('prometheus/cadvisor.txt'));
    const all = [...r.families.values()].flatMap((f) => f.samples);
    const stamped = all.filter((s) => s.timestampMs !== undefined);
    expect(stamped.length).toBeGreaterThan(1000);
    expect(stamped.every((s) => Number.isInteger(s.timestampMs) && s.timestampMs! > 1.5e12)).toBe(true);
    // container_spec_* carry no timestamp in this recording
    expect(r.families.get('container_spec_memory_limit_bytes')?.samples.every((s) => s.timestampMs === undefined)).toBe(true);
    expect(all.some((s) => s.value === 5.718659072e9)).toBe(true);
  });

  it('unescapes `\\\\` in legacy cAdvisor cgroup ids', () => {
    const r = parseExposition(fixture('prometheus/cadvisor-legacy-labels.txt'));
    const ids = r.families.get('container_cpu_load_average_10s')?.samples.map((s) => s.labels.id) ?? [];
    expect(ids).toContain('/system.slice/system-serial\\x2dgetty.slice');
    expect(ids.some((id) => id?.includes('\\\\'))).toBe(false);
  });
});

describe('parseExposition on hand-made edge cases', () => {
  it('handles escapes, CRLF, NaN/Inf, exponents, timestamps, blanks and trailing commas', () => {
    const text = [
      '# HELP m a help with \\\\ and \\n inside',
      '# TYPE m gauge',
      'm{path="C:\\\\dir",msg="say \\"hi\\"",multi="a\\nb"} 1.5e-3 1700000000123',
      'm{a="1",} NaN',
      'm  +Inf',
      'm{a="2"} -Inf -5',
      'm{ a = "3" } 7',
      '# a free comment is ignored',
      '',
      'untyped_thing 3',
    ].join('\r\n');
    const r = parseExposition(text);
    expect(r.errors).toEqual({});
    const m = r.families.get('m');
    expect(m?.help).toBe('a help with \\ and \n inside');
    expect(m?.samples[0]).toEqual({ name: 'm', labels: { path: 'C:\\dir', msg: 'say "hi"', multi: 'a\nb' }, value: 0.0015, timestampMs: 1700000000123 });
    expect(m?.samples[1]?.labels).toEqual({ a: '1' });
    expect(Number.isNaN(m?.samples[1]?.value)).toBe(true);
    expect(m?.samples[2]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(m?.samples[3]).toMatchObject({ value: Number.NEGATIVE_INFINITY, timestampMs: -5 });
    expect(m?.samples[4]?.labels).toEqual({ a: '3' });
    expect(r.families.get('untyped_thing')?.type).toBe('untyped');
  });

  it('counts malformed lines per reason, skips them and keeps the good ones', () => {
    const text = [
      '# TYPE ok counter',
      'ok_total 1',
      'ok 2',
      '9bad 1',
      'bad-name 1',
      'noval',
      'x{a="1" 1',
      'x{a=1} 1',
      'x{a="\\q"} 1',
      'x{a="1",a="2"} 1',
      'x 1 2 3',
      'x 1 12.5',
      'x abc',
      'x{a="unterminated} 1',
      '# TYPE ok gauge',
      '# TYPE y bogus',
      'ok 3',
    ].join('\n');
    const r = parseExposition(text);
    expect(r.errors).toEqual({
      bad_metric_name: 2,
      bad_value: 2,
      bad_labels: 3,
      bad_escape: 1,
      duplicate_label: 1,
      bad_timestamp: 2,
      duplicate_type: 1,
      bad_type: 1,
    });
    expect(r.families.get('ok')?.samples.map((s) => s.value)).toEqual([2, 3]);
    expect(r.families.get('ok_total')?.samples[0]?.value).toBe(1);
    expect(r.samples).toBe(3);
  });

  it('reads plain integers as Number() does, and hands every other token to the float reader', () => {
    const values = (lines: string[]) => parseExposition(lines.map((v) => `v ${v}`).join('\n')).families.get('v')?.samples.map((s) => s.value);
    const got = values(['-0', '007', '-00', '123456789012345', '1234567890123456', '99999999999999999', '+5', '0x1F', '1e3', '12.5']);
    expect(got?.map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(['-0', 7, '-0', 123456789012345, 1234567890123456, 99999999999999999, 5, 31, 1000, 12.5]);
    expect(parseExposition('v -\nv 0b1\nv --1').errors).toEqual({ bad_value: 3 });
  });

  it('repeats names, label names and values from the line before only when the text is the same', () => {
    const r = parseExposition(
      [
        'm{a="x",b="long-value-number-one"} 1',
        'm{a="x\\\\",b="long-value-number-one"} 2', // an escaped backslash: the value is "x" and one backslash
        'm{a="x",b="long-value-number-onf"} 3', // same length, last character differs
        'm{a="xy",b="long-value-number-one"} 4', // the earlier value is a prefix
        'm{b="long-value-number-one",a="x"} 5', // other order: values by position differ
        'mm{a="x"} 6', // a longer name starting with the last one
      ].join('\n'),
    );
    expect(r.errors).toEqual({});
    const all = [...r.families.values()].flatMap((f) => f.samples.map((s) => [s.name, s.labels, s.value]));
    expect(all).toEqual([
      ['m', { a: 'x', b: 'long-value-number-one' }, 1],
      ['m', { a: 'x\\', b: 'long-value-number-one' }, 2],
      ['m', { a: 'x', b: 'long-value-number-onf' }, 3],
      ['m', { a: 'xy', b: 'long-value-number-one' }, 4],
      ['m', { b: 'long-value-number-one', a: 'x' }, 5],
      ['mm', { a: 'x' }, 6],
    ]);
    // more label names than the parser remembers (64) are still read right
    const names = Array.from({ length: 70 }, (_, i) => `l${i}="v"`).join(',');
    expect(Object.keys(parseExposition(`w{${names}} 1`).families.get('w')!.samples[0]!.labels)).toHaveLength(70);
  });

  it('groups a sample under the family a TYPE line declared, even right after samples of the same name', () => {
    const r = parseExposition(['# TYPE x summary', 'x_sum 1', '# TYPE x_sum gauge', 'x_sum 2'].join('\n'));
    expect(r.families.get('x')?.samples.map((s) => s.value)).toEqual([1]);
    expect(r.families.get('x_sum')?.samples.map((s) => s.value)).toEqual([2]);
  });

  it('returns an empty result for empty input', () => {
    expect(parseExposition('')).toEqual({ families: new Map(), errors: {}, samples: 0 });
    expect(parseExposition('\n\r\n  \n').samples).toBe(0);
  });
});

describe('parseSampleValue', () => {
  it.each([
    ['1', 1],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['5.718659072e+09', 5718659072],
    ['+Inf', Infinity],
    ['inf', Infinity],
    ['-Inf', -Infinity],
  ])('%s → %d', (tok, v) => expect(parseSampleValue(tok)).toBe(v));
  it.each(['', 'abc', '1,5', '0b101', '--1'])('rejects %j', (tok) => expect(parseSampleValue(tok)).toBeUndefined());
  it('reads NaN', () => expect(Number.isNaN(parseSampleValue('NaN'))).toBe(true));
});
