/**
 * The units of the default model (MobileNetV2) used by the transparency examples, in the roles of
 * the notebook's three InceptionV1 units, and the candidates they were chosen from (see
 * examples/README.md, "Choosing the units", for the measured scores).
 */
import type { Unit } from './transparency';

/**
 * Ten pre-activation (batch-norm output, before ReLU6) units: the channels of `DEFAULT_LAYERS`
 * (which we had looked at as post-ReLU renders) at their `_BN` layers, plus four more.
 */
export const MOBILENET_V2_SEARCH_CANDIDATES: readonly Unit[] = [
  { layer: 'block_6_expand_BN', n: 5 },
  { layer: 'block_6_expand_BN', n: 40 },
  { layer: 'block_10_expand_BN', n: 50 },
  { layer: 'block_11_expand_BN', n: 200 },
  { layer: 'block_12_expand_BN', n: 300 },
  { layer: 'block_13_expand_BN', n: 100 },
  { layer: 'block_13_expand_BN', n: 400 },
  { layer: 'block_14_expand_BN', n: 500 },
  { layer: 'block_15_expand_BN', n: 700 },
  { layer: 'block_16_expand_BN', n: 200 },
];

/**
 * The three units of the examples, in the roles of the notebook's mixed4d_3x3_bottleneck_pre_relu:139,
 * mixed4b_pool_reduce_pre_relu:16 and mixed4d_pre_relu:426: the three candidates with the most
 * concentrated final alpha among those whose alpha carries the meaning (real alpha beats the
 * shuffled alpha on 16/16 random backgrounds); see examples/README.md.
 */
export const MOBILENET_V2_UNITS: readonly Unit[] = [
  { layer: 'block_6_expand_BN', n: 40 },
  { layer: 'block_12_expand_BN', n: 300 },
  { layer: 'block_10_expand_BN', n: 50 },
];

/**
 * Eight pre-activation units of the embedded InceptionV3 (`--model inception-v3`) around `mixed4`,
 * the analogue of the notebook's `mixed4b`–`mixed4d`: the block's 1×1 branch (`batch_normalization_31`,
 * the pre-ReLU of `mixed4` channels 0–191), its 7×7-branch bottlenecks (`_32`, `_35`), the last
 * conv of its 7×7 branch (`_39`) and its pool branch (`_40`, like `mixed4b_pool_reduce_pre_relu`).
 */
export const INCEPTION_V3_SEARCH_CANDIDATES: readonly Unit[] = [
  { layer: 'batch_normalization_31', n: 100 },
  { layer: 'batch_normalization_31', n: 50 },
  { layer: 'batch_normalization_32', n: 16 },
  { layer: 'batch_normalization_32', n: 100 },
  { layer: 'batch_normalization_35', n: 50 },
  { layer: 'batch_normalization_39', n: 100 },
  { layer: 'batch_normalization_40', n: 16 },
  { layer: 'batch_normalization_40', n: 100 },
];

/**
 * The three units on the embedded InceptionV3 (the transparency examples' default model), chosen by
 * the same rule as {@link MOBILENET_V2_UNITS}
 * (the most concentrated final alpha among candidates whose alpha wins 16/16; search at 96 px,
 * the InceptionV3's stem needs at least 75): see examples/README.md.
 */
export const INCEPTION_V3_UNITS: readonly Unit[] = [
  { layer: 'batch_normalization_40', n: 100 },
  { layer: 'batch_normalization_31', n: 50 },
  { layer: 'batch_normalization_31', n: 100 },
];

/**
 * The model of the transparency examples without `--model`: the embedded InceptionV3, chosen over
 * MobileNetV2 by the side-by-side in docs/models.md.
 */
export const TRANSPARENCY_MODEL = 'inception-v3';

/** The example units for `--model` (MobileNetV2's for `mobilenet-v2`, a path or none; else InceptionV3's). */
export function unitsFor(model: string | undefined): readonly Unit[] {
  return model === 'inception-v3' ? INCEPTION_V3_UNITS : MOBILENET_V2_UNITS;
}

/** The search candidates for `--model`. */
export function searchCandidatesFor(model: string | undefined): readonly Unit[] {
  return model === 'inception-v3' ? INCEPTION_V3_SEARCH_CANDIDATES : MOBILENET_V2_SEARCH_CANDIDATES;
}
