// Native kernels for tfjs-optvis in Node: a forward 2-D convolution (NHWC input, HWIO filter,
// optional bias and ReLU/ReLU6) and a batched matrix product, computed in place on
// tfjs-backend-wasm's heap as im2col + a blocked matrix product with AVX2/FMA micro-kernels where
// the CPU has them, on a pool of threads.
//
// The caller (src/backends/nativeKernels.ts) passes a Float32Array view of the wasm heap and the
// element offsets of the operands and the output, all checked here against the view's length
// before anything is read or written. Nothing is allocated on the heap it is given; the im2col
// rows and packed panels live in memory of this addon.
#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define OPTVIS_X86 1
#endif

namespace {

constexpr int MR = 6;   // rows of a micro-tile
constexpr int NR = 16;  // columns of a micro-tile (one packed filter panel)

// Multiply-adds below which a convolution is not split over threads (~0.1 ms of work on one core).
constexpr int64_t kParallelMacs = int64_t(1) << 22;

enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2 };

inline float activate(float v, int act) {
  if (act == kRelu) return v > 0.f ? v : (v != v ? v : 0.f);
  if (act == kRelu6) return v != v ? v : std::min(std::max(v, 0.f), 6.f);
  return v;
}

// C[rows × cols] = act(A[rows × K] · B[K × 16] + bias): A's rows at a[0..5], B a packed panel
// (rows 16 apart), C's rows ldc apart.
void kernelGeneric(int K, const float* const* a, const float* bp, const float* bias16, float* c, int ldc, int rows,
                   int cols, int act) {
  float acc[MR][NR];
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < NR; j++) acc[r][j] = bias16[j];
  for (int k = 0; k < K; k++) {
    const float* b = bp + static_cast<size_t>(k) * NR;
    for (int r = 0; r < MR; r++) {
      const float av = a[r][k];
      for (int j = 0; j < NR; j++) acc[r][j] += av * b[j];
    }
  }
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) c[static_cast<size_t>(r) * ldc + j] = activate(acc[r][j], act);
}

#ifdef OPTVIS_X86
__attribute__((target("avx2,fma"))) void kernelAvx2(int K, const float* const* a, const float* bp,
                                                   const float* bias16, float* c, int ldc, int rows, int cols,
                                                   int act) {
  const __m256 bl = _mm256_loadu_ps(bias16), bh = _mm256_loadu_ps(bias16 + 8);
  __m256 c00 = bl, c01 = bh, c10 = bl, c11 = bh, c20 = bl, c21 = bh;
  __m256 c30 = bl, c31 = bh, c40 = bl, c41 = bh, c50 = bl, c51 = bh;
  const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
  for (int k = 0; k < K; k++) {
    const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    bp += NR;
    __m256 v = _mm256_broadcast_ss(a0 + k);
    c00 = _mm256_fmadd_ps(v, b0, c00);
    c01 = _mm256_fmadd_ps(v, b1, c01);
    v = _mm256_broadcast_ss(a1 + k);
    c10 = _mm256_fmadd_ps(v, b0, c10);
    c11 = _mm256_fmadd_ps(v, b1, c11);
    v = _mm256_broadcast_ss(a2 + k);
    c20 = _mm256_fmadd_ps(v, b0, c20);
    c21 = _mm256_fmadd_ps(v, b1, c21);
    v = _mm256_broadcast_ss(a3 + k);
    c30 = _mm256_fmadd_ps(v, b0, c30);
    c31 = _mm256_fmadd_ps(v, b1, c31);
    v = _mm256_broadcast_ss(a4 + k);
    c40 = _mm256_fmadd_ps(v, b0, c40);
    c41 = _mm256_fmadd_ps(v, b1, c41);
    v = _mm256_broadcast_ss(a5 + k);
    c50 = _mm256_fmadd_ps(v, b0, c50);
    c51 = _mm256_fmadd_ps(v, b1, c51);
  }
  alignas(32) float tile[MR][NR];
  _mm256_store_ps(tile[0], c00), _mm256_store_ps(tile[0] + 8, c01);
  _mm256_store_ps(tile[1], c10), _mm256_store_ps(tile[1] + 8, c11);
  _mm256_store_ps(tile[2], c20), _mm256_store_ps(tile[2] + 8, c21);
  _mm256_store_ps(tile[3], c30), _mm256_store_ps(tile[3] + 8, c31);
  _mm256_store_ps(tile[4], c40), _mm256_store_ps(tile[4] + 8, c41);
  _mm256_store_ps(tile[5], c50), _mm256_store_ps(tile[5] + 8, c51);
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) c[static_cast<size_t>(r) * ldc + j] = activate(tile[r][j], act);
}
#endif

using Kernel = void (*)(int, const float* const*, const float*, const float*, float*, int, int, int, int);

Kernel pickKernel() {
#ifdef OPTVIS_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return kernelAvx2;
#endif
  return kernelGeneric;
}

const Kernel kKernel = pickKernel();
const bool kHasAvx2 = kKernel != kernelGeneric;

// A pool of worker threads that share the tiles of one job with the calling thread. The caller
// takes tiles too and waits only for tiles that a worker has actually taken: a worker that is
// not scheduled in time (a busy machine) never holds the job up. Workers sleep between jobs (no
// spinning on cores that tfjs's own single-threaded work needs).
class Pool {
 public:
  ~Pool() { resize(1); }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
      job_.reset();
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_ = false;
    for (int i = 1; i < n; i++) workers_.emplace_back([this] { loop(); });
  }

  // Runs task(t, scratch) for t in [0, tiles); scratch is a per-thread buffer of `scratchFloats`.
  void run(int tiles, size_t scratchFloats, bool parallel, const std::function<void(int, float*)>& task) {
    if (!parallel || workers_.empty() || tiles < 2) {
      std::vector<float> scratch(scratchFloats);
      for (int t = 0; t < tiles; t++) task(t, scratch.data());
      return;
    }
    auto job = std::make_shared<Job>();
    job->task = &task;
    job->tiles = tiles;
    job->scratchFloats = scratchFloats;
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = job;
      generation_++;
    }
    cv_.notify_all();
    work(*job);
    while (job->done.load(std::memory_order_acquire) < tiles) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(m_);
    if (job_ == job) job_.reset();
  }

 private:
  struct Job {
    const std::function<void(int, float*)>* task = nullptr;
    int tiles = 0;
    size_t scratchFloats = 0;
    std::atomic<int> next{0};
    std::atomic<int> done{0};
  };

  static void work(Job& job) {
    std::vector<float> scratch;
    for (int t; (t = job.next.fetch_add(1, std::memory_order_relaxed)) < job.tiles;) {
      if (scratch.size() < job.scratchFloats) scratch.resize(job.scratchFloats);
      (*job.task)(t, scratch.data());
      job.done.fetch_add(1, std::memory_order_release);
    }
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      if (job) work(*job);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  std::shared_ptr<Job> job_;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

// One pool per calling thread: JavaScript worker threads (a gallery's workers) each load the
// addon and convolve at the same time, each with its own pool and thread count.
Pool& pool() {
  thread_local Pool p;
  return p;
}

struct Conv {
  const float* x;
  int n, h, w, ci;
  const float* f;
  int kh, kw, co;
  const float* bias;  // nullptr: none
  float* out;
  int oh, ow, sh, sw, pt, pl, dh, dw, act;
};

// B [K × N] (row-major; with `transposed`, B is stored [N × K]) copied into ceil(N/16) panels of
// K × 16 for the micro-kernels (zero-padded), and the bias (N values or none) padded to whole
// panels. (Reading whole panels of B in place, rows N apart, saved the copy but measured no faster.)
struct Panels {
  std::vector<float> data;
  std::vector<float> bias;
  const float* panel(int q, int K) const { return data.data() + static_cast<size_t>(q) * K * NR; }
};

void pack(const float* B, int K, int N, bool transposed, const float* biasSrc, Panels& out) {
  const int panels = (N + NR - 1) / NR;
  out.data.assign(static_cast<size_t>(panels) * K * NR, 0.f);
  out.bias.assign(static_cast<size_t>(panels) * NR, 0.f);
  for (int q = 0; q < panels; q++) {
    const int j0 = q * NR, cols = std::min(NR, N - j0);
    float* dst = out.data.data() + static_cast<size_t>(q) * K * NR;
    if (!transposed) {
      for (int k = 0; k < K; k++) std::memcpy(dst + static_cast<size_t>(k) * NR, B + static_cast<size_t>(k) * N + j0, sizeof(float) * cols);
    } else {
      for (int j = 0; j < cols; j++) {
        const float* src = B + static_cast<size_t>(j0 + j) * K;
        for (int k = 0; k < K; k++) dst[static_cast<size_t>(k) * NR + j] = src[k];
      }
    }
  }
  if (biasSrc) std::memcpy(out.bias.data(), biasSrc, sizeof(float) * N);
}

// C [M × N] (row-major) = act(A · B + bias) for a packed B, in tiles of MR rows shared with the
// pool. rowOf(m, buf) gives row m of A (K values): a pointer into memory, or `buf` filled with it.
template <typename RowOf>
void gemm(int M, int K, int N, const Panels& b, float* C, int act, bool rowsInMemory, RowOf rowOf) {
  const int panels = (N + NR - 1) / NR;
  const int tiles = (M + MR - 1) / MR;
  // Small products run on the calling thread: waking the pool costs more than it saves.
  const bool parallel = static_cast<int64_t>(M) * K * N >= kParallelMacs;
  const std::function<void(int, float*)> task = [&](int t, float* rows) {
    const int m0 = t * MR, mrows = std::min(MR, M - m0);
    const float* a[MR];
    for (int r = 0; r < MR; r++) {
      // Rows past the end repeat the last one (computed, not stored).
      a[r] = r < mrows ? rowOf(m0 + r, rows + static_cast<size_t>(r) * K) : a[mrows - 1];
    }
    float* c = C + static_cast<size_t>(m0) * N;
    for (int q = 0; q < panels; q++) {
      const int j0 = q * NR;
      kKernel(K, a, b.panel(q, K), b.bias.data() + j0, c + j0, N, mrows, std::min(NR, N - j0), act);
    }
  };
  pool().run(tiles, rowsInMemory ? 0 : static_cast<size_t>(MR) * K, parallel, task);
}

// One im2col row: the receptive field of output pixel (b, oy, ox), [kh, kw, ci] with zeros outside.
inline void patchRow(const Conv& p, int b, int oy, int ox, float* row) {
  const size_t img = static_cast<size_t>(b) * p.h * p.w * p.ci;
  for (int ky = 0; ky < p.kh; ky++) {
    const int iy = oy * p.sh - p.pt + ky * p.dh;
    for (int kx = 0; kx < p.kw; kx++, row += p.ci) {
      const int ix = ox * p.sw - p.pl + kx * p.dw;
      if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) {
        std::memset(row, 0, sizeof(float) * p.ci);
      } else {
        std::memcpy(row, p.x + img + (static_cast<size_t>(iy) * p.w + ix) * p.ci, sizeof(float) * p.ci);
      }
    }
  }
}

void conv2d(const Conv& p) {
  const int K = p.kh * p.kw * p.ci;
  const int M = p.n * p.oh * p.ow;
  // Direct only when output pixel (y, x) is input pixel (y, x): not with bottom/right padding.
  const bool direct = p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pt == 0 && p.pl == 0 && p.oh == p.h && p.ow == p.w;
  Panels panels;
  pack(p.f, K, p.co, false, p.bias, panels);
  gemm(M, K, p.co, panels, p.out, p.act, direct, [&](int m, float* buf) -> const float* {
    if (direct) return p.x + static_cast<size_t>(m) * p.ci;
    const int b = m / (p.oh * p.ow), rem = m % (p.oh * p.ow);
    patchRow(p, b, rem / p.ow, rem % p.ow, buf);
    return buf;
  });
}

// out[i] = A[i] · B[i or 0] for i < batch: A [M × K] (stored [K × M] with transposeA), B [K × N]
// (stored [N × K] with transposeB), out [M × N].
void matmul(const float* A, int batch, int M, int K, bool transposeA, const float* B, bool broadcastB, int N,
            bool transposeB, float* out) {
  Panels panels;
  for (int i = 0; i < batch; i++) {
    if (i == 0 || !broadcastB) pack(B + (broadcastB ? 0 : static_cast<size_t>(i) * K * N), K, N, transposeB, nullptr, panels);
    const float* a = A + static_cast<size_t>(i) * M * K;
    gemm(M, K, N, panels, out + static_cast<size_t>(i) * M * N, kLinear, !transposeA,
         [&](int m, float* buf) -> const float* {
           if (!transposeA) return a + static_cast<size_t>(m) * K;
           for (int k = 0; k < K; k++) buf[k] = a[static_cast<size_t>(k) * M + m];
           return buf;
         });
  }
}

// ---- N-API glue ----

napi_value throwError(napi_env env, const char* msg) {
  napi_throw_error(env, nullptr, msg);
  return nullptr;
}

// The two arguments of conv2d and matmul: a Float32Array view of the heap and an Int32Array of
// `count` offsets and sizes. False (with a JavaScript error thrown) when they are not that.
struct HeapArgs {
  float* heap = nullptr;
  int64_t length = 0;
  const int32_t* v = nullptr;
};

bool readHeapArgs(napi_env env, napi_callback_info info, const char* fn, size_t count, HeapArgs& out) {
  char msg[160];
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool isTa[2] = {false, false};
  if (argc == 2) napi_is_typedarray(env, argv[0], &isTa[0]), napi_is_typedarray(env, argv[1], &isTa[1]);
  napi_typedarray_type ht, at;
  size_t hlen = 0, alen = 0, hoff, aoff;
  void *hdata = nullptr, *adata = nullptr;
  napi_value hbuf, abuf;
  if (!isTa[0] || napi_get_typedarray_info(env, argv[0], &ht, &hlen, &hdata, &hbuf, &hoff) != napi_ok ||
      ht != napi_float32_array) {
    std::snprintf(msg, sizeof msg, "optvis_native.%s: heap must be a Float32Array", fn);
    napi_throw_error(env, nullptr, msg);
    return false;
  }
  if (!isTa[1] || napi_get_typedarray_info(env, argv[1], &at, &alen, &adata, &abuf, &aoff) != napi_ok ||
      at != napi_int32_array || alen != count) {
    std::snprintf(msg, sizeof msg, "optvis_native.%s: args must be an Int32Array of %zu", fn, count);
    napi_throw_error(env, nullptr, msg);
    return false;
  }
  out.heap = static_cast<float*>(hdata);
  out.length = static_cast<int64_t>(hlen);
  out.v = static_cast<const int32_t*>(adata);
  return true;
}

// Whether [off, off + count) lies in the heap view (int64: no overflow for int32 inputs).
inline bool inside(const HeapArgs& h, int64_t off, int64_t count) { return off >= 0 && count >= 0 && off + count <= h.length; }
inline bool overlaps(int64_t a, int64_t an, int64_t b, int64_t bn) { return a < b + bn && b < a + an; }

// conv2d(heap: Float32Array, args: Int32Array(20)): args are element offsets into heap and sizes:
// [x, n, h, w, ci, f, kh, kw, co, bias (-1: none), out, oh, ow, sh, sw, pt, pl, dh, dw, act].
napi_value Conv2dJs(napi_env env, napi_callback_info info) {
  HeapArgs h;
  if (!readHeapArgs(env, info, "conv2d", 20, h)) return nullptr;
  const int32_t* v = h.v;
  Conv p;
  const int32_t x = v[0], f = v[5], bias = v[9], out = v[10];
  p.n = v[1], p.h = v[2], p.w = v[3], p.ci = v[4], p.kh = v[6], p.kw = v[7], p.co = v[8];
  p.oh = v[11], p.ow = v[12], p.sh = v[13], p.sw = v[14], p.pt = v[15], p.pl = v[16], p.dh = v[17], p.dw = v[18];
  p.act = v[19];
  for (int i : {1, 2, 3, 4, 6, 7, 8, 11, 12, 13, 14, 17, 18})
    if (v[i] <= 0) return throwError(env, "optvis_native.conv2d: sizes, strides and dilations must be positive");
  if (p.act < 0 || p.act > 2) return throwError(env, "optvis_native.conv2d: unknown activation");
  const int64_t xs = int64_t(p.n) * p.h * p.w * p.ci, fs = int64_t(p.kh) * p.kw * p.ci * p.co,
                os = int64_t(p.n) * p.oh * p.ow * p.co;
  if (!inside(h, x, xs) || !inside(h, f, fs) || !inside(h, out, os) || (bias != -1 && !inside(h, bias, p.co)))
    return throwError(env, "optvis_native.conv2d: a tensor lies outside the heap");
  if (int64_t(p.kh) * p.kw * p.ci > (1 << 24) || os > (int64_t(1) << 31))
    return throwError(env, "optvis_native.conv2d: convolution too large");
  // The output must not overlap the operands (tfjs allocates a fresh output).
  if (overlaps(out, os, x, xs) || overlaps(out, os, f, fs) || (bias != -1 && overlaps(out, os, bias, p.co)))
    return throwError(env, "optvis_native.conv2d: the output overlaps an input");
  p.x = h.heap + x, p.f = h.heap + f, p.bias = bias == -1 ? nullptr : h.heap + bias, p.out = h.heap + out;
  conv2d(p);
  return nullptr;
}

// matmul(heap: Float32Array, args: Int32Array(10)): out[i] = A[i] · B[i or 0] with
// [a, batch, m, k, transposeA, b, broadcastB, n, transposeB, out] (offsets into heap; flags 0/1).
napi_value MatmulJs(napi_env env, napi_callback_info info) {
  HeapArgs h;
  if (!readHeapArgs(env, info, "matmul", 10, h)) return nullptr;
  const int32_t* v = h.v;
  const int32_t a = v[0], batch = v[1], m = v[2], k = v[3], ta = v[4], b = v[5], bb = v[6], n = v[7], tb = v[8], out = v[9];
  if (batch <= 0 || m <= 0 || k <= 0 || n <= 0) return throwError(env, "optvis_native.matmul: sizes must be positive");
  if ((ta != 0 && ta != 1) || (bb != 0 && bb != 1) || (tb != 0 && tb != 1))
    return throwError(env, "optvis_native.matmul: flags must be 0 or 1");
  const int64_t as = int64_t(batch) * m * k, bs = int64_t(bb ? 1 : batch) * k * n, os = int64_t(batch) * m * n;
  if (!inside(h, a, as) || !inside(h, b, bs) || !inside(h, out, os))
    return throwError(env, "optvis_native.matmul: a tensor lies outside the heap");
  if (k > (1 << 24) || os > (int64_t(1) << 31)) return throwError(env, "optvis_native.matmul: product too large");
  if (overlaps(out, os, a, as) || overlaps(out, os, b, bs)) return throwError(env, "optvis_native.matmul: the output overlaps an input");
  matmul(h.heap + a, batch, m, k, ta == 1, h.heap + b, bb == 1, n, tb == 1, h.heap + out);
  return nullptr;
}

napi_value SetThreadsJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t n = 0;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1 || n > 256)
    return throwError(env, "optvis_native.setThreads: expected an integer 1..256");
  pool().resize(n);
  return nullptr;
}

napi_value InfoJs(napi_env env, napi_callback_info) {
  napi_value o, t, s, l;
  napi_create_object(env, &o);
  napi_create_int32(env, pool().threads(), &t);
  napi_get_boolean(env, kHasAvx2, &s);
  napi_create_int32(env, static_cast<int32_t>(std::thread::hardware_concurrency()), &l);
  napi_set_named_property(env, o, "threads", t);
  napi_set_named_property(env, o, "avx2", s);
  napi_set_named_property(env, o, "cores", l);
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2dJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatmulJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreadsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, InfoJs, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
