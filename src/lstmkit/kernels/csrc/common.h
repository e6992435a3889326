// Shared pieces of the fused recurrent kernels: activations that vectorise, the BLAS
// call used inside the time loop, and the row-parallel loop.
//
// Why our own kernels: torch ships fused CPU kernels for its classic LSTM, GRU and RNN
// only (and its GRU is slow at small sizes); peephole, layer-norm and multiplicative
// LSTMs have none, so a Python loop over time steps is 3-6x slower. Each kernel here
// runs one direction of one layer: the input projection of all steps was done by the
// caller in one GEMM, the time loop does one GEMM per step plus one fused point-wise
// pass, and the backward computes the weight gradients as one GEMM over all steps.
//
// Layout: everything is time-major and row-major. xp (T, B, G), states (T, B, H) hold
// the state *after* each step; the state before step 0 is passed separately.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "small_gemm.h"

namespace lstmkit {

using at::Tensor;

// exp in plain arithmetic (Cephes expf) so that loops over it vectorise; libm's expf
// does not. Relative error ~2e-7; NaN propagates.
inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // round to nearest by the 1.5 * 2^23 trick: std::floor would keep the loop scalar
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }
inline float tanh_(float x) { return 2.0f / (1.0f + exp_approx(-2.0f * x)) - 1.0f; }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double tanh_(double x) { return std::tanh(x); }

// Row-major C (m, n) = beta * C + op(A) @ op(B), op(X) = X^T when trans_x.
// lda, ldb, ldc are row strides. Calls BLAS directly when torch exports it (the
// per-call overhead of at::addmm matters for the small GEMMs of one time step).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// The GEMM of every step against one fixed weight W (N, K):
// C (M, N) = beta * C + A (M, K) @ W^T, or with `transposed` C (M, K) = A (M, N) @ W.
// With MKL, W is packed once per sequence (cblas_sgemm_pack) instead of once per call,
// which is most of the cost of the small GEMMs of one time step.
template <typename T>
class StepGemm {
 public:
  StepGemm(const T* w, int64_t m, int64_t n, int64_t k, bool transposed);
  // rows: how many rows of A and C this call has (at most m; default m).
  void operator()(const T* a, int64_t lda, T beta, T* c, int64_t ldc, int64_t rows = -1) const;

 private:
  const T* w_;
  int64_t m_, n_, k_;
  bool transposed_;
  SmallGemm<T> small_;  // our packed copy of W for calls of few rows, else empty
  Tensor packed_;  // MKL's packed copy of W (float only), else undefined
  Tensor dnnl_;    // oneDNN's reordered copy of W for large steps (float only)
};

// Runs fn(b0, b1) on blocks of batch rows, one block per thread. Each block runs its
// whole time loop with single-threaded GEMMs on its rows: the rows of a batch are
// independent in every recurrence, so the threads never wait for each other inside the
// loop (parallel GEMMs per step would synchronise every step, which dominates at small
// sizes and on a busy machine). `step_cost` is the multiply-adds of one row and step.
inline int64_t block_size(int64_t rows, int64_t step_cost) {
  constexpr int64_t kMinWork = 1 << 15;  // multiply-adds of one step worth a second thread
  const int64_t threads = at::get_num_threads();
  if (threads < 2 || rows < 2 || rows * step_cost < kMinWork || at::in_parallel_region()) {
    return std::max<int64_t>(rows, 1);
  }
  return (rows + threads - 1) / threads;
}

// Blocks are [k * size, (k + 1) * size), size = block_size(rows, step_cost). Zero rows
// (an empty batch) run nothing: no worker, no packed weights, no pointer into the data.
template <typename F>
inline void for_blocks(int64_t rows, int64_t step_cost, const F& fn) {
  if (rows <= 0) return;
  const int64_t size = block_size(rows, step_cost), blocks = (rows + size - 1) / size;
  if (blocks <= 1) {
    fn(0, rows);
    return;
  }
  at::parallel_for(0, blocks, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) fn(k * size, std::min(rows, (k + 1) * size));
  });
}

// Every kernel runs at least one step: the final state is the state after the last
// step, which an empty sequence does not have (the layers refuse T = 0 as torch does).
// An empty batch (B = 0) is fine and returns empty outputs.
inline void check_steps(const char* op, int64_t steps) {
  TORCH_CHECK(steps > 0, op, ": expected a sequence of at least one step, got T = ", steps);
}

// True when step t is inside sequence b (no lengths: always).
inline bool valid(const int64_t* lengths, int64_t b, int64_t t) {
  return lengths == nullptr || t < lengths[b];
}

inline const int64_t* lengths_ptr(const c10::optional<Tensor>& lengths) {
  return lengths.has_value() && lengths->defined() ? lengths->data_ptr<int64_t>() : nullptr;
}

inline bool optional_ptr_defined(const c10::optional<Tensor>& x) {
  return x.has_value() && x->defined();
}

// Data of an optional tensor, or nullptr.
template <typename S>
const S* optional_ptr(const c10::optional<Tensor>& x) {
  return optional_ptr_defined(x) ? x->data_ptr<S>() : nullptr;
}

// Pointer to the state before step t: the initial state for t = 0, else states[t-1].
template <typename T>
inline const T* prev_state(const T* initial, const T* states, int64_t t, int64_t stride) {
  return t == 0 ? initial : states + (t - 1) * stride;
}

// An uninitialised tensor for the kernels' large outputs and saved activations, from a
// pool of recycled blocks (at most 1 GiB; small sizes come from at::empty). A fresh
// multi-megabyte allocation is mmap-ed by malloc and faulted in page by page on first
// write, and glibc hands it back to the OS when freed, so each training step paid that
// again: measured at 60% of the layer-norm LSTM's forward at T=1000, B=16, H=64.
Tensor buffer(at::IntArrayRef sizes, const at::TensorOptions& options);

// Frees the pool's idle blocks (torch.ops.lstmkit.empty_cache).
void empty_cache();

// dg^T @ inputs for dg (N, R) and inputs (N, K): the gradient of a weight (R, K) from
// the gradients of its outputs, summed over N rows. Computed as (inputs^T dg)^T, which
// MKL runs up to 6x faster than dg^T inputs when K is small (measured 1.7 ms against
// 11 ms at N = 16000, R = 256, K = 8) and never slower; the result is a transposed view.
Tensor outer_sum(const Tensor& dg, const Tensor& inputs);

// dW (rows, K) = sum_t dG_t^T @ S_{t-1}: one GEMM over all steps but the first, plus
// the first step against the initial state (as outer_sum, a transposed view).
// dg (T, B, rows), initial (B, K), states (T, B, K).
Tensor weight_grad(const Tensor& dg, const Tensor& initial, const Tensor& states);

void check_inputs(const char* op, const Tensor& xp, int64_t width, const Tensor& w);

// Forward and backward of every cell, registered as torch.ops.lstmkit.* in ops.cpp.
std::vector<Tensor> lstm_forward(const Tensor& x, const Tensor& w_ih,
                                 const c10::optional<Tensor>& bias, const Tensor& h0,
                                 const Tensor& c0, const Tensor& w_hh,
                                 const c10::optional<Tensor>& peep,
                                 const c10::optional<Tensor>& lengths, bool save);
std::vector<Tensor> lstm_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n,
                                  const Tensor& x, const Tensor& w_ih,
                                  const c10::optional<Tensor>& bias, const Tensor& h0,
                                  const Tensor& c0, const Tensor& w_hh,
                                  const c10::optional<Tensor>& peep,
                                  const c10::optional<Tensor>& lengths, const Tensor& hs,
                                  const Tensor& cs, const Tensor& gates, bool need_dx);
std::vector<Tensor> lstm_step(const Tensor& x, const Tensor& h, const Tensor& c,
                              at::TensorList weights);
Tensor cache_mix_step(const Tensor& query, const Tensor& keys, const Tensor& values,
                      const Tensor& logits, double theta, double lam, double threshold,
                      int64_t warmup);
std::vector<Tensor> layernorm_lstm_forward(const Tensor& x, const Tensor& w_ih,
                                           const Tensor& ln_ih,
                                           const c10::optional<Tensor>& bias,
                                           const Tensor& h0, const Tensor& c0,
                                           const Tensor& w_hh, const Tensor& ln_hh,
                                           const Tensor& ln_c_w, const Tensor& ln_c_b,
                                           const c10::optional<Tensor>& lengths, bool save);
std::vector<Tensor> layernorm_lstm_backward(
    const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n, const Tensor& x,
    const Tensor& w_ih, const Tensor& ln_ih, const c10::optional<Tensor>& bias,
    const Tensor& h0, const Tensor& c0, const Tensor& w_hh, const Tensor& ln_hh,
    const Tensor& ln_c_w, const Tensor& ln_c_b, const c10::optional<Tensor>& lengths,
    const Tensor& hs, const Tensor& cs, const Tensor& gates, const Tensor& xhat,
    const Tensor& rhat, const Tensor& chat, const Tensor& rstd, bool need_dx);
std::vector<Tensor> mlstm_forward(const Tensor& xp, const Tensor& h0, const Tensor& c0,
                                  const Tensor& w_mh, const Tensor& w_hh,
                                  const c10::optional<Tensor>& lengths, bool save);
std::vector<Tensor> mlstm_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n,
                                   const Tensor& xp, const Tensor& h0, const Tensor& c0,
                                   const Tensor& w_mh, const Tensor& w_hh,
                                   const c10::optional<Tensor>& lengths, const Tensor& hs,
                                   const Tensor& cs, const Tensor& gates, const Tensor& hm,
                                   const Tensor& m);
std::vector<Tensor> gru_forward(const Tensor& xp, const Tensor& h0, const Tensor& w_hh,
                                const c10::optional<Tensor>& b_hn,
                                const c10::optional<Tensor>& lengths, bool save);
std::vector<Tensor> gru_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& h0,
                                 const Tensor& w_hh, const c10::optional<Tensor>& b_hn,
                                 const c10::optional<Tensor>& lengths, const Tensor& hs,
                                 const Tensor& gates);
std::vector<Tensor> rnn_forward(const Tensor& xp, const Tensor& h0, const Tensor& w_hh,
                                bool relu, const c10::optional<Tensor>& lengths);
std::vector<Tensor> rnn_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& h0,
                                 const Tensor& w_hh, bool relu,
                                 const c10::optional<Tensor>& lengths, const Tensor& hs);

}  // namespace lstmkit
