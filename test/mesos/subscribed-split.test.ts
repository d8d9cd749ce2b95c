// splitSubscribed: a SUBSCRIBED record read as the rest of it plus its tasks one by one gives
// what JSON.parse of the whole record gives (less the lists generation never reads).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitSubscribed } from '../../src/mesos/subscribed-split.ts';
import type { V1Task } from '../../src/state/v1-types.ts';

function task(id: string, name: string): Record<string, unknown> {
  return {
    name,
    task_id: { value: id },
    framework_id: { value: 'f1' },
    agent_id: { value: 'a1' },
    state: 'TASK_RUNNING',
    resources: [{ name: 'ports', ranges: { range: [{ begin: 31000, end: 31001 }] } }],
    statuses: [{ state: 'TASK_RUNNING', timestamp: 1.5, healthy: true }],
    labels: { labels: [{ key: 'k', value: 'x' }] },
  };
}

function record(tasks: unknown[]): Record<string, unknown> {
  return {
    type: 'SUBSCRIBED',
    subscribed: {
      get_state: {
        get_tasks: { tasks, completed_tasks: [task('done', 'old')], unreachable_tasks: [] },
        get_executors: { executors: [{ executor_info: { name: 'e' } }] },
        get_frameworks: { frameworks: [{ framework_info: { id: { value: 'f1' }, name: 'm' } }] },
        get_agents: { agents: [{ agent_info: { id: { value: 'a1' }, hostname: 'h' } }] },
      },
      heartbeat_interval_seconds: 15,
    },
  };
}

function bytes(value: unknown, space?: number): Buffer {
  return Buffer.from(JSON.stringify(value, null, space));
}

describe('splitSubscribed', () => {
  const tasks = [
    task('t1', 'web'),
    // Quotes, escapes, brackets and non-ASCII inside strings are not structure.
    task('t2', 'a "quoted" ]} name {[ \\ with \\" and \u00e9\u4e2d'),
    task('t3\\', '\\'),
  ];

  for (const space of [undefined, 2]) {
    it(`gives the record's parts as JSON.parse would (${space === undefined ? 'compact' : 'indented'})`, () => {
      const whole = record(tasks);
      const split = splitSubscribed(bytes(whole, space));
      assert.ok(split !== null);
      const parsed = [...split.tasks] as V1Task[];
      assert.deepEqual(parsed, tasks);
      const state = split.event.subscribed!.get_state!;
      assert.deepEqual(state.get_tasks, { tasks: [], completed_tasks: [], unreachable_tasks: [] });
      assert.deepEqual(state.get_executors, {});
      assert.deepEqual(state.get_frameworks, {
        frameworks: [{ framework_info: { id: { value: 'f1' }, name: 'm' } }],
      });
      assert.equal(split.event.subscribed!.heartbeat_interval_seconds, 15);
      assert.equal(split.event.type, 'SUBSCRIBED');
    });
  }

  it('finds the tasks wherever the keys come', () => {
    const text = `{"subscribed":{"heartbeat_interval_seconds":15,"get_state":{"get_agents":{"agents":[]},"get_tasks":{"tasks":[${JSON.stringify(tasks[0])}]}}},"type":"SUBSCRIBED"}`;
    const split = splitSubscribed(Buffer.from(text));
    assert.ok(split !== null);
    assert.equal(split.tasks.length, 1);
    assert.deepEqual([...split.tasks], [tasks[0]]);
  });

  it('an empty tasks list', () => {
    const split = splitSubscribed(bytes(record([])));
    assert.ok(split !== null);
    assert.deepEqual([...split.tasks], []);
  });

  it('gives null for other records and for anything malformed', () => {
    assert.equal(splitSubscribed(bytes({ type: 'HEARTBEAT' })), null);
    assert.equal(
      splitSubscribed(bytes({ type: 'TASK_ADDED', task_added: { task: tasks[0] } })),
      null,
    );
    assert.equal(splitSubscribed(Buffer.from('[1,2]')), null);
    assert.equal(splitSubscribed(Buffer.from('not json')), null);
    const good = bytes(record(tasks)).toString();
    assert.equal(splitSubscribed(Buffer.from(good.slice(0, -1))), null);
    assert.equal(splitSubscribed(Buffer.from(good + 'x')), null);
    // A broken key or value outside the tasks: the rest does not parse.
    assert.equal(
      splitSubscribed(
        Buffer.from(
          good.replace('"heartbeat_interval_seconds":15', '"heartbeat_interval_seconds":1 5'),
        ),
      ),
      null,
    );
  });

  it('a task that is not JSON throws when it is reached', () => {
    const good = bytes(record(tasks)).toString();
    const broken = good.replace('"state":"TASK_RUNNING"', '"state":TASK_RUNNING');
    const split = splitSubscribed(Buffer.from(broken));
    assert.ok(split !== null);
    assert.throws(() => [...split.tasks], SyntaxError);
  });
});
