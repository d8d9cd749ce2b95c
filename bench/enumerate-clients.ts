// The readers of the abuse benchmark's /v1/enumerate case, in their own process so the
// benchmark can run them at nice 19: reading gigabytes must not take CPU from the DNS load
// generator beside them (its latencies would be its own delays, not the server's).
//   node bench/enumerate-clients.ts --port N --clients 100 --duration 20
// Each client asks again as soon as it has read a body, until the duration ends; clients come
// from 127.0.0.10-19, as separate hosts would (one address may hold httpMaxConnectionsPerSource).
// Prints one JSON line (EnumerateClientsReport) when every client has stopped. Loopback only.
import http from 'node:http';
import { parseArgs } from 'node:util';

export interface EnumerateClientsReport {
  readonly responses: Readonly<Record<string, number>>;
  /** The first few failed requests' errors. */
  readonly errors: readonly string[];
  readonly everyClientServed: boolean;
  readonly bodyBytes: number;
  readonly bodiesRead: number;
}

function getEnumerate(
  port: number,
  from: string,
): Promise<{ status: number; bytes: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/v1/enumerate', agent: false, localAddress: from },
      (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', (e) => resolve({ status: -1, bytes, error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ status: -1, bytes: 0, error: e.message }));
    req.setTimeout(120_000, () => req.destroy());
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      clients: { type: 'string', default: '100' },
      duration: { type: 'string', default: '20' },
    },
  });
  const port = Number(values.port);
  const clients = Number(values.clients);
  const durationS = Number(values.duration);
  if (!(port > 0) || !(clients > 0) || !(durationS > 0)) {
    process.stderr.write('enumerate-clients: --port, --clients and --duration must be above 0\n');
    process.exit(2);
  }
  const responses: Record<string, number> = {};
  const errors: string[] = [];
  const served = new Array<boolean>(clients).fill(false);
  let bodyBytes = 0;
  let bodiesRead = 0;
  const until = Date.now() + durationS * 1000;
  const client = async (i: number) => {
    while (Date.now() < until) {
      const r = await getEnumerate(port, `127.0.0.${10 + (i % 10)}`);
      responses[String(r.status)] = (responses[String(r.status)] ?? 0) + 1;
      if (r.error !== undefined && errors.length < 5) {
        errors.push(`${r.error} after ${r.bytes} bytes`);
      }
      if (r.status === 200) {
        served[i] = true;
        bodiesRead++;
        bodyBytes = r.bytes;
      } else {
        await new Promise((res) => setTimeout(res, 1000)); // Retry-After: 1
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  const report: EnumerateClientsReport = {
    responses,
    errors,
    everyClientServed: served.every(Boolean),
    bodyBytes,
    bodiesRead,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `enumerate-clients: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
