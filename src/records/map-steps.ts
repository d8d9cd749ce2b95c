// How one version of a record map was made from another: the names it may differ in. A set
// built from a delta (overlay-map.ts) differs from the set it was laid over only in the delta's
// names, and a whole set sent with the names that changed (transfer/channel.ts) only in those;
// comparing two versions then costs those names, not the map (transfer/record-transfer.ts,
// mapDelta: the IXFR journal's diffs, the DNS threads' deltas). Kept beside the maps, not in
// them: weakly, so a step never keeps the version before it (or a chain of them) alive.

interface Step {
  readonly from: WeakRef<object>;
  readonly names: readonly string[];
}

const steps = new WeakMap<object, Step>();

/** Notes that `after` holds what `before` holds except, at most, for `names`. */
export function noteStep(
  after: ReadonlyMap<string, unknown>,
  before: ReadonlyMap<string, unknown>,
  names: readonly string[],
): void {
  steps.set(after, { from: new WeakRef(before), names });
}

/** The names `after` may differ in from `before`, when `after` was noted as made from it. */
export function stepNames(
  before: ReadonlyMap<string, unknown>,
  after: ReadonlyMap<string, unknown>,
): readonly string[] | null {
  const step = steps.get(after);
  return step !== undefined && step.from.deref() === before ? step.names : null;
}
