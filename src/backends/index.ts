/**
 * Correct and fast gradients per backend: {@link installGradientFixes} registers, for the wasm
 * backend, the gradient kernels tfjs 4.22 lacks (`Conv2DBackpropFilter`, depthwise backprops,
 * `UnsortedSegmentSum` for gather) or gets wrong (`MaxPoolGrad` with windows ≤ 0, `OneHot` in
 * float32) or runs slowly (`Conv2DBackpropInput`), each written with forward ops. The render loop
 * installs them at session start; nothing is installed on import.
 *
 * Not in Lucid (TensorFlow has complete gradients).
 *
 * @packageDocumentation
 */
export { installGradientFixes, uninstallGradientFixes, gradientFixes } from './install';
export {
  conv2dBackpropInputByConv,
  conv2dBackpropFilterByConv,
  depthwiseBackpropInputByConv,
  depthwiseBackpropFilterByTaps,
  maxPoolBackpropByTaps,
  maxPoolBackpropViaStock,
  unsortedSegmentSumByMatMul,
  oneHotByEqual,
} from './convGrads';
