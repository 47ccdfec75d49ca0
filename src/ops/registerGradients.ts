/**
 * Makes sure tfjs gradients are registered.
 *
 * tfjs-core's Node build registers no gradient functions by itself (`tf.grad` then fails with
 * "gradient function not found for Sum"). tfjs-layers registers every core gradient when it is
 * imported, both in its Node bundle and in its ESM build (through
 * `@tensorflow/tfjs-core/dist/register_all_gradients`), so importing it once is enough for Node,
 * bundlers and browsers alike. Every module of this library that differentiates imports this file.
 */
import { version_layers } from '@tensorflow/tfjs-layers';

/**
 * tfjs-layers' version. Importing a value (rather than `import '@tensorflow/tfjs-layers'`) keeps
 * the import in the JS build but out of the library's `.d.ts` files, so that applications do not
 * type-check tfjs-layers' declarations (which fail under `strict` without `skipLibCheck`).
 * @internal
 */
export const LAYERS_VERSION: string = version_layers;
