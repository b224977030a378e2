import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLoop } from './loop.js';
import { createMemoryLogger } from './log.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('createLoop', () => {
  it('a failing tick is logged and counted, and the next tick still runs', async () => {
    vi.useFakeTimers();
    const logger = createMemoryLogger();
    const errors: unknown[] = [];
    let n = 0;
    const loop = createLoop({
      name: 'demo',
      intervalMs: 1000,
      logger,
      onError: (e) => errors.push(e),
      tick: async () => {
        n++;
        if (n === 1) throw new Error('source down');
      },
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(3000);
    await loop.stop();
    expect(n).toBe(3);
    expect(errors).toHaveLength(1);
    expect(logger.lines.join('\n')).toContain('demo tick failed error="source down"');
  });

  it('a tick still running makes the next firing skip instead of stacking', async () => {
    vi.useFakeTimers();
    let running = 0;
    let maxRunning = 0;
    let skips = 0;
    const loop = createLoop({
      name: 'slow',
      intervalMs: 1000,
      logger: createMemoryLogger(),
      onSkip: () => skips++,
      tick: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 2500));
        running--;
      },
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(6000);
    const stopped = loop.stop();
    await vi.advanceTimersByTimeAsync(3000); // let the tick in flight finish
    await stopped;
    expect(maxRunning).toBe(1);
    expect(skips).toBeGreaterThanOrEqual(2);
  });

  it('stop() waits for the tick in flight; runOnce() runs one now', async () => {
    const order: string[] = [];
    const loop = createLoop({
      name: 'x',
      intervalMs: 60_000,
      logger: createMemoryLogger(),
      immediate: true,
      tick: async () => {
        order.push('tick-start');
        await Promise.resolve();
        order.push('tick-end');
      },
    });
    loop.start();
    await loop.stop();
    order.push('stopped');
    await loop.runOnce();
    expect(order).toEqual(['tick-start', 'tick-end', 'stopped', 'tick-start', 'tick-end']);
    expect(loop.running).toBe(false);
  });
});
