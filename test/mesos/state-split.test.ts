// readState: a /master/state body read with its tasks parsed one at a time gives what parsing
// and validating it whole gives (less the lists nothing reads), and fails with the same error
// and message wherever the body is broken.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCluster } from '../../sim/cluster.ts';
import { MesosStateError, StateNotJsonError } from '../../src/mesos/errors.ts';
import { readState, wholeState } from '../../src/mesos/state-split.ts';
import { validateState } from '../../src/mesos/validate-state.ts';
import { generate } from '../../src/records/generate.ts';
import type { MesosState } from '../../src/state/types.ts';
import { healthPtrOptions } from '../helpers/generate-options.ts';

const URL = 'http://m1:5050/master/state';

function task(id: string, name: string, extra: Record<string, unknown> = {}): unknown {
  return {
    id,
    name,
    framework_id: 'f1',
    slave_id: 'a1',
    state: 'TASK_RUNNING',
    resources: { ports: '[31000-31001]', cpus: 0.1 },
    statuses: [{ state: 'TASK_RUNNING', timestamp: 1.5 }],
    labels: [{ key: 'k', value: '{"x": ["]"]}' }],
    ...extra,
  };
}

function state(frameworks: unknown[]): Record<string, unknown> {
  return {
    version: '1.11.0',
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'a1', hostname: '10.0.0.7', pid: 'slave(1)@10.0.0.7:5051' }],
    frameworks,
    completed_frameworks: [{ id: 'old', name: 'gone', tasks: [task('x', 'y')] }],
    orphan_tasks: [task('o', 'orphan')],
    unregistered_frameworks: [],
  };
}

function framework(id: string, tasks: unknown, extra: Record<string, unknown> = {}): unknown {
  return {
    id,
    name: 'marathon',
    pid: 'scheduler-1@10.0.1.1:40000',
    tasks,
    completed_tasks: [task('done', 'old')],
    unreachable_tasks: [],
    executors: [{ id: 'e' }],
    completed_executors: [],
    offers: [{ id: 'o' }],
    ...extra,
  };
}

/** What the state client did before: the body parsed and validated whole. */
function wholeRead(body: Buffer): MesosState {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StateNotJsonError(
      `${URL} returned a body that is not JSON (${(error as Error).message}); starts with ${JSON.stringify(text.slice(0, 60))}`,
      URL,
    );
  }
  return validateState(parsed, URL);
}

/** The error (code and message) reading `body` gives, or null; the task lists read too. */
function failure(read: () => unknown): { code: string; message: string } | null {
  try {
    read();
    return null;
  } catch (error) {
    assert.ok(error instanceof MesosStateError, String(error));
    return { code: error.code, message: error.message };
  }
}

/** A parsed state `out` without the lists readState leaves empty. */
function withoutUnread(out: Record<string, unknown>): Record<string, unknown> {
  for (const key of ['completed_frameworks', 'orphan_tasks', 'unregistered_frameworks']) {
    if (Array.isArray(out[key])) out[key] = [];
  }
  for (const f of (out['frameworks'] ?? []) as Record<string, unknown>[]) {
    for (const key of [
      'completed_tasks',
      'unreachable_tasks',
      'executors',
      'completed_executors',
      'offers',
    ]) {
      if (Array.isArray(f[key])) f[key] = [];
    }
  }
  return out;
}

const tricky = [
  task('t1', 'web'),
  // Quotes, escapes, brackets and non-ASCII inside strings are not structure.
  task('t2', 'a "quoted" ]} name {[ \\ with \\" and \u00e9\u4e2d\u{1f600}'),
  task('t3\\', '\\', { discovery: { name: '}{', ports: { ports: [{ number: 80, name: '"' }] } } }),
];

describe('readState', () => {
  for (const space of [undefined, 2, '\t']) {
    it(`gives what the whole parse gives (${JSON.stringify(space ?? 'compact')})`, () => {
      const value = state([
        framework('f1', tricky),
        framework('f2', []),
        framework('f3', undefined), // no tasks key
        framework('f4', null),
        framework('f5', [task('t4', 'api')]),
      ]);
      const body = Buffer.from(JSON.stringify(value, null, space));
      const lazy = readState(body, URL);
      assert.deepEqual(
        wholeState(lazy),
        withoutUnread(JSON.parse(body.toString()) as Record<string, unknown>),
      );
    });
  }

  it('leaves each task unparsed until its list is read, and reads a list once', () => {
    const body = Buffer.from(JSON.stringify(state([framework('f1', tricky)])));
    const lazy = readState(body, URL);
    const tasks = lazy.frameworks![0]!.tasks!;
    assert.ok(!Array.isArray(tasks));
    assert.deepEqual([...tasks], tricky);
    assert.throws(() => [...tasks], /only once/);
  });

  it('finds the tasks wherever the keys come, and keeps the last of repeated keys', () => {
    const t = JSON.stringify(task('t1', 'web'));
    const body = `{"frameworks":[{"tasks":[${t}],"name":"m","id":"f1"},{"id":"f2","name":"n","tasks":"x","tasks":[${t}]},{"id":"f3","name":"o","tasks":[${t}],"tasks":null}],"slaves":[],"leader":"master@1.2.3.4:5050"}`;
    const read = wholeState(readState(Buffer.from(body), URL));
    assert.deepEqual(read, JSON.parse(body));
  });

  it('generates the same records as from the whole state', () => {
    const cluster = buildCluster({ apps: 40, discoveryEvery: 3, containerIpEvery: 2 });
    const value = { leader: 'master@10.0.0.1:5050', ...cluster };
    const body = Buffer.from(JSON.stringify(value));
    const options = healthPtrOptions();
    assert.deepEqual(
      generate(readState(body, URL), options),
      generate(JSON.parse(body.toString()) as MesosState, options),
    );
  });

  it('a bad task deep in the list fails as the whole state did, when its list is read', () => {
    const tasks = Array.from({ length: 600 }, (_, i) => task(`t${i}`, 'web'));
    (tasks[500] as Record<string, unknown>)['slave_id'] = 7;
    const value = state([
      framework('f0', []),
      framework('f1', []),
      framework('f2', [task('a', 'b')]),
      framework('f3', tasks),
    ]);
    const body = Buffer.from(JSON.stringify(value));
    const before = failure(() => wholeRead(body));
    assert.deepEqual(before, {
      code: 'MESOS_STATE_INVALID',
      message: `${URL} did not return a Mesos master state: frameworks[3].tasks[500].slave_id: expected a string, got a number. Check that the address is a Mesos master (GET /master/state).`,
    });
    const lazy = readState(body, URL);
    assert.deepEqual(
      failure(() => wholeState(lazy)),
      before,
    );
  });

  const good = JSON.stringify(state([framework('f1', tricky), framework('f2', [task('t9', 'x')])]));
  const bodies: Record<string, string> = {
    HTML: '<html>not a state</html>',
    empty: '',
    whitespace: '  \n',
    'an array': '[1,2]',
    'a string': '"frameworks"',
    null: 'null',
    'a number': '42',
    'no frameworks': '{"hello":"world"}',
    'frameworks not a list': '{"frameworks":{},"slaves":[]}',
    'tasks not a list': '{"frameworks":[{"id":"f","name":"n","tasks":"x"}],"slaves":[]}',
    'tasks an object': '{"frameworks":[{"id":"f","name":"n","tasks":{}}],"slaves":[]}',
    'a task not an object':
      '{"frameworks":[{"id":"f","name":"n","tasks":[{"id":"t","name":"n","slave_id":"a","state":"s"},3]}],"slaves":[]}',
    'a framework not an object': '{"frameworks":[[]],"slaves":[]}',
    'a bad agent': '{"frameworks":[],"slaves":[{"id":1}]}',
    truncated: good.slice(0, -1),
    'truncated in a task': good.slice(0, good.indexOf('t9') + 5),
    'trailing garbage': good + 'x',
    'two values': good + good,
    'a byte-order mark': '\ufeff' + good,
    'broken outside the tasks': good.replace('"version":"1.11.0"', '"version":1.11.0x'),
    'broken in a task': good.replace('"state":"TASK_RUNNING"', '"state":TASK_RUNNING'),
    'broken in the last task': good.replace('"name":"x"', '"name":x'),
    'a trailing comma in a task list': good.replace(']}]', ']},]'),
    'a bad number in a task': good.replace('"cpus":0.1', '"cpus":0.1.2'),
    'a task that is a bare word': good.replace('[{"id":"t9"', '[nul,{"id":"t9"'),
    'an unclosed string': good.replace('"web"', '"web'),
    'a raw newline in a string': good.replace('"web"', '"w\neb"'),
    'a bad escape': good.replace('"web"', '"w\\qeb"'),
    'a control character': good.replace('"web"', '"w\u0001eb"'),
    'a bad escape in a key': good.replace('"frameworks"', '"frame\\works"'),
    'broken in an unread list': good.replace('"completed_tasks":[', '"completed_tasks":[,'),
    'broken in an unread top-level list': good.replace('"orphan_tasks":[{', '"orphan_tasks":[{x'),
    'broken in an unread object': good.replace(
      '"executors":[{"id":"e"}]',
      '"executors":[{"id":"e",}]',
    ),
    'unmatched brackets': good.replace('"labels":[', '"labels":[['),
  };
  for (const [what, text] of Object.entries(bodies)) {
    it(`a body that is ${what}: the same error as the whole parse`, () => {
      const body = Buffer.from(text);
      const before = failure(() => wholeRead(body));
      assert.ok(before !== null, 'the fixture fails');
      assert.deepEqual(
        failure(() => wholeState(readState(body, URL))),
        before,
      );
    });
  }

  it('a valid body with invalid UTF-8 reads as the whole decode does', () => {
    const body = Buffer.concat([
      Buffer.from('{"frameworks":[{"id":"f","name":"n","tasks":[{"id":"t","name":"a'),
      Buffer.from([0xc3, 0xff, 0xe4]),
      Buffer.from('","slave_id":"a","state":"s"}]}],"slaves":[]}'),
    ]);
    assert.deepEqual(wholeState(readState(body, URL)), wholeRead(body));
  });
});
