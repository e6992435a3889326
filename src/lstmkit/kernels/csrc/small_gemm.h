// A register-blocked GEMM for the few-row products of one time step, against a weight
// packed once per sequence.
//
// Why our own: a step of a small batch is C (m, n) = A (m, k) @ B with m = 1..64 rows
// (8 per thread when a 16-row batch is split over 2 threads). At those sizes a BLAS
// call spends most of its time outside the arithmetic (argument checks, packing the
// left operand, dispatch), and MKL's small-matrix path is not its best on AMD CPUs,
// while torch.nn.LSTM's oneDNN kernels are JIT-compiled for exactly such shapes. Here
// B is packed once into panels of kCols columns, zero-padded, and each block of up to
// kRows rows of C is kept in registers over the whole inner dimension. GCC's vector
// extensions compile this to AVX-512, AVX2 or SSE as -march=native allows.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace lstmkit {

template <typename T>
class SmallGemm {
 public:
  static constexpr int kLanes = 64 / sizeof(T);  // one 512-bit vector
  static constexpr int kVecs = 2;                 // vectors per row of a panel
  static constexpr int kRows = 8;                 // rows of C per register block
  static constexpr int kCols = kLanes * kVecs;    // kRows * kVecs accumulators

  SmallGemm() = default;

  // Packs B (inner, cols) where B[i][j] = src[i * si + j * sj].
  SmallGemm(const T* src, int64_t inner, int64_t cols, int64_t si, int64_t sj)
      : inner_(inner), cols_(cols), panels_((cols + kCols - 1) / kCols) {
    // zero-padded; torch's CPU allocator aligns to 64 bytes, and copies share the buffer
    packed_ = at::zeros({panels_ * inner * kCols}, c10::CppTypeToScalarType<T>::value);
    T* base = base_ = packed_.data_ptr<T>();
    for (int64_t p = 0; p < panels_; ++p) {
      for (int64_t i = 0; i < inner; ++i) {
        for (int64_t j = 0; j < kCols && p * kCols + j < cols; ++j) {
          base[(p * inner + i) * kCols + j] = src[i * si + (p * kCols + j) * sj];
        }
      }
    }
  }

  bool defined() const { return panels_ > 0; }

  // C (m, cols) = beta * C + A (m, inner) @ B; beta is 0 or 1. lda, ldc: row strides.
  void operator()(const T* a, int64_t lda, T beta, T* c, int64_t ldc,
                  int64_t m) const {
    for (int64_t p = 0; p < panels_; ++p) {  // a panel stays in L1 for all row blocks
      const int64_t width = std::min<int64_t>(kCols, cols_ - p * kCols);
      for (int64_t r = 0; r < m; r += kRows) {
        block_dispatch(std::min<int64_t>(kRows, m - r), a + r * lda, lda,
                       base_ + p * inner_ * kCols, beta, c + r * ldc + p * kCols, ldc, width);
      }
    }
  }

 private:
  typedef T Vec __attribute__((vector_size(64)));

  void block_dispatch(int64_t rows, const T* a, int64_t lda, const T* b, T beta,
                      T* c, int64_t ldc, int64_t width) const {
    switch (rows) {
      case 8: return block<8>(a, lda, b, beta, c, ldc, width);
      case 7: return block<7>(a, lda, b, beta, c, ldc, width);
      case 6: return block<6>(a, lda, b, beta, c, ldc, width);
      case 5: return block<5>(a, lda, b, beta, c, ldc, width);
      case 4: return block<4>(a, lda, b, beta, c, ldc, width);
      case 3: return block<3>(a, lda, b, beta, c, ldc, width);
      case 2: return block<2>(a, lda, b, beta, c, ldc, width);
      default: return block<1>(a, lda, b, beta, c, ldc, width);
    }
  }

  // rows x kCols of C from one panel b (inner, kCols), accumulated in registers.
  template <int R>
  void block(const T* a, int64_t lda, const T* b, T beta, T* c, int64_t ldc,
             int64_t width) const {
    Vec acc[R][kVecs] = {};
    for (int64_t i = 0; i < inner_; ++i) {
      const Vec* bi = reinterpret_cast<const Vec*>(b + i * kCols);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const T s = a[r * lda + i];
#pragma GCC unroll 4
        for (int v = 0; v < kVecs; ++v) acc[r][v] += s * bi[v];
      }
    }
    for (int r = 0; r < R; ++r) {
      T* cr = c + r * ldc;
      if (width == kCols) {
        for (int v = 0; v < kVecs; ++v) {
          Vec out = acc[r][v];
          if (beta != T(0)) {
            Vec old;
            std::memcpy(&old, cr + v * kLanes, sizeof(Vec));
            out += old;
          }
          std::memcpy(cr + v * kLanes, &out, sizeof(Vec));
        }
      } else {
        T tmp[kCols];
        std::memcpy(tmp, acc[r], sizeof(tmp));
        for (int64_t j = 0; j < width; ++j) cr[j] = (beta != T(0) ? cr[j] : T(0)) + tmp[j];
      }
    }
  }

  int64_t inner_ = 0, cols_ = 0, panels_ = 0;
  at::Tensor packed_;
  T* base_ = nullptr;
};

}  // namespace lstmkit
