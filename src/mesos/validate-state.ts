// Checks that parsed JSON is a Mesos /master/state with the shape record generation relies
// on. Extra fields are ignored; a missing or mistyped required field fails with its path.
import { StateInvalidError } from './errors.ts';
import type { MesosState, MesosTask } from '../state/types.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class ShapeError extends Error {}

function requireString(obj: Json, key: string, path: string): void {
  if (typeof obj[key] !== 'string') {
    throw new ShapeError(`${path}.${key}: expected a string, got ${describe(obj[key])}`);
  }
}

function optionalArray(obj: Json, key: string, path: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new ShapeError(`${path}.${key}: expected an array, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function checkTask(task: unknown, path: string): void {
  if (!isObject(task)) throw new ShapeError(`${path}: expected an object, got ${describe(task)}`);
  requireString(task, 'id', path);
  requireString(task, 'name', path);
  requireString(task, 'slave_id', path);
  requireString(task, 'state', path);
  const statuses = optionalArray(task, 'statuses', path);
  for (let i = 0; i < statuses.length; i++) {
    const status = statuses[i];
    if (!isObject(status)) {
      throw new ShapeError(`${path}.statuses[${i}]: expected an object, got ${describe(status)}`);
    }
  }
  const resources = task['resources'];
  if (resources !== undefined && !isObject(resources)) {
    throw new ShapeError(`${path}.resources: expected an object, got ${describe(resources)}`);
  }
  const discovery = task['discovery'];
  if (discovery !== undefined && !isObject(discovery)) {
    throw new ShapeError(`${path}.discovery: expected an object, got ${describe(discovery)}`);
  }
  optionalArray(task, 'labels', path);
}

function checkShape(value: unknown): void {
  if (!isObject(value)) {
    throw new ShapeError(`expected a JSON object at the top level, got ${describe(value)}`);
  }
  if (!Array.isArray(value['frameworks'])) {
    throw new ShapeError(`frameworks: expected an array, got ${describe(value['frameworks'])}`);
  }
  if (!Array.isArray(value['slaves'])) {
    throw new ShapeError(`slaves: expected an array, got ${describe(value['slaves'])}`);
  }
  if (value['leader'] !== undefined && typeof value['leader'] !== 'string') {
    throw new ShapeError(`leader: expected a string, got ${describe(value['leader'])}`);
  }
  const slaves = value['slaves'] as unknown[];
  for (let i = 0; i < slaves.length; i++) {
    const slave = slaves[i];
    const path = `slaves[${i}]`;
    if (!isObject(slave))
      throw new ShapeError(`${path}: expected an object, got ${describe(slave)}`);
    requireString(slave, 'id', path);
    requireString(slave, 'hostname', path);
  }
  const frameworks = value['frameworks'] as unknown[];
  for (let i = 0; i < frameworks.length; i++) {
    const framework = frameworks[i];
    const path = `frameworks[${i}]`;
    if (!isObject(framework)) {
      throw new ShapeError(`${path}: expected an object, got ${describe(framework)}`);
    }
    requireString(framework, 'id', path);
    requireString(framework, 'name', path);
    const tasks = optionalArray(framework, 'tasks', path);
    for (let j = 0; j < tasks.length; j++) checkTask(tasks[j], `${path}.tasks[${j}]`);
  }
}

/**
 * Returns `value` typed as a MesosState, or throws StateInvalidError naming `url` and the first
 * offending field.
 */
export function validateState(value: unknown, url: string): MesosState {
  checked(() => checkShape(value), url);
  return value as MesosState;
}

/**
 * One task read on its own (mesos/state-split.ts), at `path` ("frameworks[3].tasks[500]"):
 * the same checks and the same message as validateState gives it in a whole state.
 */
export function validateTask(value: unknown, path: string, url: string): MesosTask {
  checked(() => checkTask(value, path), url);
  return value as MesosTask;
}

function checked(check: () => void, url: string): void {
  try {
    check();
  } catch (error) {
    if (error instanceof ShapeError) {
      throw new StateInvalidError(
        `${url} did not return a Mesos master state: ${error.message}. Check that the address is a Mesos master (GET /master/state).`,
        url,
      );
    }
    throw error;
  }
}
