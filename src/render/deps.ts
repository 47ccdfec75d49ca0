/**
 * What the render loop uses from the other modules, in one place.
 * @internal
 */
export { asObjective } from '../objectives/index';
export { image } from '../param/index';
export { compose, standardTransforms } from '../transform/index';
export { installGradientFixes } from '../backends/index';
