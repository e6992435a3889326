// The continuous cache's one-token step (lstmkit/models/cache.py): one query per row
// against the ring of past outputs, the softmax of the scores, each key's vote for the
// token that followed it, and the mixture with the network's distribution. Generation
// calls it once per token; done with torch ops it takes about 50 small operator calls
// whose overhead costs more than the arithmetic. The reference is ``mix`` in cache.py,
// and a test holds the two equal.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#if defined(__F16C__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include "common.h"

namespace lstmkit {

namespace {

// A weight below e^-30 of the largest is dropped: the probabilities change by less
// than 1e-9, and no denormal number (whose arithmetic is many times slower) arises.
constexpr float kFloor = -30.0f;

// theta * <q, k> for a float16 key: eight lanes at a time through F16C and FMA where
// the CPU has them, else one by one.
inline float scaled_dot(const float* q, const at::Half* k, int64_t n, float theta) {
  int64_t i = 0;
  float sum = 0.0f;
#if defined(__F16C__) && defined(__AVX2__) && defined(__FMA__)
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i)));
    const __m256 k1 =
        _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i + 8)));
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), k0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), k1, acc1);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(acc0, acc1));
  for (float lane : lanes) sum += lane;
#endif
  for (; i < n; ++i) sum += q[i] * static_cast<float>(k[i]);
  return theta * sum;
}

}  // namespace

// One step of generation with the cache: the mixture of the network's distribution
// (from ``logits``) and the cache's, as log-probabilities (B, V); ``threshold`` NaN: none;
// ``warmup`` 0: none.
Tensor cache_mix_step(const Tensor& query, const Tensor& keys, const Tensor& values,
                      const Tensor& logits, double theta, double lam, double threshold,
                      int64_t warmup) {
  TORCH_CHECK(query.dim() == 2 && keys.dim() == 3 && values.dim() == 2 && logits.dim() == 2 &&
                  keys.size(0) == values.size(0) && keys.size(1) == query.size(0) &&
                  values.size(1) == query.size(0) && keys.size(2) == query.size(1) &&
                  logits.size(0) == query.size(0),
              "cache_mix_step: expected query (B, H), keys (L, B, H), values (L, B) and "
              "logits (B, V), got ", query.sizes(), ", ", keys.sizes(), ", ", values.sizes(),
              " and ", logits.sizes());
  TORCH_CHECK(query.scalar_type() == at::kFloat && keys.scalar_type() == at::kHalf &&
                  logits.scalar_type() == at::kFloat && values.scalar_type() == at::kLong,
              "cache_mix_step: expected float32 query and logits, float16 keys and int64 "
              "values");
  const Tensor q = query.contiguous(), k = keys.contiguous(), v = values.contiguous();
  const Tensor z = logits.contiguous();
  const int64_t size = k.size(0), batch = k.size(1), width = k.size(2), vocab = z.size(1);
  Tensor out = at::empty({batch, vocab}, z.options());
  if (batch == 0 || vocab == 0) return out;  // nothing to mix (and no max of no logits)
  const float* qp = q.data_ptr<float>();
  const at::Half* kp = k.data_ptr<at::Half>();
  const int64_t* vp = v.data_ptr<int64_t>();
  const float* zp = z.data_ptr<float>();
  float* op = out.data_ptr<float>();
  bool in_range = true;
  at::parallel_for(0, batch, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> weights(size), probs(vocab);
    for (int64_t b = b0; b < b1; ++b) {
      // the cache's distribution and its match strength
      float top = -std::numeric_limits<float>::infinity();
      int64_t count = 0;  // keys in the cache
      for (int64_t l = 0; l < size; ++l) {
        const int64_t token = vp[l * batch + b];
        if (token < 0) continue;  // an empty slot
        ++count;
        if (token >= vocab) in_range = false;
        weights[l] = scaled_dot(qp + b * width, kp + (l * batch + b) * width, width,
                                static_cast<float>(theta));
        top = std::max(top, weights[l]);
      }
      std::fill(probs.begin(), probs.end(), 0.0f);
      float gate = 0.0f;
      if (in_range && top > -std::numeric_limits<float>::infinity()) {
        float total = 0.0f;
        for (int64_t l = 0; l < size; ++l) {
          if (vp[l * batch + b] < 0) continue;
          const float d = weights[l] - top;  // as the reference: below e^-30, nothing
          weights[l] = d < kFloor ? 0.0f : std::exp(d);
          total += weights[l];
        }
        for (int64_t l = 0; l < size; ++l) {
          if (vp[l * batch + b] >= 0) probs[vp[l * batch + b]] += weights[l] / total;
        }
        const float strength = top + std::log(total);
        gate = std::isnan(threshold) ? 1.0f
                                     : 1.0f / (1.0f + std::exp(threshold - strength));
        if (warmup > 0) gate *= std::min(1.0f, static_cast<float>(count) / warmup);
      }
      const float g = static_cast<float>(lam) * gate;
      // the network's softmax, mixed in
      const float* zb = zp + b * vocab;
      const float zmax = *std::max_element(zb, zb + vocab);
      float zsum = 0.0f;
      for (int64_t i = 0; i < vocab; ++i) zsum += std::exp(zb[i] - zmax);
      float* ob = op + b * vocab;
      for (int64_t i = 0; i < vocab; ++i) {
        const float mixed = (1.0f - g) * std::exp(zb[i] - zmax) / zsum + g * probs[i];
        ob[i] = std::log(std::max(mixed, std::numeric_limits<float>::min()));
      }
    }
  });
  TORCH_CHECK(in_range, "cache_mix_step: a cached token id is not below the vocabulary size ",
              vocab);
  return out;
}

}  // namespace lstmkit
