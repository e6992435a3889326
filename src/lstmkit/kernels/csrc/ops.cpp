// The BLAS wrapper, shared helpers, and the registration of every kernel as
// torch.ops.lstmkit.<name>.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/library.h>

#include <map>
#include <mutex>

#ifdef LSTMKIT_BLAS
extern "C" {
size_t cblas_sgemm_pack_get_size(int identifier, int m, int n, int k);
void cblas_sgemm_pack(int layout, int identifier, int trans, int m, int n, int k, float alpha,
                      const float* src, int ld, float* dest);
void cblas_sgemm_compute(int layout, int transa, int transb, int m, int n, int k,
                         const float* a, int lda, const float* b, int ldb, float beta,
                         float* c, int ldc);
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*,
            const float*, const int*, const float*, const int*, const float*, float*,
            const int*);
void dgemm_(const char*, const char*, const int*, const int*, const int*, const double*,
            const double*, const int*, const double*, const int*, const double*, double*,
            const int*);
}
#endif

namespace lstmkit {

#ifdef LSTMKIT_BLAS
// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
template <typename T, typename Fn>
static void blas_call(Fn fn, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                      const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
                      int64_t ldc) {
  const char ta = trans_b ? 'T' : 'N', tb = trans_a ? 'T' : 'N';
  const int bm = static_cast<int>(n), bn = static_cast<int>(m), bk = static_cast<int>(k);
  const int l1 = static_cast<int>(ldb), l2 = static_cast<int>(lda);
  const int l3 = static_cast<int>(ldc);
  const T alpha = 1;
  fn(&ta, &tb, &bm, &bn, &bk, &alpha, b, &l1, a, &l2, &beta, c, &l3);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  blas_call<float>(sgemm_, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  blas_call<double>(dgemm_, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}
#else
// Without an exported BLAS (non-MKL builds of torch): the same through at::addmm.
template <typename T>
static Tensor matrix(const T* p, bool trans, int64_t rows, int64_t cols, int64_t ld) {
  auto options = at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
  auto x = at::from_blob(const_cast<T*>(p), {trans ? cols : rows, trans ? rows : cols},
                         {ld, 1}, options);
  return trans ? x.t() : x;
}

template <typename T>
static void addmm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a,
                  int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  Tensor out = matrix(c, false, m, n, ldc);
  at::addmm_out(out, out, matrix(a, trans_a, m, k, lda), matrix(b, trans_b, k, n, ldb),
                beta, 1);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  addmm(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  addmm(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}
#endif

// oneDNN's GEMM (torch's mkldnn::_linear_pointwise on a reordered weight) beats MKL's
// on large steps; its per-call overhead loses on small ones.
constexpr int64_t kDnnlMinWork = 1 << 23;

static const c10::OperatorHandle* dnnl_op(const char* name) {
  auto handle = c10::Dispatcher::singleton().findOp({name, ""});
  return handle ? new c10::OperatorHandle(*handle) : nullptr;
}

static Tensor dnnl_call(const c10::OperatorHandle& op, std::vector<c10::IValue> args) {
  torch::jit::Stack stack(std::move(args));
  op.callBoxed(&stack);
  return stack[0].toTensor();
}

// Up to this many rows a step runs on SmallGemm rather than BLAS: measured on 2 cores
// at 110 GFLOP/s per core from 8 to 64 rows, against 50-90 for MKL's small GEMMs; at 128
// rows and large weights oneDNN is as fast (S3 of benchmarks/speed.py).
constexpr int64_t kSmallRows = 64;

template <typename T>
StepGemm<T>::StepGemm(const T* w, int64_t m, int64_t n, int64_t k, bool transposed)
    : w_(w), m_(m), n_(n), k_(k), transposed_(transposed) {
  if (m <= kSmallRows) {  // B = W^T (k, n), or W (n, k) when transposed
    small_ = transposed ? SmallGemm<T>(w, n, k, k, 1) : SmallGemm<T>(w, k, n, 1, k);
    return;
  }
  static const c10::OperatorHandle* reorder = dnnl_op("mkldnn::_reorder_linear_weight");
  if (std::is_same_v<T, float> && reorder && m * n * k >= kDnnlMinWork) {
    Tensor weight = at::from_blob(const_cast<T*>(w), {n, k}, at::kFloat);
    weight = transposed ? weight.t().contiguous() : weight;  // (out, in) of a linear layer
    dnnl_ = dnnl_call(*reorder, {weight, c10::IValue(m)});
    return;
  }
#ifdef LSTMKIT_BLAS
  if constexpr (std::is_same_v<T, float>) {
    enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112, kBMatrix = 162 };
    const int rows = static_cast<int>(m), cols = static_cast<int>(transposed ? k : n);
    const int inner = static_cast<int>(transposed ? n : k);
    const size_t bytes = cblas_sgemm_pack_get_size(kBMatrix, rows, cols, inner);
    packed_ = at::empty({static_cast<int64_t>(bytes / sizeof(float)) + 1}, at::kFloat);
    cblas_sgemm_pack(kRowMajor, kBMatrix, transposed ? kNoTrans : kTrans, rows, cols, inner,
                     1.0f, w, static_cast<int>(k), packed_.data_ptr<float>());
  }
#endif
}

template <typename T>
void StepGemm<T>::operator()(const T* a, int64_t lda, T beta, T* c, int64_t ldc,
                             int64_t rows) const {
  static const c10::OperatorHandle* linear = dnnl_op("mkldnn::_linear_pointwise");
  const int64_t in = transposed_ ? n_ : k_, out = transposed_ ? k_ : n_;
  const int64_t m = rows < 0 ? m_ : rows;
  if (small_.defined()) {
    small_(a, lda, beta, c, ldc, m);
    return;
  }
  if (dnnl_.defined() && linear && lda == in) {
    Tensor x = at::from_blob(const_cast<T*>(a), {m, in}, at::kFloat);
    Tensor y = dnnl_call(*linear, {x, dnnl_, c10::IValue(), std::string("none"),
                                   c10::List<std::optional<at::Scalar>>(), c10::IValue()});
    Tensor target = at::from_blob(c, {m, out}, {ldc, 1}, at::kFloat);
    beta == T(0) ? target.copy_(y) : target.add_(y);
    return;
  }
#ifdef LSTMKIT_BLAS
  if (std::is_same_v<T, float> && packed_.defined() && m == m_) {
    enum { kRowMajor = 101, kNoTrans = 111, kPacked = 151 };
    const int cols = static_cast<int>(transposed_ ? k_ : n_);
    const int inner = static_cast<int>(transposed_ ? n_ : k_);
    cblas_sgemm_compute(kRowMajor, kNoTrans, kPacked, static_cast<int>(m_), cols, inner,
                        reinterpret_cast<const float*>(a), static_cast<int>(lda),
                        packed_.data_ptr<float>(), 0, beta, reinterpret_cast<float*>(c),
                        static_cast<int>(ldc));
    return;
  }
#endif
  if (transposed_) {
    gemm(false, false, m, k_, n_, a, lda, w_, k_, beta, c, ldc);
  } else {
    gemm(false, true, m, n_, k_, a, lda, w_, k_, beta, c, ldc);
  }
}

template class StepGemm<float>;
template class StepGemm<double>;

// The pool behind `buffer`: freed blocks by size, at most kPoolBytes in all.
class BufferPool {
 public:
  static BufferPool& instance() {
    static BufferPool* pool = new BufferPool();  // never destroyed: deleters may run late
    return *pool;
  }

  // A block of at least `bytes` (close fit only); `bytes` becomes its true size.
  void* acquire(size_t& bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.lower_bound(bytes);
      if (it != free_.end() && it->first <= bytes + bytes / 4) {
        void* block = it->second;
        bytes = it->first;
        cached_ -= bytes;
        free_.erase(it);
        return block;
      }
    }
    return c10::alloc_cpu(bytes);
  }

  void release(void* block, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= kPoolBytes) {
        free_.emplace(bytes, block);
        cached_ += bytes;
        return;
      }
    }
    c10::free_cpu(block);
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& entry : free_) c10::free_cpu(entry.second);
    free_.clear();
    cached_ = 0;
  }

 private:
  static constexpr size_t kPoolBytes = size_t(1) << 30;
  std::mutex mutex_;
  std::multimap<size_t, void*> free_;
  size_t cached_ = 0;
};

Tensor buffer(at::IntArrayRef sizes, const at::TensorOptions& options) {
  constexpr size_t kMinBytes = size_t(1) << 20;
  size_t bytes = c10::multiply_integers(sizes) * options.dtype().itemsize();
  if (bytes < kMinBytes) return at::empty(sizes, options);
  void* block = BufferPool::instance().acquire(bytes);  // bytes: the block's size
  return at::from_blob(
      block, sizes, [bytes](void* p) { BufferPool::instance().release(p, bytes); }, options);
}

void empty_cache() { BufferPool::instance().clear(); }

Tensor outer_sum(const Tensor& dg, const Tensor& inputs) {
  return at::mm(inputs.t(), dg).t();
}

Tensor weight_grad(const Tensor& dg, const Tensor& initial, const Tensor& states) {
  const int64_t steps = dg.size(0), batch = dg.size(1), rows = dg.size(2);
  check_steps("weight_grad", steps);
  Tensor dw_t = at::mm(initial.t(), dg[0]);  // (K, B) @ (B, R) -> (K, R)
  if (steps > 1) {
    const int64_t n = (steps - 1) * batch;
    dw_t.addmm_(states.narrow(0, 0, steps - 1).reshape({n, states.size(2)}).t(),  // (K, (T-1)B)
                dg.narrow(0, 1, steps - 1).reshape({n, rows}));
  }
  return dw_t.t();
}

void check_inputs(const char* op, const Tensor& xp, int64_t width, const Tensor& w) {
  TORCH_CHECK(xp.dim() == 3 && xp.size(2) == width && xp.is_contiguous(), op,
              ": expected a contiguous input of shape (T, B, ", width, "), got ", xp.sizes());
  check_steps(op, xp.size(0));
  TORCH_CHECK(w.is_contiguous() && w.scalar_type() == xp.scalar_type(), op,
              ": expected contiguous recurrent weights of dtype ", xp.scalar_type());
}

}  // namespace lstmkit

TORCH_LIBRARY(lstmkit, m) {
  using namespace lstmkit;
  m.def("lstm_forward(Tensor x, Tensor w_ih, Tensor? bias, Tensor h0, Tensor c0, "
        "Tensor w_hh, Tensor? peep, Tensor? lengths, bool save) -> Tensor[]", &lstm_forward);
  m.def("lstm_backward(Tensor dhs, Tensor dh_n, Tensor dc_n, Tensor x, Tensor w_ih, "
        "Tensor? bias, Tensor h0, Tensor c0, Tensor w_hh, Tensor? peep, Tensor? lengths, "
        "Tensor hs, Tensor cs, Tensor gates, bool need_dx) -> Tensor[]", &lstm_backward);
  m.def("lstm_step(Tensor x, Tensor h, Tensor c, Tensor[] weights) -> Tensor[]", &lstm_step);
  m.def("layernorm_lstm_forward(Tensor x, Tensor w_ih, Tensor ln_ih, Tensor? bias, "
        "Tensor h0, Tensor c0, Tensor w_hh, Tensor ln_hh, Tensor ln_c_w, Tensor ln_c_b, "
        "Tensor? lengths, bool save) -> Tensor[]", &layernorm_lstm_forward);
  m.def("layernorm_lstm_backward(Tensor dhs, Tensor dh_n, Tensor dc_n, Tensor x, "
        "Tensor w_ih, Tensor ln_ih, Tensor? bias, Tensor h0, Tensor c0, Tensor w_hh, "
        "Tensor ln_hh, Tensor ln_c_w, Tensor ln_c_b, Tensor? lengths, Tensor hs, Tensor cs, "
        "Tensor gates, Tensor xhat, Tensor rhat, Tensor chat, Tensor rstd, bool need_dx) "
        "-> Tensor[]", &layernorm_lstm_backward);
  m.def("mlstm_forward(Tensor xp, Tensor h0, Tensor c0, Tensor w_mh, Tensor w_hh, "
        "Tensor? lengths, bool save) -> Tensor[]", &mlstm_forward);
  m.def("mlstm_backward(Tensor dhs, Tensor dh_n, Tensor dc_n, Tensor xp, Tensor h0, "
        "Tensor c0, Tensor w_mh, Tensor w_hh, Tensor? lengths, Tensor hs, Tensor cs, "
        "Tensor gates, Tensor hm, Tensor m) -> Tensor[]", &mlstm_backward);
  m.def("gru_forward(Tensor xp, Tensor h0, Tensor w_hh, Tensor? b_hn, Tensor? lengths, "
        "bool save) -> Tensor[]", &gru_forward);
  m.def("gru_backward(Tensor dhs, Tensor dh_n, Tensor h0, Tensor w_hh, Tensor? b_hn, "
        "Tensor? lengths, Tensor hs, Tensor gates) -> Tensor[]", &gru_backward);
  m.def("empty_cache() -> ()", &empty_cache);
  m.def("cache_mix_step(Tensor query, Tensor keys, Tensor values, Tensor logits, "
        "float theta, float lam, float threshold, int warmup) -> Tensor", &cache_mix_step);
  m.def("rnn_forward(Tensor xp, Tensor h0, Tensor w_hh, bool relu, Tensor? lengths) "
        "-> Tensor[]", &rnn_forward);
  m.def("rnn_backward(Tensor dhs, Tensor dh_n, Tensor h0, Tensor w_hh, bool relu, "
        "Tensor? lengths, Tensor hs) -> Tensor[]", &rnn_backward);
}
