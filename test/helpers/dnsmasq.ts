// Test helper: a real dnsmasq on a free loopback port, authoritative for a small test zone, so
// forwarding tests talk to a real upstream. Nothing is cached or forwarded beyond it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { WAIT_MS } from './wait.ts';

export const DNSMASQ_PATH = '/usr/sbin/dnsmasq';

/** TTL dnsmasq gives every authoritative record, the SOA's MINIMUM included. */
export const ZONE_TTL = 600;

export interface Dnsmasq {
  readonly address: string;
  readonly port: number;
  /** "127.0.0.1:port", as a resolver string. */
  readonly resolver: string;
  /** Stops dnsmasq and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** A port free for both UDP and TCP on loopback right now (the OS picks it). */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, address, () => {
        const bound = server.address();
        server.close(() => {
          if (bound && typeof bound === 'object') resolve(bound.port);
          else reject(new Error('no port'));
        });
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, address, () => {
        socket.close(() => resolve(true));
      });
    });
    if (udpFree) return port;
  }
  throw new Error(`no free UDP+TCP port found on ${address}`);
}

/** A TXT value of `length` characters, distinct per index. */
function filler(index: number, length: number): string {
  return `t${index}-`.padEnd(length, String.fromCharCode(97 + (index % 26)));
}

/**
 * dnsmasq options for an authoritative test zone `zone`:
 *   a.<zone>     A 10.1.2.3, AAAA fd00::1
 *   c.<zone>     CNAME a.<zone>
 *   <zone>       MX 10 mail.<zone>
 *   txt.<zone>   TXT "hello world"
 *   big.<zone>   TXT x 6 of ~200 bytes each (over 512 bytes: TC over plain UDP)
 *   _http._tcp.<zone> SRV 0 0 80 a.<zone>
 * Unknown names in the zone get NXDOMAIN with the zone's SOA; names outside it get REFUSED.
 */
export function testZoneArgs(zone: string, address = '10.1.2.3'): string[] {
  const args = [
    `--auth-server=ns.${zone},127.0.0.1`,
    `--auth-zone=${zone}`,
    `--auth-soa=1,hostmaster.${zone},1200,120,1209600`,
    `--auth-ttl=${ZONE_TTL}`,
    `--host-record=a.${zone},${address},fd00::1`,
    `--cname=c.${zone},a.${zone}`,
    `--mx-host=${zone},mail.${zone},10`,
    `--txt-record=txt.${zone},"hello world"`,
    `--srv-host=_http._tcp.${zone},a.${zone},80,0,0`,
  ];
  for (let i = 0; i < 6; i++) args.push(`--txt-record=big.${zone},"${filler(i, 200)}"`);
  return args;
}

async function waitForAnswer(
  port: number,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  // A bare query for the root's SOA: any reply at all means dnsmasq is listening.
  const probe = Uint8Array.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]);
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`dnsmasq exited with code ${child.exitCode}: ${stderr()}`);
    }
    const answered = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      const timer = setTimeout(() => {
        socket.close();
        resolve(false);
      }, 200);
      socket.on('error', () => {
        clearTimeout(timer);
        socket.close();
        resolve(false);
      });
      socket.on('message', () => {
        clearTimeout(timer);
        socket.close();
        resolve(true);
      });
      socket.send(probe, port, '127.0.0.1');
    });
    if (answered) return;
  }
  throw new Error(`dnsmasq did not answer on 127.0.0.1:${port} within 10 s: ${stderr()}`);
}

/** Starts dnsmasq on 127.0.0.1:<free port> with `extraArgs` (e.g. testZoneArgs("example.test")). */
export async function startDnsmasq(extraArgs: readonly string[]): Promise<Dnsmasq> {
  const port = await freePort();
  const args = [
    '--keep-in-foreground',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--conf-file=/dev/null',
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    `--port=${port}`,
    '--pid-file=',
    '--log-facility=-',
    ...(process.getuid?.() === 0 ? ['--user=root', '--group=root'] : []),
    ...extraArgs,
  ];
  const child = spawn(DNSMASQ_PATH, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errText = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (errText.length < 4000) errText += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      errText += String(err);
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // Belt and braces: never leave a dnsmasq behind if the test process dies first.
  const onExit = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  try {
    await waitForAnswer(port, child, () => errText);
  } catch (err) {
    await stop();
    process.removeListener('exit', onExit);
    throw err;
  }
  return {
    address: '127.0.0.1',
    port,
    resolver: `127.0.0.1:${port}`,
    async stop() {
      await stop();
      process.removeListener('exit', onExit);
    },
  };
}
