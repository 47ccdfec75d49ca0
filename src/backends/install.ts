import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import {
  avgPoolBackpropOnHost,
  maskByPositiveOnHost,
  conv2dBackpropFilterByConv,
  conv2dBackpropInputByConv,
  conv2dBackpropInputByMatMul,
  depthwiseBackpropFilterByTaps,
  depthwiseBackpropInputByConv,
  maxPoolBackpropOnHost,
  unsortedSegmentSumByMatMul,
  oneHotByEqual,
  releaseFlippedFilters,
} from './convGrads';
import { isCpuArrayBackend, isWasmHeapBackend, sliceOnCpu, sliceOnWasmHeap } from './sliceRuns';
import { recentCache } from '../ops/recentCache';
import { MASK_BY_POSITIVE_KERNEL } from '../ops/maskByPositive';

type Shape4 = [number, number, number, number];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** One kernel replacement: what it fixes and how. */
interface KernelFix {
  readonly kernelName: string;
  /** Why the stock kernel is replaced (shown by {@link gradientFixes}). */
  readonly reason: string;
  readonly kernelFunc: (inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>, stock: tf.KernelConfig | undefined, backend: unknown) => tf.TensorInfo | tf.TensorInfo[];
}

/** A kernel input as a Tensor usable with ops (inputs are Tensors when ops call kernels; a bare TensorInfo gets its own reference). */
function asTensor<T extends tf.Tensor>(info: tf.TensorInfo, backend: unknown): T {
  if (info instanceof tf.Tensor) return info as T;
  (backend as tf.KernelBackend).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info) as T;
}

function checkNhwc(kernel: string, attrs: Record<string, unknown>): void {
  const f = attrs.dataFormat;
  if (f !== undefined && f !== 'NHWC') {
    fail(`backends.${kernel}`, `dataFormat must be 'NHWC' (the only layout tfjs convolutions support), but got ${show(f)}.`);
  }
}

/** Runs `f` on Tensor views of the kernel inputs and disposes the views it had to create. */
function withTensors(backend: unknown, infos: (tf.TensorInfo | undefined)[], f: (ts: tf.Tensor4D[]) => tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    f(
      infos.map((i) => {
        if (i === undefined) fail('backends.kernel', 'every kernel input must be given, but got undefined.');
        return asTensor<tf.Tensor4D>(i, backend);
      }),
    ),
  );
}

/**
 * A depthwise backprop fix: the two tensor inputs named `names`, the shape attribute `shapeAttr`,
 * and the strides, dilations, pad and rounding every depthwise gradient kernel takes.
 */
function depthwiseFix(
  kernelName: string,
  reason: string,
  names: readonly [string, string],
  shapeAttr: 'inputShape' | 'filterShape',
  compute: typeof depthwiseBackpropInputByConv,
): KernelFix {
  return {
    kernelName,
    reason,
    kernelFunc: (inputs, attrs, _stock, backend) =>
      withTensors(backend, [inputs[names[0]], inputs[names[1]]], ([a, b]) =>
        compute(a, b, attrs[shapeAttr] as Shape4, attrs.strides as number, attrs.dilations as number, attrs.pad as 'same', attrs.dimRoundingMode as Rounding),
      ),
  };
}

/** How `x` is sliced by runs on `backend` (wasm heap or cpu arrays), or undefined for the stock kernel. */
function runSlicer(x: tf.TensorInfo, backend: unknown): ((begin: readonly number[], size: readonly number[]) => tf.TensorInfo) | undefined {
  if (x.dtype === 'string' || x.dtype === 'complex64') return undefined;
  if (isWasmHeapBackend(backend)) return (begin, size) => sliceOnWasmHeap(x, begin, size, backend);
  if (isCpuArrayBackend(backend)) return (begin, size) => sliceOnCpu(x, begin, size, backend);
  return undefined;
}

/**
 * A kernel fix over `x` sliced by runs (`Slice`, `SplitV`): `run(x, slicer)` where `x` can be, the
 * stock kernel for other dtypes.
 */
function runSliceFix(
  kernelName: 'Slice' | 'SplitV',
  reason: string,
  run: (x: tf.TensorInfo, slicer: (begin: readonly number[], size: readonly number[]) => tf.TensorInfo, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[],
): KernelFix {
  const fn = `backends.${kernelName}`;
  return {
    kernelName,
    reason,
    kernelFunc: (inputs, attrs, stock, backend) => {
      const x = inputs.x;
      if (x === undefined) fail(fn, 'x must be given, but got undefined.');
      const slicer = runSlicer(x, backend);
      if (slicer) return run(x, slicer, attrs);
      if (!stock) fail(fn, `x must be a numeric tensor on the wasm or cpu backend, but got dtype ${show(x.dtype)}.`);
      return stock.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as object }) as tf.TensorInfo | tf.TensorInfo[];
    },
  };
}

/** `Slice` copying contiguous runs (src/backends/sliceRuns.ts). */
function sliceFix(reason: string): KernelFix {
  return runSliceFix('Slice', reason, (x, slicer, attrs) => {
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]);
    return slicer(begin, size);
  });
}

/** `SplitV` as one run-copying slice per piece. */
function splitVFix(reason: string): KernelFix {
  return runSliceFix('SplitV', reason, (x, slicer, attrs) => {
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits as number[], axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const piece = slicer(begin, size);
      begin[axis] += s;
      return piece;
    });
  });
}

/**
 * Per output position `[oh·ow]`, `fh·fw / (taps of the window inside the input)`, or `null` when
 * every window lies inside the input (all ones). Cached per geometry (host numbers, no tensors).
 */
const AVG_POOL_SCALES = recentCache<string, Float32Array | null>(16);

function avgPoolGradScale(info: tf.backend_util.Conv2DInfo): Float32Array | null {
  const { inHeight: ih, inWidth: iw, outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  return AVG_POOL_SCALES.get([ih, iw, oh, ow, fh, fw, sh, sw, top, left].join(','), () => {
    const scale = new Float32Array(oh * ow);
    let partial = false;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const rows = Math.min(ih, y0 + fh) - Math.max(0, y0);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const taps = rows * (Math.min(iw, x0 + fw) - Math.max(0, x0));
        // A window with no tap inside contributes nothing (its forward value is not a mean of anything).
        scale[oy * ow + ox] = taps > 0 ? (fh * fw) / taps : 0;
        if (taps !== fh * fw) partial = true;
      }
    }
    return partial ? scale : null;
  });
}

/**
 * `AvgPoolGrad` consistent with the forward `AvgPool`. tfjs's forward divides each window's sum
 * by the taps inside the input (TensorFlow's rule for 'same' padding), but its gradient kernels
 * (cpu, wasm, webgl, webgpu) divide by `fh·fw` everywhere, so along the borders of a 'same' pool
 * (Keras InceptionV3's branch pools) the gradient is not the forward's: 0.15 off on values near 1
 * at a 5×6 image's corners. On wasm and cpu the gradient is one host pass with TensorFlow's rule
 * ({@link avgPoolBackpropOnHost}; on wasm a SIMD kernel, several times faster than the stock one).
 * On GPU backends `dy` is scaled by `fh·fw / taps` per window before the stock kernel, which then
 * gives the same gradient; pools whose windows all lie inside the input run it unchanged.
 */
function avgPoolGradFix(reason: string): KernelFix {
  const fn = 'backends.AvgPoolGrad';
  return {
    kernelName: 'AvgPoolGrad',
    reason,
    kernelFunc: (inputs, attrs, stock, backend) => {
      const { dy, input } = inputs;
      if (dy === undefined || input === undefined) fail(fn, 'dy and input must be given, but got undefined.');
      if (isWasmHeapBackend(backend) || isCpuArrayBackend(backend)) {
        return withTensors(backend, [dy, input], ([d, x]) =>
          avgPoolBackpropOnHost(d, x, attrs.filterSize as number, attrs.strides as number, attrs.pad as 'same', attrs.dimRoundingMode as Rounding),
        );
      }
      if (!stock) fail(fn, "the backend's own AvgPoolGrad kernel must be registered, but it is not.");
      const run = (d: tf.TensorInfo): tf.TensorInfo =>
        stock.kernelFunc({ inputs: { dy: d, input }, attrs: attrs as tf.NamedAttrMap, backend: backend as object }) as tf.TensorInfo;
      const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, attrs.filterSize as number, attrs.strides as number, 1, attrs.pad as 'same', attrs.dimRoundingMode as Rounding);
      const scale = avgPoolGradScale(info);
      if (scale === null) return run(dy);
      const scaled = tf.tidy(() => tf.mul(asTensor(dy, backend), tf.tensor4d(scale, [1, info.outHeight, info.outWidth, 1])));
      try {
        return run(scaled);
      } finally {
        scaled.dispose();
      }
    },
  };
}

const AVG_POOL_GRAD_REASON =
  "wrong along the borders of 'same' pools (divides by the full window, the forward by the taps inside): one host pass on wasm and cpu, dy scaled per window first on GPU backends";

/** `MaxPoolGrad` as one host pass routing each window's gradient to its first maximum. */
function maxPoolGradFix(reason: string): KernelFix {
  return {
    kernelName: 'MaxPoolGrad',
    reason,
    kernelFunc: (inputs, attrs, _stock, backend) =>
      withTensors(backend, [inputs.dy, inputs.input], ([dy, x]) =>
        maxPoolBackpropOnHost(dy, x, attrs.filterSize as number, attrs.strides as number, attrs.pad as 'same', attrs.dimRoundingMode as Rounding),
      ),
  };
}

const WASM_FIXES: readonly KernelFix[] = [
  avgPoolGradFix(AVG_POOL_GRAD_REASON),
  {
    kernelName: MASK_BY_POSITIVE_KERNEL,
    reason:
      'not a tfjs kernel: dy · step(y), the ReLU mask of the fused convolutions\' input gradients, in one SIMD pass instead of a Step and a Multiply kernel',
    kernelFunc: (inputs, _attrs, _stock, backend) => withTensors(backend, [inputs.dy, inputs.y], ([dy, y]) => maskByPositiveOnHost(dy, y)),
  },
  {
    kernelName: 'Conv2DBackpropInput',
    reason:
      'slow on wasm: computed as a forward convolution with the flipped, transposed filter on the padded gradient (stride 1), or as one matrix product plus a host-side col2im (strided)',
    kernelFunc: (inputs, attrs, stock, backend) => {
      if (attrs.dataFormat === 'NCHW' && stock) return stock.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as object }) as tf.TensorInfo;
      checkNhwc('Conv2DBackpropInput', attrs);
      const strides = attrs.strides as number | [number, number];
      const strided = typeof strides === 'number' ? strides > 1 : strides[0] > 1 || strides[1] > 1;
      const byConvOrMatMul = strided ? conv2dBackpropInputByMatMul : conv2dBackpropInputByConv;
      return withTensors(backend, [inputs.dy, inputs.filter], ([dy, filter]) =>
        byConvOrMatMul(dy, filter, attrs.inputShape as Shape4, strides as number, attrs.pad as 'same', attrs.dimRoundingMode as Rounding),
      );
    },
  },
  {
    kernelName: 'Conv2DBackpropFilter',
    reason: 'missing on wasm (filter gradients of conv2d and of every fused convolution): computed as one forward convolution',
    kernelFunc: (inputs, attrs, _stock, backend) => {
      checkNhwc('Conv2DBackpropFilter', attrs);
      return withTensors(backend, [inputs.x, inputs.dy], ([x, dy]) =>
        conv2dBackpropFilterByConv(x, dy, attrs.filterShape as Shape4, attrs.strides as number, attrs.pad as 'same', attrs.dimRoundingMode as Rounding),
      );
    },
  },
  depthwiseFix(
    'DepthwiseConv2dNativeBackpropInput',
    'missing on wasm (input gradients of depthwise convolutions): computed as a forward depthwise convolution',
    ['dy', 'filter'],
    'inputShape',
    depthwiseBackpropInputByConv,
  ),
  depthwiseFix(
    'DepthwiseConv2dNativeBackpropFilter',
    'missing on wasm (filter gradients of depthwise convolutions): one multiply-and-sum per filter tap',
    ['x', 'dy'],
    'filterShape',
    depthwiseBackpropFilterByTaps,
  ),
  maxPoolGradFix(
    'wrong on wasm when a window holds only values <= 0 (the gradient is dropped), and slow: routes to the first maximum of each window in one host-side pass (wasm tensors live in host memory)',
  ),
  {
    kernelName: 'Identity',
    reason:
      'slow on wasm: copies the data, and the gradient tape clones every tensor it saves for the backward pass (about 150 copies per InceptionV1 step); shares the data instead (reference counted, as the cpu Identity and the wasm Reshape do)',
    kernelFunc: (inputs, attrs, stock, backend) => {
      const x = inputs.x;
      if (x === undefined) fail('backends.Identity', 'x must be given, but got undefined.');
      if (x.dtype === 'string' && stock) return stock.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as object }) as tf.TensorInfo;
      (backend as tf.KernelBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  },
  sliceFix(
    'slow on wasm for crops (jitter, the gradient of every pad): copies one innermost row at a time; copies whole contiguous runs (e.g. image rows) inside the wasm heap',
  ),
  splitVFix(
    'slow on wasm (the gradient of every concat): reads the whole input out of the heap once per piece, then copies one innermost row at a time; copies whole contiguous runs inside the wasm heap',
  ),
  {
    kernelName: 'UnsortedSegmentSum',
    reason: 'missing on wasm (the gradient of tf.gather): one matrix product with the one-hot ids',
    kernelFunc: (inputs, attrs, _stock, backend) =>
      tf.tidy(() => {
        if (inputs.x === undefined || inputs.segmentIds === undefined) fail('backends.UnsortedSegmentSum', 'x and segmentIds must be given, but got undefined.');
        return unsortedSegmentSumByMatMul(asTensor(inputs.x, backend), asTensor(inputs.segmentIds, backend), attrs.numSegments as number);
      }),
  },
  {
    kernelName: 'OneHot',
    reason: "wrong on wasm for dtype 'float32' (writes int32 bits): computed as a comparison with the dtype asked for",
    kernelFunc: (inputs, attrs, _stock, backend) =>
      tf.tidy(() => {
        if (inputs.indices === undefined) fail('backends.OneHot', 'indices must be given, but got undefined.');
        return oneHotByEqual(asTensor(inputs.indices, backend), attrs.depth as number, (attrs.onValue as number) ?? 1, (attrs.offValue as number) ?? 0, (attrs.dtype as tf.DataType) ?? 'int32');
      }),
  },
];

/**
 * The cpu backend's gradients are complete and right, but some kernels are slow: `MaxPoolGrad`
 * (about 1.6 s of a 6 s InceptionV1 step at 140 px, against 15 ms for the host pass, which routes
 * to the same first maximum), and `Slice` / `SplitV` on anything but one contiguous block (crops,
 * the gradients of pads and concats). They are replaced.
 */
const CPU_FIXES: readonly KernelFix[] = [
  avgPoolGradFix(AVG_POOL_GRAD_REASON),
  maxPoolGradFix('slow on cpu (about 100× the host pass on an InceptionV1 step): routes to the first maximum of each window in one host-side pass'),
  sliceFix('slow on cpu unless the slice is one contiguous block (crops, the gradient of every pad): copies whole contiguous runs'),
  splitVFix('slow on cpu (the gradient of every concat: channel groups are not contiguous): copies whole contiguous runs'),
];

/**
 * Fixes per backend. webgl and webgpu (tfjs 4.22) register every convolution and pooling
 * gradient kernel and compute max-pool gradients with -inf initialised windows; they need only the
 * `AvgPoolGrad` border fix every tfjs backend needs. Unknown backends (e.g. tensorflow) get no fixes.
 */
const FIXES: Readonly<Record<string, readonly KernelFix[]>> = {
  wasm: WASM_FIXES,
  cpu: CPU_FIXES,
  webgl: [avgPoolGradFix(AVG_POOL_GRAD_REASON)],
  webgpu: [avgPoolGradFix(AVG_POOL_GRAD_REASON)],
};

/** Stock kernels replaced by us, per `backend/kernel`, to restore them (`undefined`: none existed). */
const stockKernels = new Map<string, tf.KernelConfig | undefined>();

const key = (backend: string, kernel: string): string => `${backend}/${kernel}`;

function checkBackendName(fn: string, backendName: unknown): string {
  if (typeof backendName !== 'string' || backendName.length === 0) {
    fail(fn, `backendName must be a backend name such as 'wasm', 'cpu' or 'webgl', but got ${show(backendName)}.`);
  }
  return backendName;
}

/**
 * Checks `backendName` for `fn`, runs `act` on each fix of that backend whose installed state is
 * `installed`, and returns their kernel names.
 */
function eachFix(fn: string, backendName: unknown, installed: boolean, act: (fix: KernelFix, name: string, k: string) => void): string[] {
  const name = checkBackendName(fn, backendName);
  const done: string[] = [];
  for (const fix of FIXES[name] ?? []) {
    const k = key(name, fix.kernelName);
    if (stockKernels.has(k) !== installed) continue;
    act(fix, name, k);
    done.push(fix.kernelName);
  }
  return done;
}

/**
 * Installs correct and fast gradient kernels for `backendName` (idempotent; never switches the
 * backend; affects only that backend's kernels).
 *
 * Why: feature visualization lives on input gradients through convolutions and pooling, and the
 * tfjs wasm backend (4.22) lacks `Conv2DBackpropFilter` and both depthwise backprop kernels
 * (`tf.grad` throws "Kernel ... not registered"), drops max-pool gradients in windows whose values
 * are all ≤ 0, and runs `Conv2DBackpropInput` several times slower than the equivalent forward
 * convolution. Each fix is a kernel written with forward ops (see `convGrads.ts`), registered with
 * `tf.registerKernel` for that backend only. Three more only make wasm faster: `Identity` (the
 * gradient tape clones every tensor it saves; the stock kernel copies the data, the fix shares it)
 * and `Slice` / `SplitV` (crops, the gradients of pads and concats: the fix copies whole rows
 * inside the wasm heap); and one kernel that is not tfjs's, `OptvisMaskByPositive` (`dy · step(y)`
 * in one SIMD pass, the ReLU mask of the fused convolutions' input gradients). On cpu, `MaxPoolGrad`, `Slice` and `SplitV` are replaced by the same
 * host passes as on wasm (the stock ones took ~2 s of a 6 s InceptionV1 step). On every known
 * backend (cpu, wasm, webgl, webgpu), `AvgPoolGrad` is made consistent with the forward pool along
 * the borders of 'same' pools (tfjs divides by the full window there, TensorFlow and tfjs's own
 * forward by the taps inside the input). The render loop calls this at session start; call it
 * yourself when you differentiate through a model outside the render loop.
 *
 * Not in Lucid (TensorFlow has complete and correct gradients).
 *
 * @example
 * ```ts
 * await tf.setBackend('wasm');
 * installGradientFixes(); // for the current backend
 * const g = tf.grad((x) => tf.sum(tf.depthwiseConv2d(x, w, 1, 'same')))(x); // works on wasm now
 * ```
 * @param backendName the backend to fix, default `tf.getBackend()`.
 * @returns the kernel names replaced or added by this call (empty when already installed or when
 *   the backend needs nothing).
 */
export function installGradientFixes(backendName: string = tf.getBackend()): string[] {
  return eachFix('backends.installGradientFixes', backendName, false, (fix, name, k) => {
    const stock = tf.getKernel(fix.kernelName, name);
    if (stock) tf.unregisterKernel(fix.kernelName, name);
    stockKernels.set(k, stock);
    tf.registerKernel({
      kernelName: fix.kernelName,
      backendName: name,
      kernelFunc: ({ inputs, attrs, backend }) => fix.kernelFunc(inputs, (attrs ?? {}) as Record<string, unknown>, stock, backend),
    });
  });
}

/**
 * Restores the stock kernels replaced by {@link installGradientFixes} for `backendName` (for
 * benchmarks and tests that compare against tfjs's own kernels).
 *
 * @param backendName default `tf.getBackend()`.
 * @returns the kernel names restored or removed.
 * @example
 * ```ts
 * uninstallGradientFixes('wasm'); // back to tfjs's own wasm kernels
 * ```
 */
export function uninstallGradientFixes(backendName: string = tf.getBackend()): string[] {
  if (backendName === 'wasm') releaseFlippedFilters();
  return eachFix('backends.uninstallGradientFixes', backendName, true, (fix, name, k) => {
    const stock = stockKernels.get(k);
    tf.unregisterKernel(fix.kernelName, name);
    if (stock) tf.registerKernel(stock);
    stockKernels.delete(k);
  });
}

/**
 * The fixes known for `backendName` and whether each is installed.
 *
 * @example
 * ```ts
 * gradientFixes('wasm'); // [{ kernelName: 'Conv2DBackpropFilter', reason: 'missing on wasm ...', installed: true }, ...]
 * ```
 * @param backendName default `tf.getBackend()`.
 */
export function gradientFixes(backendName: string = tf.getBackend()): { kernelName: string; reason: string; installed: boolean }[] {
  const name = checkBackendName('backends.gradientFixes', backendName);
  return (FIXES[name] ?? []).map((f) => ({ kernelName: f.kernelName, reason: f.reason, installed: stockKernels.has(key(name, f.kernelName)) }));
}
