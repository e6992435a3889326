// Layer-normalised LSTM (Ba et al. 2016): the recurrent projection is normalised over
// all 4H pre-activations (gain, no shift), c_t over H (gain and shift) before the
// output tanh. Saved per step: activations, normalised rows and the two 1/std values.
#include "common.h"

namespace lstmkit {
namespace {

constexpr double kEps = 1e-5;

// Normalises x (n,) in place; returns 1/std. Biased variance, as F.layer_norm.
template <typename S>
S normalize(S* x, int64_t n) {
  S sum = 0, sq = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t k = 0; k < n; ++k) sum += x[k];
  const S mean = sum / n;
#pragma omp simd reduction(+ : sq)
  for (int64_t k = 0; k < n; ++k) sq += (x[k] - mean) * (x[k] - mean);
  const S rstd = S(1) / std::sqrt(sq / n + S(kEps));
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) x[k] = (x[k] - mean) * rstd;
  return rstd;
}

// Gradient through a gain-free normalisation: dx = rstd * (dy - mean(dy) - xh mean(dy xh)).
template <typename S>
void normalize_backward(const S* dy, const S* xh, S rstd, int64_t n, S* dx) {
  S s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
  for (int64_t k = 0; k < n; ++k) {
    s1 += dy[k];
    s2 += dy[k] * xh[k];
  }
  s1 /= n;
  s2 /= n;
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) dx[k] = rstd * (dy[k] - s1 - xh[k] * s2);
}

// The norm gains: of the recurrent projection (4H), and gain and shift of c_t (H).
template <typename S>
struct Gains {
  const S *hh, *c_w, *c_b;
};

// One step for row b: r (4H) holds h_{t-1} W^T on entry, its normalisation on exit.
template <typename S>
void forward_row(int64_t H, const S* x, S* r, S* g, const S* cp, S* cn, S* ch, S* hn,
                 S* rstd, const Gains<S>& p) {
  const S *ghh = p.hh, *gc = p.c_w, *bc = p.c_b;
  rstd[0] = normalize(r, 4 * H);
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const S i = sigmoid(x[j] + r[j] * ghh[j]), f = sigmoid(x[H + j] + r[H + j] * ghh[H + j]);
    const S gg = tanh_(x[2 * H + j] + r[2 * H + j] * ghh[2 * H + j]);
    g[j] = i;
    g[H + j] = f;
    g[2 * H + j] = gg;
    g[3 * H + j] = sigmoid(x[3 * H + j] + r[3 * H + j] * ghh[3 * H + j]);
    cn[j] = f * cp[j] + i * gg;
    ch[j] = cn[j];
  }
  rstd[1] = normalize(ch, H);
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) hn[j] = g[3 * H + j] * tanh_(ch[j] * gc[j] + bc[j]);
}

// Backward of one step for row b: writes dg (= dxp_t), dr (gradient of h_{t-1} W^T),
// updates dc in place and adds the row's gain gradients to acc = [hh 4H, c_w H, c_b H].
template <typename S>
void backward_row(int64_t H, const S* dh, const S* dy, S* dc, const S* g, const S* cp,
                  const S* ch, const S* rh, const S* rstd, S* dg, S* dr, S* acc, S* tmp,
                  const Gains<S>& p) {
  const S *ghh = p.hh, *gc = p.c_w, *bc = p.c_b;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const S dht = dh[j] + dy[j], o = g[3 * H + j];
    const S tn = tanh_(ch[j] * gc[j] + bc[j]);
    const S dcn = dht * o * (1 - tn * tn);  // gradient of the normalised c_t's output
    dg[3 * H + j] = dht * tn * o * (1 - o);
    acc[4 * H + j] += dcn * ch[j];
    acc[5 * H + j] += dcn;
    tmp[j] = dcn * gc[j];
  }
  normalize_backward(tmp, ch, rstd[1], H, tmp);  // tmp: dc_t through the norm
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const S i = g[j], f = g[H + j], gg = g[2 * H + j], dct = dc[j] + tmp[j];
    dg[j] = dct * gg * i * (1 - i);
    dg[H + j] = dct * cp[j] * f * (1 - f);
    dg[2 * H + j] = dct * i * (1 - gg * gg);
    dc[j] = dct * f;
  }
#pragma omp simd
  for (int64_t k = 0; k < 4 * H; ++k) {
    dr[k] = dg[k] * ghh[k];
    acc[k] += dg[k] * rh[k];
  }
  normalize_backward(dr, rh, rstd[0], 4 * H, dr);
}

template <typename S>
void run_forward(const Tensor& xp, const Tensor& h0, const Tensor& c0, const Tensor& w,
                 const Gains<S>& p, const int64_t* lens, Tensor& hs, Tensor& cs,
                 Tensor& gates, Tensor& rhat, Tensor& chat, Tensor& rstd, bool save) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = c0.size(1), BH = B * H;
  const S *x = xp.data_ptr<S>(), *wp = w.data_ptr<S>();
  const S *h_init = h0.data_ptr<S>(), *c_init = c0.data_ptr<S>();
  S *hp = hs.data_ptr<S>(), *cp = cs.data_ptr<S>();
  for_blocks(B, 4 * H * H, [&](int64_t b0, int64_t b1) {
    const StepGemm<S> recurrent(wp, b1 - b0, 4 * H, H, false);
    for (int64_t t = 0; t < steps; ++t) {
      const S* h_prev = prev_state(h_init, hp, t, BH);
      const S* c_prev = prev_state(c_init, cp, t, BH);
      const int64_t k = save ? t : 0;
      S *g = gates.data_ptr<S>() + k * 4 * BH, *r = rhat.data_ptr<S>() + k * 4 * BH;
      S *ch = chat.data_ptr<S>() + k * BH, *rs = rstd.data_ptr<S>() + k * 2 * B;
      recurrent(h_prev + b0 * H, H, S(0), r + b0 * 4 * H, 4 * H);  // h W_hh^T (B, 4H)
      for (int64_t b = b0; b < b1; ++b) {
        S *hn = hp + t * BH + b * H, *cn = cp + t * BH + b * H;
        if (!valid(lens, b, t)) {
          std::memcpy(hn, h_prev + b * H, H * sizeof(S));
          std::memcpy(cn, c_prev + b * H, H * sizeof(S));
          continue;
        }
        forward_row(H, x + (t * B + b) * 4 * H, r + b * 4 * H, g + b * 4 * H,
                    c_prev + b * H, cn, ch + b * H, hn, rs + 2 * b, p);
      }
    }
  });
}

template <typename S>
void run_backward(const Tensor& dhs, Tensor& dh, Tensor& dc, const Tensor& c0,
                  const Tensor& w, const Gains<S>& p, const int64_t* lens, const Tensor& cs,
                  const Tensor& gates, const Tensor& rhat, const Tensor& chat,
                  const Tensor& rstd, Tensor& dg, Tensor& dr, Tensor& acc) {
  const int64_t steps = dg.size(0), B = dg.size(1), H = dc.size(1), BH = B * H;
  Tensor dh_prev = at::empty_like(dh), tmp = at::empty_like(dc);
  const S *dy = dhs.data_ptr<S>(), *wp = w.data_ptr<S>(), *c_init = c0.data_ptr<S>();
  const S* cp = cs.data_ptr<S>();
  for_blocks(B, 4 * H * H, [&](int64_t b0, int64_t b1) {
    const StepGemm<S> recurrent(wp, b1 - b0, 4 * H, H, true);
    S *dhp = dh.data_ptr<S>(), *dhn = dh_prev.data_ptr<S>();
    for (int64_t t = steps - 1; t >= 0; --t) {
      S* drt = dr.data_ptr<S>() + t * 4 * BH;
      const S* c_prev = prev_state(c_init, cp, t, BH);
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t row = (t * B + b);
        S* dgr = dg.data_ptr<S>() + row * 4 * H;
        if (!valid(lens, b, t)) {
          for (int64_t j = 0; j < H; ++j) dhn[b * H + j] = dhp[b * H + j] + dy[row * H + j];
          std::memset(dgr, 0, 4 * H * sizeof(S));
          std::memset(drt + b * 4 * H, 0, 4 * H * sizeof(S));
          continue;
        }
        backward_row(H, dhp + b * H, dy + row * H, dc.data_ptr<S>() + b * H,
                     gates.data_ptr<S>() + row * 4 * H, c_prev + b * H,
                     chat.data_ptr<S>() + row * H, rhat.data_ptr<S>() + row * 4 * H,
                     rstd.data_ptr<S>() + row * 2, dgr, drt + b * 4 * H,
                     acc.data_ptr<S>() + b * 6 * H, tmp.data_ptr<S>() + b * H, p);
        std::memset(dhn + b * H, 0, H * sizeof(S));
      }
      recurrent(drt + b0 * 4 * H, 4 * H, S(1), dhn + b0 * H, H);  // += dr_t W_hh
      std::swap(dhp, dhn);
    }
  });
  if (steps % 2) std::swap(dh, dh_prev);  // the last step wrote into dh_prev
}

}  // namespace

std::vector<Tensor> layernorm_lstm_forward(const Tensor& xp, const Tensor& h0,
                                           const Tensor& c0, const Tensor& w_hh,
                                           const Tensor& ln_hh, const Tensor& ln_c_w,
                                           const Tensor& ln_c_b,
                                           const c10::optional<Tensor>& lengths, bool save) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = c0.size(1);
  check_inputs("layernorm_lstm_forward", xp, 4 * H, w_hh);
  const int64_t kept = save ? steps : 1;
  Tensor hs = buffer({steps, B, H}, xp.options()), cs = buffer({steps, B, H}, xp.options());
  Tensor gates = buffer({kept, B, 4 * H}, xp.options());
  Tensor rhat = buffer({kept, B, 4 * H}, xp.options());
  Tensor chat = buffer({kept, B, H}, xp.options());
  Tensor rstd = at::empty({kept, B, 2}, xp.options());  // 1/std of W h and of c
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "layernorm_lstm_forward", [&] {
    using S = scalar_t;
    Gains<S> p{ln_hh.data_ptr<S>(), ln_c_w.data_ptr<S>(), ln_c_b.data_ptr<S>()};
    run_forward<S>(xp, h0, c0, w_hh, p, lengths_ptr(lengths), hs, cs, gates, rhat, chat,
                   rstd, save);
  });
  return {hs, cs, gates, rhat, chat, rstd};
}

std::vector<Tensor> layernorm_lstm_backward(
    const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n, const Tensor& h0,
    const Tensor& c0, const Tensor& w_hh, const Tensor& ln_hh, const Tensor& ln_c_w,
    const Tensor& ln_c_b, const c10::optional<Tensor>& lengths, const Tensor& hs,
    const Tensor& cs, const Tensor& gates, const Tensor& rhat, const Tensor& chat,
    const Tensor& rstd) {
  Tensor dh = dh_n.clone(), dc = dc_n.clone(), dy = dhs.contiguous();
  Tensor dg = buffer(gates.sizes(), gates.options());  // (T, B, 4H)
  Tensor dr = buffer(gates.sizes(), gates.options());
  const int64_t B = gates.size(1), H = chat.size(2);
  Tensor acc = at::zeros({B, 6 * H}, gates.options());  // per-row sums of the gain grads
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "layernorm_lstm_backward", [&] {
    using S = scalar_t;
    Gains<S> p{ln_hh.data_ptr<S>(), ln_c_w.data_ptr<S>(), ln_c_b.data_ptr<S>()};
    run_backward<S>(dy, dh, dc, c0, w_hh, p, lengths_ptr(lengths), cs, gates, rhat, chat,
                    rstd, dg, dr, acc);
  });
  Tensor dw = weight_grad(dr, h0, hs);  // (4H, H)
  Tensor sums = acc.sum(0);  // (6H,) = [ln_hh 4H, ln_c_w H, ln_c_b H]
  return {dg, dh, dc, dw, sums.narrow(0, 0, 4 * H).clone(), sums.narrow(0, 4 * H, H).clone(),
          sums.narrow(0, 5 * H, H).clone()};
}

}  // namespace lstmkit
