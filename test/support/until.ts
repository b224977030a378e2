/**
 * Awaits a condition outside the test's control (a server's state, a process's log line) by
 * polling it — the one helper integration tests share instead of fixed sleeps. `check` returns the
 * value waited for; undefined, null or false mean "not yet", and so does a thrown error (the server
 * may be restarting). On timeout the error names what was awaited, the last error, and what `seen`
 * reports, so a failure says why.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | null | false>,
  seen: () => unknown = () => undefined,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      const state = seen();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${state === undefined ? '' : `; last seen: ${JSON.stringify(state, null, 1)?.slice(0, 4000)}`}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
