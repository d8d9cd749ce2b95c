// The one polling wait for tests: a condition that other code makes true in its own time.
import assert from 'node:assert/strict';

const POLL_MS = 25;

/**
 * How long a wait may last before its test fails. Generous on purpose: beside other work (the
 * full suite runs two files at once, other builds share the cores) the server's load and stream
 * workers run at nice 19 and get a sliver of a core, and a first load that takes a third of a
 * second on a quiet machine took over 15 s beside four busy loops. A wait ends as soon as its
 * condition holds, so the margin costs nothing when the machine is quiet; how fast things
 * happen is the benchmarks' business, never a test's.
 */
export const WAIT_MS = 120_000;

/**
 * Polls `check` every 25 ms until it returns true, failing after `ms` with "waiting for `what`"
 * (a function is called only then, for a message that says how things stood at the end).
 * Resolves to the time waited, in milliseconds.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string | (() => string),
): Promise<number> {
  const began = Date.now();
  while (!(await check())) {
    if (Date.now() - began > ms) {
      assert.fail(
        `timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return Date.now() - began;
}
