/**
 * Makes sure tfjs gradients are registered.
 *
 * tfjs-core's Node build registers no gradient functions by itself (`tf.grad` then fails with
 * "gradient function not found for Sum"). tfjs-layers registers every core gradient when it is
 * imported, both in its Node bundle and in its ESM build (through
 * `@tensorflow/tfjs-core/dist/register_all_gradients`), so importing it once is enough for Node,
 * bundlers and browsers alike. Every module of this library that differentiates imports this file.
 */
import '@tensorflow/tfjs-layers';
