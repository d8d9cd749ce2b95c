// A generator module for load-worker tests: the real generate, except that the domain "crash"
// kills the worker thread mid-round, as a fatal bug in generation would.
import type { GenerateOptions } from '../../src/records/generate.ts';
import { generate as realGenerate } from '../../src/records/generate.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import type { MesosState } from '../../src/state/types.ts';

export function generate(state: MesosState, options: GenerateOptions): RecordSet {
  if (options.domain === 'crash') process.exit(7);
  return realGenerate(state, options);
}
