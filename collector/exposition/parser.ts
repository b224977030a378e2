/**
 * A Prometheus text-format (0.0.4) parser: the one every scrape-based input uses (Traefik,
 * cAdvisor, kube-state-metrics). Spec: https://prometheus.io/docs/instrumenting/exposition_formats/
 *
 * It never throws on input: a malformed line is counted under a reason and skipped, so one bad
 * series from a buggy exporter does not cost the whole scrape. It accepts LF and CRLF, a last line
 * without newline, `# HELP`/`# TYPE` in any order before the samples, escaped label values
 * (`\\`, `\"`, `\n`), Go float syntax (exponents, NaN, +Inf/-Inf) and optional millisecond
 * timestamps. Histogram `_bucket`/`_sum`/`_count` and summary `_sum`/`_count` samples are grouped
 * under their family when a `# TYPE` line declared it (the format gives no other way to know).
 *
 * Hand-written scanning instead of a regex per line: scrapes of a busy kubelet are megabytes,
 * and this runs on every collection tick.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** the sample's own name, e.g. `x_bucket` inside family `x` */
  name: string;
  labels: Record<string, string>;
  value: number;
  /** milliseconds since the epoch when the exporter set one */
  timestampMs: number | undefined;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: Sample[];
}

/** Why a line was skipped. */
export type ParseErrorReason =
  | 'bad_metric_name'
  | 'bad_labels'
  | 'bad_escape'
  | 'duplicate_label'
  | 'bad_value'
  | 'bad_timestamp'
  | 'bad_type'
  | 'duplicate_type'
  | 'bad_help';

export interface ParseResult {
  /** by family name, in order of first appearance */
  families: Map<string, Family>;
  /** skipped lines by reason; a reason that never happened is absent */
  errors: Partial<Record<ParseErrorReason, number>>;
  /** samples accepted */
  samples: number;
}

const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

// char codes
const SPACE = 32;
const TAB = 9;
const LBRACE = 123;
const RBRACE = 125;
const QUOTE = 34;
const BACKSLASH = 92;
const EQ = 61;
const COMMA = 44;
const HASH = 35;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
}
function skipBlanks(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/**
 * A sample value as Go's strconv.ParseFloat reads it (what Prometheus uses): decimal and exponent
 * forms, NaN, Inf/+Inf/-Inf in any case. Returns undefined for anything else (JS `Number()`
 * would turn "" into 0 and reject "+Inf").
 */
export function parseSampleValue(tok: string): number | undefined {
  if (tok.length === 0) return undefined;
  const n = Number(tok);
  if (!Number.isNaN(n)) {
    // Number() also accepts "0x1F", "0b1", "Infinity" and surrounding blanks; the tokenizer rules
    // out blanks, and Go accepts hex and "infinity" as well, so only binary/octal differ
    const c1 = tok.charCodeAt(1);
    if (tok.charCodeAt(0) === 48 && (c1 === 98 || c1 === 66 || c1 === 111 || c1 === 79)) return undefined;
    return n;
  }
  switch (tok.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
    case '+infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

function unescapeHelp(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * The value of `s[from, to)` when it is a plain integer of at most 15 digits (counters, bucket
 * counts: most values of a scrape), read without slicing; exact, as Number() would read it (-0
 * included). undefined for anything else, which parseSampleValue() then reads.
 */
function integerAt(s: string, from: number, to: number): number | undefined {
  const neg = s.charCodeAt(from) === 45; // -
  const first = neg ? from + 1 : from;
  if (to <= first || to - first > 15) return undefined;
  let v = 0;
  for (let i = first; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** label names seen in this scrape, and the previous sample's label values by position */
interface LabelReuse {
  names: string[];
  values: string[];
}

/** the string `s[from, to)`: `known` when it holds exactly that text, else a new slice */
function sliceOr(known: string | undefined, s: string, from: number, to: number): string {
  return known !== undefined && known.length === to - from && s.startsWith(known, from) ? known : s.slice(from, to);
}

export function parseExposition(text: string): ParseResult {
  const families = new Map<string, Family>();
  const errors: Partial<Record<ParseErrorReason, number>> = {};
  const typed = new Set<string>();
  let samples = 0;
  const fail = (r: ParseErrorReason) => {
    errors[r] = (errors[r] ?? 0) + 1;
  };
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: undefined, samples: [] }));
    return f;
  };
  // the family a sample belongs to: its own name, or the histogram/summary it is a part of
  const familyOf = (sampleName: string): Family => {
    // consecutive samples mostly share a name (a histogram's buckets, a family's series): the name
    // string is reused then (see below), so one identity test finds its family again; a HELP or
    // TYPE line, which can change the answer, forgets it
    if (sampleName === lastFamilyName && lastFamily !== undefined) return lastFamily;
    lastFamilyName = sampleName;
    return (lastFamily = familyOfUncached(sampleName));
  };
  let lastFamilyName = '';
  let lastFamily: Family | undefined;
  const familyOfUncached = (sampleName: string): Family => {
    const own = families.get(sampleName);
    if (own && (typed.has(sampleName) || own.samples.length > 0)) return own;
    const us = sampleName.lastIndexOf('_');
    if (us > 0) {
      const suffix = sampleName.slice(us + 1);
      if (suffix === 'bucket' || suffix === 'sum' || suffix === 'count') {
        const base = families.get(sampleName.slice(0, us));
        if (base && (base.type === 'histogram' || (base.type === 'summary' && suffix !== 'bucket'))) return base;
      }
    }
    return own ?? family(sampleName);
  };

  // Strings of the previous sample, reused when the next one repeats them (most do: a scrape lists a
  // family's series one after the other, buckets of one series in a row): the same string object
  // again instead of a new slice per name, label name and label value. A Traefik scrape of 1,000
  // services is ~40,000 samples, all alive until the scrape is read, so fewer objects per sample is
  // less for the young generation to copy and less promoted to the old one.
  let lastName = '';
  const reuse: LabelReuse = { names: [], values: [] };

  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--; // CRLF
    const start = skipBlanks(text, pos, end);
    pos = nl + 1;
    if (start >= end) continue;

    if (text.charCodeAt(start) === HASH) {
      // `# HELP name text` / `# TYPE name type`; any other comment is ignored, as the spec says
      let i = skipBlanks(text, start + 1, end);
      const kwEnd = i + 4;
      const kw = text.slice(i, kwEnd);
      if ((kw !== 'HELP' && kw !== 'TYPE') || (kwEnd < end && text.charCodeAt(kwEnd) !== SPACE && text.charCodeAt(kwEnd) !== TAB)) continue;
      i = skipBlanks(text, kwEnd, end);
      const nameStart = i;
      if (i >= end || !isNameStart(text.charCodeAt(i))) {
        fail(kw === 'HELP' ? 'bad_help' : 'bad_type');
        continue;
      }
      while (i < end && isNameChar(text.charCodeAt(i))) i++;
      const name = text.slice(nameStart, i);
      if (i < end && text.charCodeAt(i) !== SPACE && text.charCodeAt(i) !== TAB) {
        fail(kw === 'HELP' ? 'bad_help' : 'bad_type');
        continue;
      }
      i = skipBlanks(text, i, end);
      lastFamily = undefined;
      if (kw === 'HELP') {
        family(name).help = unescapeHelp(text.slice(i, end));
      } else {
        const t = text.slice(i, end).trimEnd();
        if (!TYPES.has(t)) fail('bad_type');
        else if (typed.has(name)) fail('duplicate_type');
        else {
          typed.add(name);
          family(name).type = t as MetricType;
        }
      }
      continue;
    }

    // metric name
    let i = start;
    if (!isNameStart(text.charCodeAt(i))) {
      fail('bad_metric_name');
      continue;
    }
    while (i < end && isNameChar(text.charCodeAt(i))) i++;
    const name = (lastName = sliceOr(lastName, text, start, i));
    const labels: Record<string, string> = {};
    i = skipBlanks(text, i, end);

    if (i < end && text.charCodeAt(i) === LBRACE) {
      i = parseLabels(text, i + 1, end, labels, fail, reuse);
      if (i < 0) continue;
      i = skipBlanks(text, i, end);
    } else if (i < end && i === start + name.length) {
      // a name glued to something that is neither blank nor `{`: `foo-bar 1`
      fail('bad_metric_name');
      continue;
    }

    // value
    const vStart = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === TAB) break;
      i++;
    }
    const value = integerAt(text, vStart, i) ?? parseSampleValue(text.slice(vStart, i));
    if (value === undefined) {
      fail('bad_value');
      continue;
    }
    // optional timestamp
    i = skipBlanks(text, i, end);
    let timestampMs: number | undefined;
    if (i < end) {
      const tStart = i;
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c === SPACE || c === TAB) break;
        i++;
      }
      const tok = text.slice(tStart, i);
      if (!/^-?\d+$/.test(tok) || skipBlanks(text, i, end) < end) {
        fail('bad_timestamp');
        continue;
      }
      timestampMs = Number(tok);
    }

    familyOf(name).samples.push({ name, labels, value, timestampMs });
    samples++;
  }
  return { families, errors, samples };
}

/** Parses `name="value",…}` from just after `{`; returns the index after `}` or -1 (counted). */
function parseLabels(s: string, i: number, end: number, labels: Record<string, string>, fail: (r: ParseErrorReason) => void, reuse: LabelReuse): number {
  for (let k = 0; ; k++) {
    i = skipBlanks(s, i, end);
    if (i >= end) {
      fail('bad_labels');
      return -1;
    }
    if (s.charCodeAt(i) === RBRACE) return i + 1; // `{}` or a trailing comma
    const nStart = i;
    if (!isLabelStart(s.charCodeAt(i))) {
      fail('bad_labels');
      return -1;
    }
    while (i < end && isLabelChar(s.charCodeAt(i))) i++;
    const lname = labelName(reuse.names, s, nStart, i);
    i = skipBlanks(s, i, end);
    if (i >= end || s.charCodeAt(i) !== EQ) {
      fail('bad_labels');
      return -1;
    }
    i = skipBlanks(s, i + 1, end);
    if (i >= end || s.charCodeAt(i) !== QUOTE) {
      fail('bad_labels');
      return -1;
    }
    i++;
    // fast path: no escapes until the closing quote
    let vStart = i;
    const first = i;
    let value = '';
    for (;;) {
      if (i >= end) {
        fail('bad_labels');
        return -1;
      }
      const c = s.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const n = s.charCodeAt(i + 1);
        let rep: string;
        if (n === BACKSLASH) rep = '\\';
        else if (n === QUOTE) rep = '"';
        else if (n === 110) rep = '\n';
        else {
          fail('bad_escape');
          return -1;
        }
        value += s.slice(vStart, i) + rep;
        i += 2;
        vStart = i;
        continue;
      }
      i++;
    }
    // unescaped (the common case): the previous sample's value at this position when it is the same text
    if (vStart === first) value = reuse.values[k] = sliceOr(reuse.values[k], s, first, i);
    else value += s.slice(vStart, i);
    i++;
    if (Object.prototype.hasOwnProperty.call(labels, lname) || lname === '__proto__') {
      fail('duplicate_label');
      return -1;
    }
    labels[lname] = value;
    i = skipBlanks(s, i, end);
    if (i >= end) {
      fail('bad_labels');
      return -1;
    }
    const c = s.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c === RBRACE) return i + 1;
    fail('bad_labels');
    return -1;
  }
}

/** a label name as a string seen before in this scrape when there is one (a handful per scrape) */
function labelName(names: string[], s: string, from: number, to: number): string {
  for (let j = 0; j < names.length; j++) {
    const n = names[j]!;
    if (n.length === to - from && s.startsWith(n, from)) return n;
  }
  const n = s.slice(from, to);
  if (names.length < 64) names.push(n);
  return n;
}
