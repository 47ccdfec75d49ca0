/**
 * The optimization loop (Lucid's `lucid.optvis.render`): {@link renderVis} for the one-call
 * workflow, {@link visSession} for custom loops, and the redirected ReLU gradient they use.
 *
 * @remarks
 * Port of `lucid.optvis.render` (and `lucid.misc.redirected_relu_grad`).
 *
 * @packageDocumentation
 */
export { renderVis, RenderAbortError } from './renderVis';
export type { RenderOptions, RenderProgress, RenderResult } from './renderVis';
export { visSession } from './session';
export type { VisSession, VisSessionOptions, ObjectiveSpec, OptimizerSpec } from './session';
export { withRedirectedReluGrad, redirectedReluGrad, redirectedRelu6Grad, RELU_OVERRIDE_LAST_STEP } from './redirectedReluGrad';
