/**
 * Node-only additions to tfjs-optvis (file system access): model loading from a directory,
 * PNG files, galleries, the opt-in multithreaded wasm backend (`useWasmThreads`) and the opt-in
 * native convolutions for wasm (`useNativeKernels`, a C++ addon built at install). Import from
 * `tfjs-optvis/node`; everything in the main entry is re-exported.
 *
 * @packageDocumentation
 */
export * from './index';
export { loadModel, loadDefaultModel, fileHandler } from './model/loadNode';
export type { NodeLoadModelOptions, FileHandlerOptions, DefaultModelOptions } from './model/loadNode';
export { DEFAULT_LAYERS, DEFAULT_MODEL_INFO, DEFAULT_TARGET } from './model/defaultModel';
export { EMBEDDED_MODELS, EMBEDDED_MODEL_NAMES, INCEPTION_V3_LAYERS, INCEPTION_V3_TARGET } from './model/embeddedModels';
export type { EmbeddedModelName, EmbeddedModelInfo, LayerGuideEntry } from './model/embeddedModels';
export { writePng, readImage } from './io/node/files';
export { buildGallery, rebuildGallery } from './gallery/node/index';
export type { BuildGalleryOptions, GalleryProgress, GallerySummary, GalleryBackend } from './gallery/node/index';
export type { ReadImageOptions } from './io/node/files';
export { useWasmThreads, wasmThreadsState } from './backends/wasmThreads';
export type { WasmThreadsOptions, WasmThreadsState } from './backends/wasmThreads';
export { useNativeKernels, releaseNativeKernels, nativeKernelsState, nativeKernelsBuilt } from './backends/nativeKernels';
export type { NativeKernelsOptions, NativeKernelsState } from './backends/nativeKernels';
