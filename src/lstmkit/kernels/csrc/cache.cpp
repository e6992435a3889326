// The continuous cache's one-token step (lstmkit/models/cache.py): one query per row
// against the ring of past outputs, the softmax of the scores, and each key's vote for
// the token that followed it. Generation calls it once per token; done with torch ops
// it takes about 40 small operator calls whose overhead costs more than the arithmetic.
// The reference is ``_attend`` in cache.py, and a test holds the two equal.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common.h"

namespace lstmkit {

namespace {

// theta * <q, k> with 16 independent partial sums, so the loop vectorises.
inline float scaled_dot(const float* q, const float* k, int64_t n, float theta) {
  float acc[16] = {0.0f};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += q[i + j] * k[i + j];
  float sum = 0.0f;
  for (int j = 0; j < 16; ++j) sum += acc[j];
  for (; i < n; ++i) sum += q[i] * k[i];
  return theta * sum;
}

}  // namespace

std::vector<Tensor> cache_step(const Tensor& query, const Tensor& keys, const Tensor& values,
                               double theta, int64_t vocab) {
  TORCH_CHECK(query.dim() == 2 && keys.dim() == 3 && values.dim() == 2 &&
                  keys.size(0) == values.size(0) && keys.size(1) == query.size(0) &&
                  values.size(1) == query.size(0) && keys.size(2) == query.size(1),
              "cache_step: expected query (B, H), keys (L, B, H) and values (L, B), got ",
              query.sizes(), ", ", keys.sizes(), " and ", values.sizes());
  TORCH_CHECK(query.scalar_type() == at::kFloat && keys.scalar_type() == at::kFloat &&
                  values.scalar_type() == at::kLong,
              "cache_step: expected float32 query and keys and int64 values");
  const Tensor q = query.contiguous(), k = keys.contiguous(), v = values.contiguous();
  const int64_t size = k.size(0), batch = k.size(1), width = k.size(2);
  Tensor probs = at::zeros({batch, vocab}, q.options());
  Tensor strength = at::empty({batch}, q.options());
  const float* qp = q.data_ptr<float>();
  const float* kp = k.data_ptr<float>();
  const int64_t* vp = v.data_ptr<int64_t>();
  float* pp = probs.data_ptr<float>();
  float* sp = strength.data_ptr<float>();
  bool in_range = true;
  at::parallel_for(0, batch, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> weights(size);
    for (int64_t b = b0; b < b1; ++b) {
      float top = -std::numeric_limits<float>::infinity();
      for (int64_t l = 0; l < size; ++l) {
        const int64_t token = vp[l * batch + b];
        if (token < 0) continue;  // an empty slot
        if (token >= vocab) in_range = false;
        weights[l] = scaled_dot(qp + b * width, kp + (l * batch + b) * width, width,
                                static_cast<float>(theta));
        top = std::max(top, weights[l]);
      }
      if (!in_range || top == -std::numeric_limits<float>::infinity()) {
        sp[b] = -std::numeric_limits<float>::infinity();  // nothing cached yet
        continue;
      }
      float total = 0.0f;
      for (int64_t l = 0; l < size; ++l) {
        if (vp[l * batch + b] < 0) continue;
        weights[l] = std::exp(std::max(weights[l] - top, -80.0f));  // as the reference
        total += weights[l];
      }
      float* pb = pp + b * vocab;
      for (int64_t l = 0; l < size; ++l) {
        if (vp[l * batch + b] >= 0) pb[vp[l * batch + b]] += weights[l] / total;
      }
      sp[b] = top + std::log(total);
    }
  });
  TORCH_CHECK(in_range, "cache_step: a cached token id is not below the vocabulary size ", vocab);
  return {probs, strength};
}

}  // namespace lstmkit
