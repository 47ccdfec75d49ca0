/**
 * Whether Lucid's redirected ReLU gradient is in force (internal state shared by the render and
 * model layers).
 *
 * `render.withRedirectedReluGrad` swaps the gradients of tfjs's `Relu` kernels while the model's
 * forward pass runs. Ops that compute a ReLU inside another kernel (the model adapter's fused
 * convolution, {@link convBiasRelu}) cannot see that swap, so they ask here and run unfused while
 * it is in force.
 */
let depth = 0;

/** True while a `withRedirectedReluGrad` call is running (calls nest). @internal */
export function reluRedirectActive(): boolean {
  return depth > 0;
}

/** Runs `fn` with {@link reluRedirectActive} true, restoring the previous state even when `fn` throws. @internal */
export function whileReluRedirected<T>(fn: () => T): T {
  depth += 1;
  try {
    return fn();
  } finally {
    depth -= 1;
  }
}
