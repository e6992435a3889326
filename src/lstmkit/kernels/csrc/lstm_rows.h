// The point-wise part of one LSTM step (forward and backward), shared by the classic,
// peephole and multiplicative kernels. xs / dgs are the row strides of xp / dg.
#pragma once

#include "common.h"

namespace lstmkit {

// One step, rows [b0, b1): g holds h_{t-1} W^T (B, 4H) on entry and the activations
// i, f, g, o on exit; c1/h1 receive the new state (frozen past a sequence's length).
template <typename S, bool PEEP>
void forward_rows(int64_t b0, int64_t b1, int64_t H, const S* xp, int64_t xs, S* g,
                  const S* h0, const S* c0, S* h1, S* c1, const S* p, const int64_t* lens,
                  int64_t t) {
  for (int64_t b = b0; b < b1; ++b) {
    const S* x = xp + b * xs;
    const S* cp = c0 + b * H;
    S* gr = g + b * 4 * H;
    S* cn = c1 + b * H;
    S* hn = h1 + b * H;
    if (!valid(lens, b, t)) {
      std::memcpy(cn, cp, H * sizeof(S));
      std::memcpy(hn, h0 + b * H, H * sizeof(S));
      std::memset(gr, 0, 4 * H * sizeof(S));
      continue;
    }
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      S pi = x[j] + gr[j], pf = x[H + j] + gr[H + j];
      S pg = x[2 * H + j] + gr[2 * H + j], po = x[3 * H + j] + gr[3 * H + j];
      if (PEEP) {
        pi += p[j] * cp[j];
        pf += p[H + j] * cp[j];
      }
      const S i = sigmoid(pi), f = sigmoid(pf), gg = tanh_(pg);
      const S c = f * cp[j] + i * gg;
      if (PEEP) po += p[2 * H + j] * c;
      const S o = sigmoid(po);
      gr[j] = i;
      gr[H + j] = f;
      gr[2 * H + j] = gg;
      gr[3 * H + j] = o;
      cn[j] = c;
      hn[j] = o * tanh_(c);
    }
  }
}

// Backward of one step, rows [b0, b1): from dh, dc (gradients w.r.t. the state after
// step t) and dy (w.r.t. the step's output), adds the peephole gradients of each row to
// dp (B, 3H) and writes the pre-activation gradients dg,
// dc_{t-1} into dc, and into dh_prev the part of dh_{t-1} that skips the GEMM.
template <typename S, bool PEEP>
void backward_rows(int64_t b0, int64_t b1, int64_t H, const S* dy, const S* dh, S* dc,
                   S* dh_prev, S* dg, int64_t dgs, const S* g, const S* c0, const S* c1,
                   const S* p, S* dp, const int64_t* lens, int64_t t) {
  for (int64_t b = b0; b < b1; ++b) {
    const S *dyb = dy + b * H, *dhb = dh + b * H, *gr = g + b * 4 * H;
    const S *cp = c0 + b * H, *cn = c1 + b * H;
    S *dcb = dc + b * H, *dgr = dg + b * dgs, *dhp = dh_prev + b * H;
    if (!valid(lens, b, t)) {
      for (int64_t j = 0; j < H; ++j) dhp[j] = dhb[j] + dyb[j];
      std::memset(dgr, 0, 4 * H * sizeof(S));
      continue;
    }
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const S i = gr[j], f = gr[H + j], gg = gr[2 * H + j], o = gr[3 * H + j];
      const S dht = dhb[j] + dyb[j], tc = tanh_(cn[j]);
      const S dpo = dht * tc * o * (1 - o);
      S dct = dcb[j] + dht * o * (1 - tc * tc);
      if (PEEP) dct += dpo * p[2 * H + j];
      const S dpi = dct * gg * i * (1 - i), dpf = dct * cp[j] * f * (1 - f);
      const S dpg = dct * i * (1 - gg * gg);
      S dcp = dct * f;
      if (PEEP) {
        dcp += dpi * p[j] + dpf * p[H + j];
        dp[b * 3 * H + j] += dpi * cp[j];  // per-row sums of the peephole gradients
        dp[b * 3 * H + H + j] += dpf * cp[j];
        dp[b * 3 * H + 2 * H + j] += dpo * cn[j];
      }
      dcb[j] = dcp;
      dgr[j] = dpi;
      dgr[H + j] = dpf;
      dgr[2 * H + j] = dpg;
      dgr[3 * H + j] = dpo;
      dhp[j] = 0;
    }
  }
}

}  // namespace lstmkit
