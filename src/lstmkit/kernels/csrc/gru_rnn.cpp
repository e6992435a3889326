// GRU (torch's semantics, gate order r, z, n; b_hn inside r * (W_hn h + b_hn)) and the
// Elman RNN (tanh or relu). xp already holds every bias that can be folded.
#include "common.h"

namespace lstmkit {
namespace {

// GRU step, rows [b0, b1): r (B, 3H) holds h_{t-1} W^T; g receives [r, z, n, hn] (4H).
template <typename S>
void gru_forward_rows(int64_t b0, int64_t b1, int64_t H, const S* xp, const S* rec,
                      const S* bhn, const S* h0, S* h1, S* g, const int64_t* lens, int64_t t) {
  for (int64_t b = b0; b < b1; ++b) {
    const S *x = xp + b * 3 * H, *rr = rec + b * 3 * H, *hp = h0 + b * H;
    S *hn = h1 + b * H, *gr = g + b * 4 * H;
    if (!valid(lens, b, t)) {
      std::memcpy(hn, hp, H * sizeof(S));
      continue;
    }
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const S r = sigmoid(x[j] + rr[j]), z = sigmoid(x[H + j] + rr[H + j]);
      const S hh = rr[2 * H + j] + (bhn ? bhn[j] : S(0));
      const S n = tanh_(x[2 * H + j] + r * hh);
      gr[j] = r;
      gr[H + j] = z;
      gr[2 * H + j] = n;
      gr[3 * H + j] = hh;
      hn[j] = n + z * (hp[j] - n);
    }
  }
}

// GRU backward, rows [b0, b1): dx = [dr, dz, dn] pre-activation gradients (= dxp_t),
// drec = [dr, dz, r * dn] (gradient of h_{t-1} W^T + b_hn), dh_prev the direct part.
template <typename S>
void gru_backward_rows(int64_t b0, int64_t b1, int64_t H, const S* dy, const S* dh,
                       const S* h0, const S* g, S* dx, S* drec, S* dh_prev,
                       const int64_t* lens, int64_t t) {
  for (int64_t b = b0; b < b1; ++b) {
    const S *dyb = dy + b * H, *dhb = dh + b * H, *hp = h0 + b * H, *gr = g + b * 4 * H;
    S *dxb = dx + b * 3 * H, *drb = drec + b * 3 * H, *dhp = dh_prev + b * H;
    if (!valid(lens, b, t)) {
      for (int64_t j = 0; j < H; ++j) dhp[j] = dhb[j] + dyb[j];
      std::memset(dxb, 0, 3 * H * sizeof(S));
      std::memset(drb, 0, 3 * H * sizeof(S));
      continue;
    }
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const S r = gr[j], z = gr[H + j], n = gr[2 * H + j], hh = gr[3 * H + j];
      const S dht = dhb[j] + dyb[j];
      const S dn = dht * (1 - z) * (1 - n * n);
      const S dr = dn * hh * r * (1 - r), dz = dht * (hp[j] - n) * z * (1 - z);
      dxb[j] = drb[j] = dr;
      dxb[H + j] = drb[H + j] = dz;
      dxb[2 * H + j] = dn;
      drb[2 * H + j] = dn * r;
      dhp[j] = dht * z;
    }
  }
}

// RNN step in place: h1 holds h_{t-1} W^T on entry, act(xp + h_{t-1} W^T) on exit.
template <typename S>
void rnn_forward_rows(int64_t b0, int64_t b1, int64_t H, const S* xp, const S* h0, S* h1,
                      bool relu, const int64_t* lens, int64_t t) {
  for (int64_t b = b0; b < b1; ++b) {
    S* hn = h1 + b * H;
    const S* x = xp + b * H;
    if (!valid(lens, b, t)) {
      std::memcpy(hn, h0 + b * H, H * sizeof(S));
    } else if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) hn[j] = std::max(x[j] + hn[j], S(0));
    } else {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) hn[j] = tanh_(x[j] + hn[j]);
    }
  }
}

template <typename S>
void rnn_backward_rows(int64_t b0, int64_t b1, int64_t H, const S* dy, const S* dh,
                       const S* h1, S* dx, S* dh_prev, bool relu, const int64_t* lens,
                       int64_t t) {
  for (int64_t b = b0; b < b1; ++b) {
    const S *dyb = dy + b * H, *dhb = dh + b * H, *hn = h1 + b * H;
    S *dxb = dx + b * H, *dhp = dh_prev + b * H;
    const bool ok = valid(lens, b, t);
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const S dht = dhb[j] + dyb[j];
      const S d = relu ? (hn[j] > 0 ? dht : S(0)) : dht * (1 - hn[j] * hn[j]);
      dxb[j] = ok ? d : S(0);
      dhp[j] = ok ? S(0) : dht;
    }
  }
}

}  // namespace

std::vector<Tensor> gru_forward(const Tensor& xp, const Tensor& h0, const Tensor& w_hh,
                                const c10::optional<Tensor>& b_hn,
                                const c10::optional<Tensor>& lengths, bool save) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = h0.size(1), BH = B * H;
  check_inputs("gru_forward", xp, 3 * H, w_hh);
  Tensor hs = buffer({steps, B, H}, xp.options());
  Tensor gates = buffer({save ? steps : 1, B, 4 * H}, xp.options());  // r, z, n, hn
  Tensor rec = at::empty({B, 3 * H}, xp.options());
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "gru_forward", [&] {
    using S = scalar_t;
    const S *x = xp.data_ptr<S>(), *h_init = h0.data_ptr<S>(), *bhn = optional_ptr<S>(b_hn);
    S *hp = hs.data_ptr<S>(), *rp = rec.data_ptr<S>();
    for_blocks(B, 3 * H * H, [&](int64_t b0, int64_t b1) {
      const StepGemm<S> recurrent(w_hh.data_ptr<S>(), b1 - b0, 3 * H, H, false);
      for (int64_t t = 0; t < steps; ++t) {
        const S* h_prev = prev_state(h_init, hp, t, BH);
        S* g = gates.data_ptr<S>() + (save ? t : 0) * 4 * BH;
        recurrent(h_prev + b0 * H, H, S(0), rp + b0 * 3 * H, 3 * H);  // h W_hh^T (B, 3H)
        gru_forward_rows<S>(b0, b1, H, x + t * 3 * BH, rp, bhn, h_prev, hp + t * BH, g,
                            lengths_ptr(lengths), t);
      }
    });
  });
  return {hs, gates};
}

std::vector<Tensor> gru_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& h0,
                                 const Tensor& w_hh, const c10::optional<Tensor>& b_hn,
                                 const c10::optional<Tensor>& lengths, const Tensor& hs,
                                 const Tensor& gates) {
  const int64_t steps = hs.size(0), B = hs.size(1), H = hs.size(2), BH = B * H;
  check_steps("gru_backward", steps);
  Tensor dh = dh_n.clone(), dh_prev = at::empty_like(dh), dy = dhs.contiguous();
  Tensor dxp = buffer({steps, B, 3 * H}, hs.options());
  Tensor drec = buffer(dxp.sizes(), hs.options());
  AT_DISPATCH_FLOATING_TYPES(hs.scalar_type(), "gru_backward", [&] {
    using S = scalar_t;
    const S *h_init = h0.data_ptr<S>(), *hp = hs.data_ptr<S>();
    for_blocks(B, 3 * H * H, [&](int64_t b0, int64_t b1) {
      const StepGemm<S> recurrent(w_hh.data_ptr<S>(), b1 - b0, 3 * H, H, true);
      S *dhp = dh.data_ptr<S>(), *dhn = dh_prev.data_ptr<S>();
      for (int64_t t = steps - 1; t >= 0; --t) {
        S* drt = drec.data_ptr<S>() + t * 3 * BH;
        gru_backward_rows<S>(b0, b1, H, dy.data_ptr<S>() + t * BH, dhp,
                             prev_state(h_init, hp, t, BH), gates.data_ptr<S>() + t * 4 * BH,
                             dxp.data_ptr<S>() + t * 3 * BH, drt, dhn, lengths_ptr(lengths),
                             t);
        recurrent(drt + b0 * 3 * H, 3 * H, S(1), dhn + b0 * H, H);  // += drec_t W_hh
        std::swap(dhp, dhn);
      }
    });
  });
  if (steps % 2) std::swap(dh, dh_prev);  // the last step wrote into dh_prev
  Tensor dw = weight_grad(drec, h0, hs);  // (3H, H)
  const bool has_bias = b_hn.has_value() && b_hn->defined();
  Tensor db = has_bias ? drec.narrow(2, 2 * H, H).sum({0, 1}) : Tensor();
  return {dxp, dh, dw, db};
}

std::vector<Tensor> rnn_forward(const Tensor& xp, const Tensor& h0, const Tensor& w_hh,
                                bool relu, const c10::optional<Tensor>& lengths) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = h0.size(1), BH = B * H;
  check_inputs("rnn_forward", xp, H, w_hh);
  Tensor hs = buffer({steps, B, H}, xp.options());
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "rnn_forward", [&] {
    using S = scalar_t;
    const S *x = xp.data_ptr<S>(), *h_init = h0.data_ptr<S>();
    S* hp = hs.data_ptr<S>();
    for_blocks(B, H * H, [&](int64_t b0, int64_t b1) {
      const StepGemm<S> recurrent(w_hh.data_ptr<S>(), b1 - b0, H, H, false);
      for (int64_t t = 0; t < steps; ++t) {
        const S* h_prev = prev_state(h_init, hp, t, BH);
        recurrent(h_prev + b0 * H, H, S(0), hp + t * BH + b0 * H, H);  // h W_hh^T
        rnn_forward_rows<S>(b0, b1, H, x + t * BH, h_prev, hp + t * BH, relu,
                            lengths_ptr(lengths), t);
      }
    });
  });
  return {hs};
}

std::vector<Tensor> rnn_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& h0,
                                 const Tensor& w_hh, bool relu,
                                 const c10::optional<Tensor>& lengths, const Tensor& hs) {
  const int64_t steps = hs.size(0), B = hs.size(1), H = hs.size(2), BH = B * H;
  check_steps("rnn_backward", steps);
  Tensor dh = dh_n.clone(), dh_prev = at::empty_like(dh), dy = dhs.contiguous();
  Tensor dxp = buffer(hs.sizes(), hs.options());  // (T, B, H)
  AT_DISPATCH_FLOATING_TYPES(hs.scalar_type(), "rnn_backward", [&] {
    using S = scalar_t;
    for_blocks(B, H * H, [&](int64_t b0, int64_t b1) {
      const StepGemm<S> recurrent(w_hh.data_ptr<S>(), b1 - b0, H, H, true);
      S *dhp = dh.data_ptr<S>(), *dhn = dh_prev.data_ptr<S>();
      for (int64_t t = steps - 1; t >= 0; --t) {
        S* dxt = dxp.data_ptr<S>() + t * BH;
        rnn_backward_rows<S>(b0, b1, H, dy.data_ptr<S>() + t * BH, dhp,
                             hs.data_ptr<S>() + t * BH, dxt, dhn, relu, lengths_ptr(lengths),
                             t);
        recurrent(dxt + b0 * H, H, S(1), dhn + b0 * H, H);  // += dx_t W_hh
        std::swap(dhp, dhn);
      }
    });
  });
  if (steps % 2) std::swap(dh, dh_prev);  // the last step wrote into dh_prev
  return {dxp, dh, weight_grad(dxp, h0, hs)};
}

}  // namespace lstmkit
