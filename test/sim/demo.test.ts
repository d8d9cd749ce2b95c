// `npm run demo` as a user runs it: the banner names the DNS port and says the server follows
// the event stream; typing m moves a web task, the demo says when the change was served, and
// DNS over UDP answers the new address instead of the old one. Ctrl-C (SIGTERM) ends it cleanly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { decode, encodeQuery } from '../dns/fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';

const DEMO = new URL('../../sim/demo.ts', import.meta.url).pathname;

let child: ChildProcess | null = null;

after(() => {
  if (child !== null && child.exitCode === null) child.kill('SIGKILL');
});

async function webAddresses(port: number): Promise<string[]> {
  const reply = await udpExchange(port, encodeQuery('web.marathon.mesos'));
  return decode(reply)
    .answers.map((a) => ('address' in a ? String(a.address) : ''))
    .sort();
}

it('npm run demo: banner, a moved task served over the event stream, clean stop', async () => {
  const demo = spawn(process.execPath, [DEMO, '--port', '0', '--http-port', '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child = demo;
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: demo.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters) w();
  });
  const waitFor = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find((l) => pattern.test(l));
        if (found === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`demo printed no line matching ${pattern}:\n${lines.join('\n')}`));
      }, 60_000);
      waiters.add(check);
      check();
    });

  const banner = await waitFor(/DNS on 127\.0\.0\.1:\d+/);
  const port = Number(/DNS on 127\.0\.0\.1:(\d+)/.exec(banner)![1]);
  await waitFor(/Press Ctrl-C to stop/);
  assert.ok(
    lines.some((l) => l.includes("follows the master's event stream")),
    'the banner says the server follows the event stream',
  );
  assert.ok(
    lines.some((l) => l.includes('watch -n') && l.includes(`-p ${port}`)),
    'the banner prints the watch command for this port',
  );

  const before = await webAddresses(port);
  assert.deepEqual(before, ['172.17.0.2', '172.17.0.3', '172.17.0.4']);

  demo.stdin.write('m\n');
  const moved = await waitFor(/^moved a web task: .* started 172\.17\.0\.10 /);
  assert.match(moved, /port 31010 on agent 10\.0\.2\.\d/);
  await waitFor(/served \d+ ms later: the server follows the master's event stream/);
  // The first web task (172.17.0.2) was the one moved.
  assert.deepEqual(await webAddresses(port), ['172.17.0.10', '172.17.0.3', '172.17.0.4']);

  demo.stdin.write('what\n');
  await waitFor(/^type m \(move a web task\)/);

  const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
  demo.kill('SIGTERM');
  assert.equal(await exited, 0);
});
