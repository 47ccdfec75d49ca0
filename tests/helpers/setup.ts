/**
 * Vitest setup file (every test file): silence tfjs's "Hi, looks like you are running TensorFlow.js
 * in Node.js" banner, which tfjs-backend-cpu prints on first use unless tfjs runs in production mode.
 * `PROD` only turns off tfjs's console warnings; no computation depends on it.
 */
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('PROD', true);
