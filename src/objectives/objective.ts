import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';

/**
 * Looks up a tensor by name during a step: a model layer's activation, or `'input'` for the image
 * the parameterization produced (before transforms, as Lucid's `T("input")`).
 * Tensors returned by a lookup are owned by the step: objectives must not dispose them.
 */
export type Lookup = ((name: string) => tf.Tensor) & {
  /** Class names of the model's output layer, when the model declares them. */
  readonly labels?: readonly string[];
  /** Number of optimization updates done before this evaluation (0 on the first step). */
  readonly step?: number;
};

/** What an objective function returns: a scalar (or any tensor, which is summed). */
export type ObjectiveFn = (T: Lookup) => tf.Tensor;

/** The name `'input'`: the parameterization's image, not a model layer. */
export const INPUT = 'input';

/**
 * Something to maximise: a function of the model's activations with a description and the list
 * of layers it needs.
 *
 * Objectives are immutable; arithmetic returns new objectives whose descriptions read like
 * Lucid's (`Sum(Channel [mixed4a, 97], -0.05 * L1 [input])`). Numbers work wherever objectives do.
 *
 * Port of `lucid.optvis.objectives.Objective`. Deliberate differences: sums are joined with `, `
 * (Lucid: ` +\n`) and scaling shows its factor (`0.05 * L1 [input]`; Lucid keeps the description
 * unchanged), so the description says what is optimized.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).sub(objectives.L1().mul(0.05));
 * ```
 */
export class Objective {
  /** Human-readable description, e.g. `Channel [mixed4a, 97]`. */
  readonly description: string;
  /** Model layers the objective reads (never `'input'`); the render loop fetches exactly these. */
  readonly layers: readonly string[];
  private readonly fn: ObjectiveFn;

  constructor(fn: ObjectiveFn, description: string, layers: readonly string[] = []) {
    if (typeof fn !== 'function') fail('Objective', `fn must be a function, but got ${show(fn)}.`);
    this.fn = fn;
    this.description = description;
    this.layers = Object.freeze(unique(layers.filter((l) => l !== INPUT)));
  }

  /**
   * Evaluates the objective to a scalar: the sum of {@link Objective.value} (TensorFlow minimises
   * a vector loss as its sum). Call inside `tf.tidy`, within the step; the caller owns the result,
   * never the tensors `T` returns.
   * @param T the step's lookup of `'input'` and the layers in {@link Objective.layers}.
   */
  evaluate(T: Lookup): tf.Scalar {
    const v = this.value(T);
    return (v.rank === 0 ? v : tf.sum(v)) as tf.Scalar;
  }

  /**
   * The objective's value before it is summed, Lucid's `objective_func(T)`: a scalar for most
   * objectives, one value per image for `objectives.totalVariation` (`[batch]`, as TensorFlow's
   * `total_variation`). Arithmetic combines values elementwise with broadcasting, as Lucid's
   * objectives do, so in `channel(...).sub(totalVariation().mul(k))` over a batch of N the scalar
   * channel term is broadcast to N entries and then summed: it weighs N times, as in Lucid.
   * Call inside `tf.tidy`; the caller owns the result.
   * @param T the step's lookup of `'input'` and the layers in {@link Objective.layers}.
   */
  value(T: Lookup): tf.Tensor {
    const v = this.fn(T);
    if (!(v instanceof tf.Tensor)) {
      fail('Objective.evaluate', `objective "${this.description}" must return a tensor, but got ${show(v)}.`);
    }
    return v;
  }

  /**
   * `this + other`: `Sum(this, other)`.
   * @param other an objective, or a number (a constant).
   */
  add(other: ObjectiveLike): Objective {
    return Objective.sum([this, other]);
  }

  /**
   * `this - other`: `Sum(this, -other)`; e.g. a penalty `obj.sub(objectives.L1().mul(0.05))`.
   * @param other an objective, or a number (a constant).
   */
  sub(other: ObjectiveLike): Objective {
    return Objective.sum([this, asObjectiveValue(other, 'Objective.sub').neg()]);
  }

  /**
   * `this * other`: scales by a number (`k * this`) or multiplies two objectives' values.
   * @param other a finite number or an objective.
   */
  mul(other: ObjectiveLike): Objective {
    if (typeof other === 'number') {
      checkFinite('Objective.mul', other);
      return new Objective((T) => tf.mul(this.value(T), other), `${formatNumber(other)} * ${this.description}`, this.layers);
    }
    const o = asObjectiveValue(other, 'Objective.mul');
    return new Objective((T) => broadcastPair('Objective.mul', this, o, T, tf.mul), `${this.description} * ${o.description}`, [
      ...this.layers,
      ...o.layers,
    ]);
  }

  /**
   * `this / k`.
   * @param k a finite non-zero number.
   */
  div(k: number): Objective {
    if (typeof k !== 'number' || !Number.isFinite(k) || k === 0) {
      fail('Objective.div', `divisor must be a finite non-zero number, but got ${show(k)}.`);
    }
    return new Objective((T) => tf.div(this.value(T), k), `${this.description} / ${formatNumber(k)}`, this.layers);
  }

  /** `-this`: turns a quantity to maximise into a penalty and back. */
  neg(): Objective {
    return new Objective((T) => tf.neg(this.value(T)), `-${this.description}`, this.layers);
  }

  /**
   * A copy with another description (same function and layers).
   * @param description the new description, shown in logs.
   */
  describe(description: string): Objective {
    return new Objective(this.fn, description, this.layers);
  }

  /** The description (so objectives print like Lucid's). */
  toString(): string {
    return this.description;
  }

  /**
   * The sum of objectives and numbers: `Sum(a, b, ...)`, reading the union of their layers.
   * @param list a non-empty array of objectives and numbers.
   */
  static sum(list: readonly ObjectiveLike[]): Objective {
    if (!Array.isArray(list) || list.length === 0) {
      fail('Objective.sum', `list must be a non-empty array of objectives or numbers, but got ${show(list)}.`);
    }
    const objs = list.map((o) => asObjectiveValue(o, 'Objective.sum'));
    return new Objective(
      (T) => objs.slice(1).reduce((acc, o) => broadcastPair('Objective.sum', acc, o, T, tf.add), objs[0].value(T)),
      `Sum(${objs.map((o) => o.description).join(', ')})`,
      objs.flatMap((o) => [...o.layers]),
    );
  }
}

/** An objective or a plain number (a constant objective). */
export type ObjectiveLike = Objective | number;

/** Wraps numbers as constant objectives; passes objectives through. */
export function asObjectiveValue(o: ObjectiveLike, fn: string): Objective {
  if (o instanceof Objective) return o;
  if (typeof o === 'number') {
    checkFinite(fn, o);
    return new Objective(() => tf.scalar(o), formatNumber(o), []);
  }
  return fail(fn, `expected an Objective or a number, but got ${show(o)}.`);
}

/**
 * `op(a, b)` of two values (an objective's or an accumulated tensor) with broadcasting, as Lucid
 * adds and multiplies objectives; shapes that do not broadcast are an error naming both.
 */
function broadcastPair(
  fn: string,
  a: Objective | tf.Tensor,
  b: Objective,
  T: Lookup,
  op: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  const x = a instanceof Objective ? a.value(T) : a;
  const y = b.value(T);
  const [long, short] = x.rank >= y.rank ? [x.shape, y.shape] : [y.shape, x.shape];
  const ok = short.every((d, i) => {
    const e = long[long.length - short.length + i];
    return d === e || d === 1 || e === 1;
  });
  if (!ok) {
    fail(
      fn,
      `the values of the objectives must broadcast together (they are combined elementwise, as in Lucid), ` +
        `but got shapes [${x.shape.join(', ')}] and [${y.shape.join(', ')}] (from "${b.description}").`,
    );
  }
  return op(x, y);
}

function checkFinite(fn: string, k: number): void {
  if (!Number.isFinite(k)) fail(fn, `number must be finite, but got ${show(k)}.`);
}

function formatNumber(k: number): string {
  return Number.isInteger(k) ? k.toFixed(1) : String(k);
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
