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
