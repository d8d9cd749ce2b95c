// The generate() options of every bench that builds a record set itself: those the server gets
// from benchConfig (processes.ts), so query files and measurements see the records it serves.
import type { GenerateOptions } from '../src/records/generate.ts';

export function benchGenerateOptions(over: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    domain: 'mesos',
    ipSources: ['netinfo', 'mesos', 'host'],
    enforceRFC952: false,
    srvWeight: 1,
    masters: ['127.0.0.1:5050'],
    soaMname: 'ns1.mesos',
    nameserverAddresses: ['127.0.0.1'],
    ...over,
  };
}
