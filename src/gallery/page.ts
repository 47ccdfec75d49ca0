import { fail, show } from '../errors';
import { to8bit } from '../io/png';
import { describeImage } from '../io/image';
import type { ImageArray } from '../io/types';
import type { GalleryManifest } from './manifest';

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

/** The objective value as shown on the page: 4 significant digits. */
function formatValue(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}

/**
 * The gallery page: a static, self-contained `index.html` for a gallery directory. One tile per
 * finished channel (ascending), with the channel number and objective value; thumbnails are the
 * channel PNGs, loaded lazily; clicking one shows it enlarged (Escape, a click or the arrow keys
 * move on). Inline CSS and script only, relative links, no fetch: it works opened from `file://`.
 *
 * The output depends only on the manifest's model, layer, options and channels' files and
 * objective values (no timestamps), so two runs that render the same channels write the same bytes.
 *
 * @example
 * ```ts
 * const html = gallery.galleryHtml(manifest); // write it as DIR/index.html
 * ```
 * @param manifest a gallery manifest (see {@link GalleryManifest}).
 * @returns the HTML text.
 */
export function galleryHtml(manifest: GalleryManifest): string {
  const fn = 'gallery.galleryHtml';
  if (manifest === null || typeof manifest !== 'object' || typeof manifest.layer !== 'string' || manifest.channels === null || typeof manifest.channels !== 'object') {
    fail(fn, `manifest must be a gallery manifest (with layer and channels), but got ${show(manifest)}.`);
  }
  const records = Object.values(manifest.channels).sort((a, b) => a.channel - b.channel);
  const o = manifest.options;
  const size = o.size;
  const thumb = Math.min(size, 128);
  const title = `${manifest.layer} · ${manifest.model}`;
  const settings = `${records.length} of ${manifest.depth} channels · ${size} px · ${o.steps} steps · seed ${o.seed}${o.alpha ? ' · alpha' : ''} · ${o.backend}`;
  const tiles = records
    .map(
      (r) =>
        `<a class="tile" href="${escape(r.file)}" data-channel="${r.channel}" data-value="${formatValue(r.objective)}">` +
        `<img loading="lazy" src="${escape(r.file)}" width="${thumb}" height="${thumb}" alt="channel ${r.channel}">` +
        `<span class="ch">${r.channel}</span><span class="val">${formatValue(r.objective)}</span></a>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: #111; color: #ddd; }
header { padding: 12px 16px; }
h1 { font-size: 18px; margin: 0 0 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(${thumb + 8}px, 1fr)); gap: 6px; padding: 0 16px 16px; }
.tile { display: flex; flex-direction: column; align-items: center; color: inherit; text-decoration: none; padding: 4px; border-radius: 4px; background: #1c1c1c; }
.tile:hover, .tile:focus { background: #2a2a2a; outline: none; }
.tile img { width: ${thumb}px; height: ${thumb}px; image-rendering: auto; background: repeating-conic-gradient(#444 0 25%, #333 0 50%) 0 0 / 16px 16px; }
.ch { font-weight: 600; }
.val { color: #999; font-variant-numeric: tabular-nums; }
#viewer { position: fixed; inset: 0; background: rgba(0, 0, 0, 0.88); display: none; flex-direction: column; align-items: center; justify-content: center; cursor: zoom-out; }
#viewer.open { display: flex; }
#viewer img { width: min(80vw, 80vh); height: min(80vw, 80vh); image-rendering: pixelated; background: repeating-conic-gradient(#444 0 25%, #333 0 50%) 0 0 / 32px 32px; }
#viewer p { margin: 10px 0 0; font-size: 15px; }
</style>
</head>
<body>
<header><h1>${escape(title)}</h1><div>${escape(settings)}</div></header>
<main class="grid" id="grid">
${tiles}
</main>
<div id="viewer" role="dialog" aria-modal="true"><img id="big" alt=""><p id="caption"></p></div>
<script>
(function () {
  var tiles = Array.prototype.slice.call(document.querySelectorAll('.tile'));
  var viewer = document.getElementById('viewer'), big = document.getElementById('big'), caption = document.getElementById('caption');
  var current = -1;
  function show(i) {
    current = (i + tiles.length) % tiles.length;
    var t = tiles[current];
    big.src = t.getAttribute('href');
    big.alt = 'channel ' + t.dataset.channel;
    caption.textContent = 'channel ' + t.dataset.channel + ' \\u00b7 objective ' + t.dataset.value;
    viewer.className = 'open';
  }
  function hide() { viewer.className = ''; current = -1; }
  tiles.forEach(function (t, i) {
    t.addEventListener('click', function (e) { e.preventDefault(); show(i); });
  });
  viewer.addEventListener('click', hide);
  document.addEventListener('keydown', function (e) {
    if (current < 0) return;
    if (e.key === 'Escape') hide();
    else if (e.key === 'ArrowRight') show(current + 1);
    else if (e.key === 'ArrowLeft') show(current - 1);
  });
})();
</script>
</body>
</html>
`;
}

/** Options of {@link contactSheet}. */
export interface ContactSheetOptions {
  /** Tile size in pixels: images are shrunk (area average) to fit. Default: the images' size, at most 128. */
  readonly thumb?: number;
  /** Tiles per row. Default `ceil(sqrt(n))`. */
  readonly columns?: number;
  /** Pixels between tiles and around the sheet. Default 2. */
  readonly padding?: number;
}

/**
 * A contact sheet: the images as square thumbnails in a grid, row by row in the given order, on a
 * dark grey background (transparent images are shown over it, alpha dropped). Deterministic: the
 * same images give the same sheet on every platform.
 *
 * @example
 * ```ts
 * const sheet = gallery.contactSheet(results.map((r) => r.image), { thumb: 64 });
 * const png = io.toPng(sheet);
 * ```
 * @param images square images (`ImageArray` `[1, h, w, c]` or `[h, w, c]`, all the same size), in tile order.
 * @param options see {@link ContactSheetOptions}.
 * @returns an RGB `ImageArray` `[H, W, 3]` (values are multiples of 1/255).
 */
export function contactSheet(images: readonly ImageArray[], options: ContactSheetOptions = {}): ImageArray {
  const fn = 'gallery.contactSheet';
  if (!Array.isArray(images) || images.length === 0) fail(fn, `images must be a non-empty array of images, but got ${show(images)}.`);
  if (options === null || typeof options !== 'object') fail(fn, `options must be an object, but got ${show(options)}.`);
  const views = images.map((img, i) => describeImage(fn, `images[${i}]`, img));
  const size = views[0].height;
  views.forEach((v, i) => {
    if (v.height !== size || v.width !== size) fail(fn, `images must all be ${size}×${size} (square, like images[0]), but images[${i}] is ${v.height}×${v.width}.`);
  });
  const int = (name: string, v: unknown, min: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(fn, `${name} must be an integer >= ${min}, but got ${show(v)}.`);
    return v;
  };
  const thumb = int('options.thumb', options.thumb ?? Math.min(size, 128), 1);
  const columns = int('options.columns', options.columns ?? Math.ceil(Math.sqrt(images.length)), 1);
  const padding = int('options.padding', options.padding ?? 2, 0);
  if (thumb > size) fail(fn, `options.thumb must be at most the image size ${size}, but got ${thumb}.`);
  const rows = Math.ceil(images.length / columns);
  const W = columns * thumb + (columns + 1) * padding;
  const H = rows * thumb + (rows + 1) * padding;
  const out = new Float32Array(W * H * 3).fill(34 / 255);
  views.forEach((v, k) => {
    const ox = padding + (k % columns) * (thumb + padding);
    const oy = padding + Math.floor(k / columns) * (thumb + padding);
    const c = v.channels;
    for (let y = 0; y < thumb; y++) {
      const y0 = (y * size) / thumb;
      const y1 = ((y + 1) * size) / thumb;
      for (let x = 0; x < thumb; x++) {
        const x0 = (x * size) / thumb;
        const x1 = ((x + 1) * size) / thumb;
        const acc = [0, 0, 0];
        let area = 0;
        for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
          const wy = Math.min(sy + 1, y1) - Math.max(sy, y0);
          for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
            const w = wy * (Math.min(sx + 1, x1) - Math.max(sx, x0));
            const p = (sy * size + sx) * c;
            const a = c === 4 ? clamp01(v.data[p + 3]) : 1;
            for (let ch = 0; ch < 3; ch++) {
              const value = clamp01(v.data[p + (c === 1 ? 0 : ch)]);
              acc[ch] += w * (a * value + (1 - a) * (34 / 255));
            }
            area += w;
          }
        }
        const o = ((oy + y) * W + ox + x) * 3;
        for (let ch = 0; ch < 3; ch++) out[o + ch] = to8bit(acc[ch] / area) / 255;
      }
    }
  });
  return { shape: [H, W, 3], data: out };
}

function clamp01(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0;
}
