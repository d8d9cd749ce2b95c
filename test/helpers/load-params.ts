// Load parameters for tests against simulated masters on loopback.
import type { LoadParams } from '../../src/mesos/reload-protocol.ts';

export function testLoadParams(
  masters: readonly string[],
  overrides: Partial<LoadParams> = {},
): LoadParams {
  return {
    candidates: masters,
    client: { https: false, timeoutMs: 5000, maxBytes: 200_000_000 },
    resolveTimeoutMs: 1000,
    generate: {
      domain: 'mesos',
      ipSources: ['netinfo', 'mesos', 'host'],
      enforceRFC952: false,
      srvWeight: 1,
      masters,
      soaMname: 'ns1.mesos',
      nameserverAddresses: ['127.0.0.1'],
    },
    ...overrides,
  };
}
