// The generate() options the record tests share, so each test states only what it changes.
import type { GenerateOptions } from '../../src/records/generate.ts';

/** For test/fixtures/state-cluster.json: its masters, name servers and agent-3's resolved host. */
export function clusterOptions(over: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    domain: 'mesos',
    ipSources: ['netinfo', 'mesos', 'host'],
    enforceRFC952: false,
    srvWeight: 1,
    masters: ['10.0.0.1:5050', '10.0.0.4:5050', '[2001:db8::5]:5050'],
    soaMname: 'ns1.mesos',
    nameserverAddresses: ['10.0.0.53', '2001:db8::53'],
    resolvedHosts: new Map([
      ['agent-3.example.internal', ['10.0.1.13', '2001:db8::13', '10.0.1.99']],
    ]),
    ...over,
  };
}

/** For small hand-built states and simulated clusters (sim/cluster.ts): one master. */
export function simOptions(over: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    domain: 'mesos',
    ipSources: ['netinfo', 'mesos', 'host'],
    enforceRFC952: false,
    srvWeight: 1,
    masters: ['10.0.0.1:5050'],
    soaMname: 'ns1.mesos',
    nameserverAddresses: [],
    ...over,
  };
}

/** simOptions with onlyHealthy and ptr on. */
export function healthPtrOptions(over: Partial<GenerateOptions> = {}): GenerateOptions {
  return simOptions({ onlyHealthy: true, ptr: true, ...over });
}
