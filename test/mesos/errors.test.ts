// State errors keep their class, code and fields across the load worker's boundary (a
// structured clone drops both the class and custom fields).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  deserializeStateError,
  MesosStateError,
  NoMasterError,
  serializeStateError,
  StateAuthError,
  StateConnectError,
  StateHttpError,
  StateInvalidError,
  StateNotJsonError,
  StateRedirectError,
  StateTimeoutError,
  StateTlsError,
  StateTooLargeError,
  StateWorkerError,
} from '../../src/mesos/errors.ts';

const acrossThreads = (error: unknown): MesosStateError =>
  deserializeStateError(structuredClone(serializeStateError(error, 'fallback-url')));

it('a redirect keeps its code and the leader it points to', () => {
  const sent = new StateRedirectError('moved', 'http://m1:5050/state', 'm2:5050');
  const got = acrossThreads(sent);
  assert.ok(got instanceof StateRedirectError);
  assert.equal(got.code, 'MESOS_STATE_REDIRECT');
  assert.equal(got.location, 'm2:5050');
  assert.equal(got.url, 'http://m1:5050/state');
  assert.equal(got.message, 'moved');
});

it('every state error comes back as its own class with its own code', () => {
  for (const ErrorClass of [
    StateConnectError,
    StateTlsError,
    StateTimeoutError,
    StateHttpError,
    StateAuthError,
    StateTooLargeError,
    StateNotJsonError,
    StateInvalidError,
    NoMasterError,
    StateWorkerError,
  ]) {
    const sent = new ErrorClass('why', 'http://m:5050/state');
    const got = acrossThreads(sent);
    assert.equal(got.constructor, ErrorClass, ErrorClass.name);
    assert.equal(got.code, sent.code, ErrorClass.name);
    assert.equal(got.url, sent.url);
  }
});

it('anything else arrives as a worker error naming the cause', () => {
  const got = acrossThreads(new TypeError('boom'));
  assert.ok(got instanceof StateWorkerError);
  assert.match(got.message, /unexpected error loading state: boom/);
  assert.equal(got.url, 'fallback-url');
});
