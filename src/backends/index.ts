/**
 * Correct and fast gradients per backend: {@link installGradientFixes} registers, for the wasm
 * backend, the gradient kernels tfjs 4.22 lacks (`Conv2DBackpropFilter`, depthwise backprops,
 * `UnsortedSegmentSum` for gather) or gets wrong (`MaxPoolGrad` with windows ≤ 0, `OneHot` in
 * float32) or runs slowly (`Conv2DBackpropInput`, `MaxPoolGrad`, and the `Identity`, `Slice` and
 * `SplitV` copies the gradient tape and crops make), each written with forward ops or as a host pass
 * over wasm's heap; for the cpu backend, fast `MaxPoolGrad`, `Slice` and `SplitV` (the same host
 * passes). The render loop installs them at session start; nothing is installed on import.
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
