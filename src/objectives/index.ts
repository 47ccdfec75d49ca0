/**
 * Objectives: what feature visualization maximises.
 *
 * Port of `lucid.optvis.objectives`. Factories declare objectives eagerly (validating their own
 * arguments) and are evaluated later, inside each step, on a lookup `T` of activations; errors
 * that depend on the model (indices out of range, wrong shapes) are thrown at evaluation.
 *
 * @packageDocumentation
 */
export { Objective, INPUT } from './objective';
export type { Lookup, ObjectiveFn, ObjectiveLike } from './objective';
export { asObjective } from './asObjective';
export { channel, neuron } from './channel';
export type { ChannelOptions, NeuronOptions } from './channel';
export { direction, directionCossim, directionNeuron, tensorDirection } from './direction';
export type { DirectionOptions, DirectionNeuronOptions } from './direction';
export { deepdream, totalVariation, L1, L2, inputDiff } from './penalties';
export type { BatchOptions, L1Options, L2Options } from './penalties';
export { blurInputEachStep, blurAlphaEachStep, penalizeBoundaryComplexity } from './blur';
export type { BoundaryOptions } from './blur';
export { channelInterpolate, alignment, diversity } from './batch';
export type { AlignmentOptions } from './batch';
export { classLogit } from './classLogit';
export type { ClassLogitOptions } from './classLogit';
export type { ConstantLike, NestedNumbers } from './util';
export { handleBatch, wrapObjective } from './custom';
