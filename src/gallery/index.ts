/**
 * Whole-layer galleries: {@link renderLayer} renders every channel of a layer, several channels
 * per forward pass, each channel's image independent of how the job is laid out; helpers split a
 * job into shards and build the gallery's contact sheet and static page. Browser-safe; the
 * resumable, multi-worker directory builder (`buildGallery`) lives in `tfjs-optvis/node`.
 *
 * @packageDocumentation
 */
export { renderLayer } from './renderLayer';
export type { ChannelResult, LayerProgress, RenderLayerOptions } from './renderLayer';
export { parseChannels, shardChannels, channelSeed } from './channels';
export { galleryHtml, contactSheet } from './page';
export type { ContactSheetOptions } from './page';
export type { GalleryManifest, GalleryRenderOptions, ChannelRecord } from './manifest';
