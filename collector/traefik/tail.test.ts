import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTailer } from './tail.js';

let dir: string;
let file: string;
const tailers: FileTailer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tail-'));
  file = join(dir, 'access.log');
});
afterEach(async () => {
  await Promise.all(tailers.splice(0).map((t) => t.close()));
  rmSync(dir, { recursive: true, force: true });
});
const tailer = (opts: ConstructorParameters<typeof FileTailer>[1] = {}) => {
  const t = new FileTailer(file, opts);
  tailers.push(t);
  return t;
};
const poll = async (t: FileTailer) => {
  const lines: string[] = [];
  const r = await t.poll((l) => lines.push(l));
  return { lines, ...r };
};

describe('FileTailer', () => {
  it('starts at the end of an existing file by default, or at its start when asked', async () => {
    writeFileSync(file, 'old1\nold2\n');
    const t = tailer();
    expect((await poll(t)).lines).toEqual([]);
    appendFileSync(file, 'new1\n');
    expect((await poll(t)).lines).toEqual(['new1']);
    expect((await poll(tailer({ fromStart: true }))).lines).toEqual(['old1', 'old2', 'new1']);
  });

  it('waits for a missing file and reads it from the start when it appears', async () => {
    const t = tailer();
    expect(await poll(t)).toMatchObject({ lines: [], missing: true });
    writeFileSync(file, 'a\nb\n');
    expect((await poll(t)).lines).toEqual(['a', 'b']);
  });

  it('holds a partial last line until its newline, also across a split UTF-8 character and CRLF', async () => {
    const t = tailer();
    await poll(t);
    const euro = Buffer.from('€'); // 3 bytes
    appendFileSync(file, Buffer.concat([Buffer.from('{"x":"'), euro.subarray(0, 1)]));
    expect((await poll(t)).lines).toEqual([]);
    appendFileSync(file, Buffer.concat([euro.subarray(1), Buffer.from('"}\r\nnext')]));
    expect((await poll(t)).lines).toEqual(['{"x":"€"}']);
    appendFileSync(file, '\n');
    expect((await poll(t)).lines).toEqual(['next']);
  });

  it('after a rename rotation reads the rest of the old file, then the new one, each line once', async () => {
    const t = tailer();
    writeFileSync(file, '');
    await poll(t);
    appendFileSync(file, '1\n2\n');
    expect((await poll(t)).lines).toEqual(['1', '2']);
    appendFileSync(file, '3\n4');
    renameSync(file, file + '.1');
    // between the rename and the new file the writer still appends to the old one
    appendFileSync(file + '.1', '\n5\n');
    expect((await poll(t)).lines).toEqual(['3', '4', '5']);
    appendFileSync(file + '.1', '6\n');
    writeFileSync(file, '7\n');
    const r = await poll(t);
    expect(r.rotations).toEqual(['rename']);
    expect(r.lines).toEqual(['6', '7']);
    // the writer had not reopened yet: a late line in the old file is still read (rotateWaitPolls)
    appendFileSync(file + '.1', '6b\n');
    appendFileSync(file, '8\n');
    expect((await poll(t)).lines).toEqual(['6b', '8']);
    await poll(t);
    await poll(t);
    appendFileSync(file, '9\n');
    expect((await poll(t)).lines).toEqual(['9']);
  });

  it('after a truncate rotation starts again at 0 and never re-reads', async () => {
    writeFileSync(file, 'a\nb\n');
    const t = tailer({ fromStart: true });
    expect((await poll(t)).lines).toEqual(['a', 'b']);
    truncateSync(file, 0);
    appendFileSync(file, 'c\n');
    const r = await poll(t);
    expect(r.rotations).toEqual(['truncate']);
    expect(r.lines).toEqual(['c']);
    expect((await poll(t)).lines).toEqual([]);
  });

  it('reads at most maxBytesPerPoll per poll and the rest on the next polls', async () => {
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => `line-${String(i).padStart(3, '0')}`).join('\n') + '\n'); // 9 bytes a line
    const t = tailer({ fromStart: true, maxBytesPerPoll: 200 });
    const all: string[] = [];
    for (let i = 0; i < 5; i++) all.push(...(await poll(t)).lines);
    expect(all).toHaveLength(100);
    expect(all[99]).toBe('line-099');
  });

  it('drops a line longer than maxLineBytes and counts it', async () => {
    writeFileSync(file, 'ok1\n' + 'x'.repeat(300) + '\nok2\n');
    const t = tailer({ fromStart: true, maxLineBytes: 100, maxBytesPerPoll: 64 });
    const lines: string[] = [];
    let tooLong = 0;
    for (let i = 0; i < 10; i++) {
      const r = await poll(t);
      lines.push(...r.lines);
      tooLong += r.tooLong;
    }
    expect(lines).toEqual(['ok1', 'ok2']);
    expect(tooLong).toBe(1);
  });
});
