import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` with some kernels' gradients replaced by `configs`, and restores the previous ones in
 * `finally`, even when `fn` throws (internal).
 *
 * tfjs has one global gradient registry, and it binds a kernel's gradient to an op when the forward
 * op is recorded on the tape: ops recorded inside `fn` keep the replaced gradients through the
 * backward pass, everything recorded outside keeps the registered ones. Calls nest. `fn` must be
 * synchronous (the registry is global, so it must never stay swapped across an `await`); a
 * returned Promise is refused with `onPromise()`.
 */
export function withGradients<T>(configs: readonly tf.GradConfig[], fn: () => T, onPromise: () => never): T {
  const previous = configs.map((c) => tf.getGradient(c.kernelName));
  for (const c of configs) tf.registerGradient(c);
  try {
    const result = fn();
    if (result instanceof Promise) onPromise();
    return result;
  } finally {
    configs.forEach((c, i) => {
      const p = previous[i];
      if (p) tf.registerGradient(p);
      else tf.unregisterGradient(c.kernelName);
    });
  }
}
