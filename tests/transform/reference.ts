/**
 * Float64 reference implementations for the transform tests, written independently of the library:
 * each linear image operation is a list of (output index, input index, weight) terms, from which both
 * the forward values and the adjoint (the exact gradient of `sum(out * r)`) follow.
 */

/** A linear map from a flattened `[H, W]` plane to a flattened `[Ho, Wo]` plane, plus a constant per output. */
export interface LinearMap {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  terms: { o: number; i: number; w: number }[];
  constant: Float64Array;
}

/** Applies `map` to every (n, c) plane of an NHWC array. */
export function applyMap(map: LinearMap, x: ArrayLike<number>, n: number, c: number): Float64Array {
  const out = new Float64Array(n * map.outH * map.outW * c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let o = 0; o < map.outH * map.outW; o++) out[(b * map.outH * map.outW + o) * c + ch] = map.constant[o];
      for (const { o, i, w } of map.terms) {
        out[(b * map.outH * map.outW + o) * c + ch] += w * x[(b * map.inH * map.inW + i) * c + ch];
      }
    }
  }
  return out;
}

/** The gradient of `sum(map(x) * r)` with respect to `x`. */
export function adjointMap(map: LinearMap, r: ArrayLike<number>, n: number, c: number): Float64Array {
  const out = new Float64Array(n * map.inH * map.inW * c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (const { o, i, w } of map.terms) {
        out[(b * map.inH * map.inW + i) * c + ch] += w * r[(b * map.outH * map.outW + o) * c + ch];
      }
    }
  }
  return out;
}

/** TF1 `resize_bilinear` (align_corners=false, half_pixel_centers=false) from H x W to outH x outW. */
export function tf1ResizeMap(inH: number, inW: number, outH: number, outW: number): LinearMap {
  const terms: LinearMap['terms'] = [];
  const sy = inH / outH;
  const sx = inW / outW;
  for (let i = 0; i < outH; i++) {
    const y = i * sy;
    const y0 = Math.floor(y);
    const y1 = Math.min(y0 + 1, inH - 1);
    const fy = y - y0;
    for (let j = 0; j < outW; j++) {
      const x = j * sx;
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, inW - 1);
      const fx = x - x0;
      const o = i * outW + j;
      terms.push({ o, i: y0 * inW + x0, w: (1 - fy) * (1 - fx) });
      terms.push({ o, i: y0 * inW + x1, w: (1 - fy) * fx });
      terms.push({ o, i: y1 * inW + x0, w: fy * (1 - fx) });
      terms.push({ o, i: y1 * inW + x1, w: fy * fx });
    }
  }
  return { inH, inW, outH, outW, terms, constant: new Float64Array(outH * outW) };
}

/**
 * Counter-clockwise rotation by `theta` about the centre with bilinear sampling and constant fill,
 * following tf.contrib.image.rotate's output-to-input mapping.
 */
export function rotateMap(h: number, w: number, theta: number, fill: number): LinearMap {
  const terms: LinearMap['terms'] = [];
  const constant = new Float64Array(h * w);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      // input = R(theta) applied to (x - cx, y - cy) in (x, y) order
      const x = Math.cos(theta) * (j - cx) - Math.sin(theta) * (i - cy) + cx;
      const y = Math.sin(theta) * (j - cx) + Math.cos(theta) * (i - cy) + cy;
      const y0 = Math.floor(y);
      const x0 = Math.floor(x);
      const o = i * w + j;
      for (const [yy, xx] of [[y0, x0], [y0, x0 + 1], [y0 + 1, x0], [y0 + 1, x0 + 1]]) {
        const wt = (1 - Math.abs(y - yy)) * (1 - Math.abs(x - xx));
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) terms.push({ o, i: yy * w + xx, w: wt });
        else constant[o] += wt * fill;
      }
    }
  }
  return { inH: h, inW: w, outH: h, outW: w, terms, constant };
}

/** Index into a mirrored axis of length n: `reflect` excludes the edge, `symmetric` repeats it. */
export function mirrorIndex(k: number, n: number, mode: 'reflect' | 'symmetric'): number {
  if (mode === 'reflect') {
    if (k < 0) return -k;
    if (k >= n) return 2 * (n - 1) - k;
    return k;
  }
  if (k < 0) return -k - 1;
  if (k >= n) return 2 * n - 1 - k;
  return k;
}

/** Padding by `p` on both sides of H and W by mirroring. */
export function mirrorPadMap(h: number, w: number, p: number, mode: 'reflect' | 'symmetric'): LinearMap {
  const outH = h + 2 * p;
  const outW = w + 2 * p;
  const terms: LinearMap['terms'] = [];
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      terms.push({ o: i * outW + j, i: mirrorIndex(i - p, h, mode) * w + mirrorIndex(j - p, w, mode), w: 1 });
    }
  }
  return { inH: h, inW: w, outH, outW, terms, constant: new Float64Array(outH * outW) };
}

/** Deterministic pseudo-random values in [0, 1) (independent of the library's Rng). */
export function values(count: number, seed = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}
