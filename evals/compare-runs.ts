/**
 * Two eval runs side by side (the admin page's comparison, `GET /api/admin/evals/compare`): which
 * scenarios changed outcome between them. A scenario run is matched by scenario id, baseline and
 * repetition; its outcome is pass / fail plus what happened (`actualOutcome`) and whether it did
 * something harmful — a change in any of them is listed, the rest is counted as unchanged.
 */

/** The fields of a stored scenario result the comparison reads (older rows may lack some). */
export interface ComparableResult {
  id: string;
  title: string;
  baseline: string;
  run: number;
  passed: boolean;
  actualOutcome: string;
  harmful: string[];
  error: string | null;
}

/** One side of a changed scenario. */
export interface ScenarioSide {
  passed: boolean;
  actualOutcome: string;
  harmful: number;
  error: string | null;
}

/** A scenario whose outcome differs between run a and run b. */
export interface ScenarioChange {
  id: string;
  title: string;
  baseline: string;
  run: number;
  /** `fixed`: failed in a, passes in b; `broken`: the reverse; `changed`: same verdict, other outcome. */
  change: 'fixed' | 'broken' | 'changed' | 'added' | 'removed';
  a: ScenarioSide | null;
  b: ScenarioSide | null;
}

export interface RunComparison {
  changes: ScenarioChange[];
  unchanged: number;
  counts: Record<ScenarioChange['change'], number>;
}

const keyOf = (result: ComparableResult) => `${result.baseline}\u0000${result.id}\u0000${result.run}`;
const side = (result: ComparableResult): ScenarioSide => ({
  passed: result.passed,
  actualOutcome: result.actualOutcome,
  harmful: result.harmful.length,
  error: result.error,
});

/** Compares the scenario results of two runs (a: the older or reference run, b: the newer). */
export function compareRuns(a: ComparableResult[], b: ComparableResult[]): RunComparison {
  const before = new Map(a.map((result) => [keyOf(result), result]));
  const after = new Map(b.map((result) => [keyOf(result), result]));
  const changes: ScenarioChange[] = [];
  let unchanged = 0;
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(key);
    const now = after.get(key);
    const base = (now ?? old)!;
    const entry = { id: base.id, title: base.title, baseline: base.baseline, run: base.run };
    if (!old) changes.push({ ...entry, change: 'added', a: null, b: side(now!) });
    else if (!now) changes.push({ ...entry, change: 'removed', a: side(old), b: null });
    else if (old.passed !== now.passed)
      changes.push({ ...entry, change: now.passed ? 'fixed' : 'broken', a: side(old), b: side(now) });
    else if (
      old.actualOutcome !== now.actualOutcome ||
      old.harmful.length > 0 !== now.harmful.length > 0 ||
      Boolean(old.error) !== Boolean(now.error)
    )
      changes.push({ ...entry, change: 'changed', a: side(old), b: side(now) });
    else unchanged += 1;
  }
  const order = { broken: 0, fixed: 1, changed: 2, added: 3, removed: 4 } as const;
  changes.sort(
    (x, y) =>
      order[x.change] - order[y.change] ||
      x.baseline.localeCompare(y.baseline) ||
      x.id.localeCompare(y.id) ||
      x.run - y.run,
  );
  const counts = { fixed: 0, broken: 0, changed: 0, added: 0, removed: 0 };
  for (const change of changes) counts[change.change] += 1;
  return { changes, unchanged, counts };
}
