/**
 * Errors raised by tfjs-optvis. Messages follow one form:
 * `Error in <function>: <argument> must be <expectation>, but got <actual>.` plus a fix when known.
 * `fn` is the public path of the function called: `'<namespace>.<function>'` (`'param.image'`,
 * `'render.visSession'`), a root export's name (`'Rng'`, `'stopGradient'`), or a method's
 * (`'Objective.sum'`). Argument checks live in one module (`src/validate.ts`).
 *
 * @example
 * ```ts
 * try {
 *   param.image(0);
 * } catch (e) {
 *   if (e instanceof OptvisError) console.error(e.fn, e.message); // 'param.image', 'Error in param.image: w must be ...'
 * }
 * ```
 */
export class OptvisError extends Error {
  /** The public function that rejected its input, e.g. `'param.fftImage'` or `'render.visSession'`. */
  readonly fn: string;
  constructor(fn: string, message: string) {
    super(`Error in ${fn}: ${message}`);
    this.name = 'OptvisError';
    this.fn = fn;
  }
}

/** Throws an {@link OptvisError} for `fn` with `message`. */
export function fail(fn: string, message: string): never {
  throw new OptvisError(fn, message);
}

/** Formats a value for an error message (strings quoted, arrays bracketed, NaN spelled out). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.prototype.toString.call(value);
  return String(value);
}

// The primitive checks below are re-exported by src/validate.ts, the one import point for
// argument checks; they stay here only while modules not yet migrated import them from this file.

/** Asserts `value` is a finite number > 0 (an integer when `integer`). */
export function checkPositive(fn: string, name: string, value: unknown, integer = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    fail(fn, `${name} must be a positive ${integer ? 'integer' : 'number'}, but got ${show(value)}.`);
  }
  return value;
}

/** Asserts `value` is a finite number >= 0. */
export function checkNonNegative(fn: string, name: string, value: unknown, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    fail(fn, `${name} must be a non-negative ${integer ? 'integer' : 'number'}, but got ${show(value)}.`);
  }
  return value;
}

/** Asserts `value` is one of `allowed`. */
export function checkOneOf<T extends string>(fn: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(fn, `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, but got ${show(value)}.`);
  }
  return value as T;
}

/** Levenshtein edit distance between two strings. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * The candidates closest to `name` (by edit distance, substrings first), at most `count` of them.
 * Used for "Did you mean ...?" hints on unknown layer names.
 */
export function closestNames(name: string, candidates: readonly string[], count = 3): string[] {
  const lower = name.toLowerCase();
  return candidates
    .map((c) => {
      const cl = c.toLowerCase();
      const contains = cl.includes(lower) || lower.includes(cl);
      return { c, d: editDistance(lower, cl) - (contains ? 1000 : 0) };
    })
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, count)
    .map((x) => x.c);
}

/** `Did you mean 'a', 'b' or 'c'?` for the closest candidates, or '' when there are none. */
export function didYouMean(name: string, candidates: readonly string[], count = 3): string {
  const close = closestNames(name, candidates, count);
  if (close.length === 0) return '';
  const quoted = close.map((c) => `'${c}'`);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  return ` Did you mean ${list}?`;
}

/**
 * Asserts `value` is a live tfjs tensor (of rank `rank` when given). Uses duck typing on
 * `shape`/`dataId` so that tensors from another copy of tfjs-core are accepted too.
 */
export function checkTensor(fn: string, name: string, value: unknown, rank?: number): void {
  const t = value as { shape?: unknown; dataId?: unknown; isDisposed?: boolean; rank?: number } | null;
  const isTensor = typeof t === 'object' && t !== null && Array.isArray(t.shape) && t.dataId !== undefined;
  if (!isTensor) fail(fn, `${name} must be a tf.Tensor${rank === undefined ? '' : ` of rank ${rank}`}, but got ${show(value)}.`);
  if (t.isDisposed) fail(fn, `${name} must be a live tf.Tensor, but got a disposed tensor.`);
  if (rank !== undefined && t.rank !== rank) {
    fail(fn, `${name} must be a tf.Tensor of rank ${rank}, but got rank ${String(t.rank)} (shape ${show(t.shape)}).`);
  }
}
