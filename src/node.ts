/**
 * Node-only additions to tfjs-optvis (file system access): model loading from a directory,
 * PNG files. Import from `tfjs-optvis/node`; everything in the main entry is re-exported.
 *
 * @packageDocumentation
 */
export * from './index';
