// The one polling wait for tests: a condition that other code makes true in its own time.
import assert from 'node:assert/strict';

const POLL_MS = 25;

/**
 * Polls `check` every 25 ms until it returns true, failing after `ms` with "waiting for `what`".
 * Resolves to the time waited, in milliseconds.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<number> {
  const began = Date.now();
  while (!(await check())) {
    if (Date.now() - began > ms) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return Date.now() - began;
}
