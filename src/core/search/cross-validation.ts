/**
 * Grouped k-fold cross-validation: every tuned setting is chosen on the other folds and measured on the
 * held-out one, so the reported figure never saw the queries it is measured on. Groups (applications)
 * are never split: claims of one application share cited paragraphs, and a setting chosen on some of
 * them would be judged on their siblings.
 */
import { seededRandom } from './metrics';

export interface CrossValidationOptions {
  /** Number of folds (default 5; fewer when there are fewer groups). */
  folds?: number;
  seed?: number;
}

export interface CrossValidationResult<C, T> {
  /** Per fold: its query indices and the candidate chosen on the other folds. */
  folds: { queries: number[]; chosen: C; chosenIndex: number }[];
  /** Per query (same order as `groups`): its outcome under the candidate chosen without its fold. */
  outOfFold: T[];
  /** The candidate the same rule chooses on every query: the setting to use. */
  chosenOnAll: C;
}

/**
 * Assigns each group to one of `folds` folds: groups in seeded random order, each to the fold with the
 * fewest queries so far, so folds have similar sizes. Returns the fold of every query.
 */
export function groupedFolds(groups: readonly string[], options: CrossValidationOptions = {}): number[] {
  const size = new Map<string, number>();
  for (const group of groups) size.set(group, (size.get(group) ?? 0) + 1);
  const names = [...size.keys()].sort();
  const random = seededRandom(options.seed ?? 1);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [names[i], names[j]] = [names[j] as string, names[i] as string];
  }
  const k = Math.max(1, Math.min(options.folds ?? 5, names.length));
  const load = new Array<number>(k).fill(0);
  const foldOf = new Map<string, number>();
  for (const name of names) {
    const fold = load.indexOf(Math.min(...load));
    foldOf.set(name, fold);
    load[fold] = (load[fold] ?? 0) + (size.get(name) ?? 0);
  }
  return groups.map((group) => foldOf.get(group) ?? 0);
}

/**
 * `evaluate(candidate)` gives one outcome per query (e.g. its ranking); `objective(outcomes)` scores
 * a list of outcomes (e.g. MRR@10), higher is better. For each fold the candidate with the best
 * objective on the other folds is chosen (ties: the earlier candidate, so list the simplest first), and
 * the fold's queries keep their outcomes under it. The same rule applied to all queries gives
 * `chosenOnAll`.
 */
export function crossValidate<C, T>(
  groups: readonly string[],
  candidates: readonly C[],
  evaluate: (candidate: C) => readonly T[],
  objective: (outcomes: readonly T[]) => number,
  options: CrossValidationOptions = {},
): CrossValidationResult<C, T> {
  if (candidates.length === 0) throw new Error('crossValidate needs at least one candidate');
  const outcomes = candidates.map((candidate) => evaluate(candidate));
  const foldOfQuery = groupedFolds(groups, options);
  const k = Math.max(0, ...foldOfQuery) + 1;
  /** The candidate with the best objective on `queries` (ties: the earlier); none to train on: the first. */
  const choose = (queries: readonly number[]): number => {
    let chosenIndex = 0;
    let best = -Infinity;
    if (queries.length === 0) return chosenIndex;
    outcomes.forEach((perQuery, c) => {
      const score = objective(queries.map((q) => perQuery[q] as T));
      if (score > best) {
        best = score;
        chosenIndex = c;
      }
    });
    return chosenIndex;
  };
  const outOfFold = new Array<T>(groups.length);
  const folds: CrossValidationResult<C, T>['folds'] = [];
  for (let fold = 0; fold < k; fold++) {
    const held = groups.map((_, q) => q).filter((q) => foldOfQuery[q] === fold);
    // With a single fold there is nothing to train on: the first candidate stands.
    const chosenIndex = choose(groups.map((_, q) => q).filter((q) => foldOfQuery[q] !== fold));
    for (const q of held) outOfFold[q] = (outcomes[chosenIndex] as readonly T[])[q] as T;
    folds.push({ queries: held, chosen: candidates[chosenIndex] as C, chosenIndex });
  }
  return { folds, outOfFold, chosenOnAll: candidates[choose(groups.map((_, q) => q))] as C };
}
