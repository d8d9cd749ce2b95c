// Throwaway benchmark target: `node bench/dns-fastpath.ts dns|echo` serves on 127.0.0.1 and prints
// the port; drive it with dnsperf (loopback only). "dns" loads ~10,000 tasks; "echo" is the baseline.
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { DnsServer } from '../src/dns/server.ts';
import { nullObserver } from '../src/dns/observer.ts';
import { silentLogger } from '../src/log.ts';
import { makeSet, srv, storeWith, testConfig } from '../test/dns/fixtures.ts';
import type { SrvRecord } from '../src/records/recordset.ts';

const mode = process.argv[2] ?? 'dns';
if (mode === 'echo') {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, r) => sock.send(msg, r.port, r.address));
  sock.bind(0, '127.0.0.1', () => console.log(sock.address().port));
} else {
  const a: Record<string, string[]> = {};
  const srvs: Record<string, SrvRecord[]> = {};
  const aLines: string[] = [];
  const srvLines: string[] = [];
  for (let app = 0; app < 1000; app++) {
    const addrs: string[] = [];
    const list: SrvRecord[] = [];
    for (let t = 0; t < 10; t++) {
      const ip = `10.${app >> 8}.${app & 255}.${t + 1}`;
      a[`app${app}-${t}.marathon.slave.mesos.`] = [ip];
      addrs.push(ip);
      list.push(srv(`app${app}-${t}.marathon.slave.mesos.`, 31000 + t));
    }
    a[`app${app}.marathon.mesos.`] = addrs;
    srvs[`_app${app}._tcp.marathon.mesos.`] = list;
    aLines.push(`app${app}.marathon.mesos A`);
    srvLines.push(`_app${app}._tcp.marathon.mesos SRV`);
  }
  writeFileSync('/tmp/bench-a.txt', aLines.join('\n') + '\n');
  writeFileSync('/tmp/bench-srv.txt', srvLines.join('\n') + '\n');
  const server = new DnsServer({
    config: testConfig({ listener: '127.0.0.1', port: 0 }),
    store: storeWith(makeSet({ a, srv: srvs })),
    forwarder: null,
    observer: nullObserver,
    logger: silentLogger(),
  });
  const { udp } = await server.listen();
  console.log(udp.port);
}
