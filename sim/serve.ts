// Runs a simulated Mesos master as its own process (for benchmarks, the demo and tests that
// must not share an event loop with it). Prints one JSON line {"address","upid"} when ready.
//   node sim/serve.ts [--tasks N] [--agents N] [--port N] [--demo] [--churn N]
// --churn N replaces N tasks before each state request, so every load sees new records.
import { parseArgs } from 'node:util';
import { buildCluster, demoCluster } from './cluster.ts';
import { SimMaster } from './master.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    agents: { type: 'string', default: '100' },
    instances: { type: 'string', default: '5' },
    port: { type: 'string', default: '0' },
    demo: { type: 'boolean', default: false },
    churn: { type: 'string', default: '0' },
  },
});

function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`sim: --${name} must be a whole number, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

const instances = Math.max(1, count('instances', values.instances));
const cluster = values.demo
  ? demoCluster()
  : buildCluster({
      apps: Math.ceil(count('tasks', values.tasks) / instances),
      instancesPerApp: instances,
      agents: count('agents', values.agents),
      discoveryEvery: 4,
      containerIpEvery: 3,
      ipv6Agents: 1,
      stagingEvery: 50,
    });
const master = await SimMaster.start({
  cluster,
  port: count('port', values.port),
  churnPerRequest: count('churn', values.churn),
});
// Serialise once up front so the first request is as fast as the rest.
JSON.stringify(master.state());
process.stdout.write(`${JSON.stringify({ address: master.address, upid: master.upid })}\n`);
const stop = (): void => {
  void master.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
