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
