/**
 * Follows a log file the way logrotate treats it, without losing or re-reading a line:
 * - by rename (`create` mode): the path gets a new inode. The open handle still reads the old
 *   file, so its rest is read first, and it is kept for `rotateWaitPolls` more polls because the
 *   writer (Traefik until it gets USR1) may still append to it.
 * - by truncate (`copytruncate`): same inode, size below our offset → read again from 0.
 * Positions are byte offsets on an open handle, never re-opened by path, so a rename between two
 * polls cannot make us read a file twice. A last line without its newline waits for it (bytes are
 * kept, not decoded, so a UTF-8 character split across two writes survives).
 *
 * Known limit (of every tailer, tail -F included): with copytruncate, lines written between the
 * copy and the truncate are gone before we can see them, and a truncated file that grew past our
 * offset before the next poll looks like it was never truncated.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';

export interface TailerOptions {
  /** read a file that exists at the first poll from its start (default: from its end) */
  fromStart?: boolean;
  /** bytes read per poll at most; the rest waits for the next poll */
  maxBytesPerPoll?: number;
  /** a line longer than this is dropped (counted) instead of growing memory without bound */
  maxLineBytes?: number;
  /** polls an old file stays open after a rename rotation */
  rotateWaitPolls?: number;
}

export interface TailPoll {
  rotations: ('rename' | 'truncate')[];
  tooLong: number;
  /** the path does not exist (yet, or between a rename and the new file) */
  missing: boolean;
  bytes: number;
}

interface Generation {
  fh: FileHandle;
  ino: number;
  offset: number;
  partial: Buffer | undefined;
  /** dropping the rest of an over-long line */
  skipping: boolean;
  pollsLeft: number;
}

const NL = 10;

export class FileTailer {
  private cur: Generation | undefined;
  private readonly draining: Generation[] = [];
  private polled = false;
  private readonly fromStart: boolean;
  private readonly maxBytes: number;
  private readonly maxLine: number;
  private readonly rotateWait: number;

  constructor(
    readonly path: string,
    opts: TailerOptions = {},
  ) {
    this.fromStart = opts.fromStart ?? false;
    this.maxBytes = opts.maxBytesPerPoll ?? 8 * 2 ** 20;
    this.maxLine = opts.maxLineBytes ?? 2 ** 20;
    this.rotateWait = opts.rotateWaitPolls ?? 2;
  }

  /** byte position in the current file (for tests and diagnostics) */
  get offset(): number | undefined {
    return this.cur?.offset;
  }

  /** Reads what is new; calls `onLine` for every complete line, old file's lines before the new one's. */
  async poll(onLine: (line: string) => void): Promise<TailPoll> {
    const out: TailPoll = { rotations: [], tooLong: 0, missing: false, bytes: 0 };
    const first = !this.polled;
    this.polled = true;
    let budget = this.maxBytes;

    // older generations first, so lines come out in the order they were written
    for (let i = 0; i < this.draining.length; ) {
      const g = this.draining[i]!;
      budget -= await this.readGeneration(g, budget, onLine, out);
      const size = (await g.fh.stat()).size;
      if (g.offset >= size && --g.pollsLeft <= 0) {
        // the writer has moved on: a partial left in the old file is all it will ever get
        if (g.partial && !g.skipping) onLine(trimCr(g.partial.toString('utf8')));
        await g.fh.close().catch(() => undefined);
        this.draining.splice(i, 1);
      } else i++;
    }

    let ino: number | undefined;
    try {
      ino = (await stat(this.path)).ino;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      out.missing = true;
    }

    if (this.cur && ino !== undefined && ino !== this.cur.ino) {
      out.rotations.push('rename');
      const old = this.cur;
      this.cur = undefined;
      budget -= await this.readGeneration(old, budget, onLine, out);
      old.pollsLeft = this.rotateWait;
      this.draining.push(old);
    }
    if (!this.cur && ino !== undefined) {
      const fh = await open(this.path, 'r');
      const st = await fh.stat();
      this.cur = { fh, ino: st.ino, offset: first && !this.fromStart ? st.size : 0, partial: undefined, skipping: false, pollsLeft: 0 };
    }
    if (this.cur) {
      const size = (await this.cur.fh.stat()).size;
      if (size < this.cur.offset) {
        out.rotations.push('truncate');
        this.cur.offset = 0;
        this.cur.partial = undefined;
        this.cur.skipping = false;
      }
      await this.readGeneration(this.cur, budget, onLine, out);
    }
    return out;
  }

  async close(): Promise<void> {
    const all = [...this.draining.splice(0), ...(this.cur ? [this.cur] : [])];
    this.cur = undefined;
    await Promise.all(all.map((g) => g.fh.close().catch(() => undefined)));
  }

  private async readGeneration(g: Generation, budget: number, onLine: (line: string) => void, out: TailPoll): Promise<number> {
    let used = 0;
    while (used < budget) {
      const size = (await g.fh.stat()).size;
      const n = Math.min(budget - used, size - g.offset, 4 * 2 ** 20);
      if (n <= 0) break;
      const buf = Buffer.allocUnsafe(n);
      const { bytesRead } = await g.fh.read(buf, 0, n, g.offset);
      if (bytesRead <= 0) break;
      g.offset += bytesRead;
      used += bytesRead;
      out.bytes += bytesRead;
      this.split(g, buf.subarray(0, bytesRead), onLine, out);
    }
    return used;
  }

  private split(g: Generation, buf: Buffer, onLine: (line: string) => void, out: TailPoll): void {
    let start = 0;
    let nl = buf.indexOf(NL, start);
    while (nl >= 0) {
      if (g.skipping) {
        g.skipping = false;
      } else if (g.partial) {
        onLine(trimCr(Buffer.concat([g.partial, buf.subarray(start, nl)]).toString('utf8')));
      } else {
        onLine(trimCr(buf.toString('utf8', start, nl)));
      }
      g.partial = undefined;
      start = nl + 1;
      nl = buf.indexOf(NL, start);
    }
    if (start < buf.length && !g.skipping) {
      // copy: a subarray would keep the whole read buffer alive
      const rest = Buffer.from(buf.subarray(start));
      g.partial = g.partial ? Buffer.concat([g.partial, rest]) : rest;
      if (g.partial.length > this.maxLine) {
        out.tooLong++;
        g.partial = undefined;
        g.skipping = true;
      }
    }
  }
}

function trimCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}
