// -v=2 logs one line per query (name, type, outcome); below that level, none.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { QueryHandler } from '../../src/dns/handler.ts';
import { nullObserver } from '../../src/dns/observer.ts';
import { createLogger } from '../../src/log.ts';
import { encodeQuery, sampleSet, storeWith, testConfig } from './fixtures.ts';

function handlerLogging(verbose: number) {
  const lines: { msg?: string; name?: string; outcome?: string; transport?: string }[] = [];
  const logger = createLogger(verbose, {
    write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]),
  });
  const handler = new QueryHandler({
    config: testConfig({ externalon: false }),
    store: storeWith(sampleSet()),
    forwarder: null,
    observer: nullObserver,
    logger,
  });
  return { handler, lines };
}

it('-v=2 writes a line per query, answered or refused', () => {
  const { handler, lines } = handlerLogging(2);
  try {
    handler.handle(encodeQuery('web.marathon.mesos'), 'udp');
    handler.handle(encodeQuery('nothere.mesos'), 'tcp');
    handler.handle(encodeQuery('example.org'), 'udp');
    const queries = lines.filter((l) => l.msg === 'query');
    assert.deepEqual(
      queries.map((l) => [l.name, l.outcome, l.transport]),
      [
        ['web.marathon.mesos.', 'authoritative', 'udp'],
        ['nothere.mesos.', 'nxdomain', 'tcp'],
        ['example.org.', 'refused', 'udp'],
      ],
    );
  } finally {
    handler.close();
  }
});

it('-v=1 and below write no per-query lines', () => {
  const { handler, lines } = handlerLogging(1);
  try {
    handler.handle(encodeQuery('web.marathon.mesos'), 'udp');
    assert.equal(lines.filter((l) => l.msg === 'query').length, 0);
  } finally {
    handler.close();
  }
});
