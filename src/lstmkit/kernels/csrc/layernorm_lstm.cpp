// Layer-normalised LSTM (Ba et al. 2016): the input and the recurrent projections are
// each normalised over all 4H pre-activations (gain, no shift; b_ih + b_hh is the
// shift), c_t over H (gain and shift) before the output tanh. The kernel computes the
// input projection x_t W_ih^T itself, step by step in its loop. Saved per step: the
// activations, the normalised rows and the three 1/std values.
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

// The norm gains of the input and recurrent projections (4H), the shift of both (4H:
// b_ih + b_hh, or zeros), and gain and shift of c_t (H).
template <typename S>
struct Gains {
  const S *ih, *hh, *bias, *c_w, *c_b;
};

// Indices into a row's three 1/std values.
enum { kRecurrent = 0, kCell = 1, kInput = 2 };

// One step for row b: xh (4H) and r (4H) hold x_t W_ih^T and h_{t-1} W_hh^T on entry,
// their normalisations on exit.
template <typename S>
void forward_row(int64_t H, S* xh, S* r, S* g, const S* cp, S* cn, S* ch, S* hn, S* rstd,
                 const Gains<S>& p) {
  const S *gih = p.ih, *ghh = p.hh, *b = p.bias, *gc = p.c_w, *bc = p.c_b;
  rstd[kInput] = normalize(xh, 4 * H);
  rstd[kRecurrent] = normalize(r, 4 * H);
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const int64_t jf = H + j, jg = 2 * H + j, jo = 3 * H + j;
    const S i = sigmoid(xh[j] * gih[j] + b[j] + r[j] * ghh[j]);
    const S f = sigmoid(xh[jf] * gih[jf] + b[jf] + r[jf] * ghh[jf]);
    const S gg = tanh_(xh[jg] * gih[jg] + b[jg] + r[jg] * ghh[jg]);
    g[j] = i;
    g[jf] = f;
    g[jg] = gg;
    g[jo] = sigmoid(xh[jo] * gih[jo] + b[jo] + r[jo] * ghh[jo]);
    cn[j] = f * cp[j] + i * gg;
    ch[j] = cn[j];
  }
  rstd[kCell] = normalize(ch, H);
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) hn[j] = g[3 * H + j] * tanh_(ch[j] * gc[j] + bc[j]);
}

// Backward of one step for row b: from dh, dy (gradients of h_t from the next step and
// from the output) and dc, writes into dg the gradient of x_t W_ih^T (through the input
// norm), into dr that of h_{t-1} W_hh^T (through the recurrent norm), dc_{t-1} into dc,
// and adds the row's gain and shift gradients to acc = [hh 4H, c_w H, c_b H, ih 4H,
// bias 4H].
template <typename S>
void backward_row(int64_t H, const S* dh, const S* dy, S* dc, const S* g, const S* cp,
                  const S* ch, const S* rh, const S* xh, const S* rstd, S* dg, S* dr,
                  S* acc, S* tmp, const Gains<S>& p) {
  const S *gih = p.ih, *ghh = p.hh, *gc = p.c_w, *bc = p.c_b;
  S *acc_ih = acc + 6 * H, *acc_b = acc + 10 * H;
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
  normalize_backward(tmp, ch, rstd[kCell], H, tmp);  // tmp: dc_t through the norm
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const S i = g[j], f = g[H + j], gg = g[2 * H + j], dct = dc[j] + tmp[j];
    dg[j] = dct * gg * i * (1 - i);
    dg[H + j] = dct * cp[j] * f * (1 - f);
    dg[2 * H + j] = dct * i * (1 - gg * gg);
    dc[j] = dct * f;
  }
#pragma omp simd
  for (int64_t k = 0; k < 4 * H; ++k) {  // dg: the gradient of the pre-activations
    dr[k] = dg[k] * ghh[k];
    acc[k] += dg[k] * rh[k];
    acc_ih[k] += dg[k] * xh[k];
    acc_b[k] += dg[k];
    dg[k] *= gih[k];
  }
  normalize_backward(dr, rh, rstd[kRecurrent], 4 * H, dr);
  normalize_backward(dg, xh, rstd[kInput], 4 * H, dg);
}

template <typename S>
void run_forward(const Tensor& x, const Tensor& w_ih, const Tensor& h0, const Tensor& c0,
                 const Tensor& w_hh, const Gains<S>& p, const int64_t* lens, Tensor& hs,
                 Tensor& cs, Tensor& gates, Tensor& xhat, Tensor& rhat, Tensor& chat,
                 Tensor& rstd, bool save) {
  const int64_t steps = x.size(0), B = x.size(1), I = x.size(2), H = c0.size(1), BH = B * H;
  const S *xd = x.data_ptr<S>(), *h_init = h0.data_ptr<S>(), *c_init = c0.data_ptr<S>();
  S *hp = hs.data_ptr<S>(), *cp = cs.data_ptr<S>();
  for_blocks(B, 4 * H * (H + I), [&](int64_t b0, int64_t b1) {
    const StepGemm<S> input(w_ih.data_ptr<S>(), b1 - b0, 4 * H, I, false);
    const StepGemm<S> recurrent(w_hh.data_ptr<S>(), b1 - b0, 4 * H, H, false);
    for (int64_t t = 0; t < steps; ++t) {
      const S* h_prev = prev_state(h_init, hp, t, BH);
      const S* c_prev = prev_state(c_init, cp, t, BH);
      const int64_t k = save ? t : 0;
      S *g = gates.data_ptr<S>() + k * 4 * BH, *r = rhat.data_ptr<S>() + k * 4 * BH;
      S *xh = xhat.data_ptr<S>() + k * 4 * BH, *ch = chat.data_ptr<S>() + k * BH;
      S* rs = rstd.data_ptr<S>() + k * 3 * B;
      input(xd + (t * B + b0) * I, I, S(0), xh + b0 * 4 * H, 4 * H);      // x W_ih^T
      recurrent(h_prev + b0 * H, H, S(0), r + b0 * 4 * H, 4 * H);  // h W_hh^T
      for (int64_t b = b0; b < b1; ++b) {
        S *hn = hp + t * BH + b * H, *cn = cp + t * BH + b * H;
        if (!valid(lens, b, t)) {
          std::memcpy(hn, h_prev + b * H, H * sizeof(S));
          std::memcpy(cn, c_prev + b * H, H * sizeof(S));
          continue;
        }
        forward_row(H, xh + b * 4 * H, r + b * 4 * H, g + b * 4 * H, c_prev + b * H, cn,
                    ch + b * H, hn, rs + 3 * b, p);
      }
    }
  });
}

// The reverse sweep. dx_proj receives the gradient of x_t W_ih^T of every step.
template <typename S>
void run_backward(const Tensor& dhs, Tensor& dh, Tensor& dc, const Tensor& c0,
                  const Tensor& w, const Gains<S>& p, const int64_t* lens, const Tensor& cs,
                  const Tensor& gates, const Tensor& xhat, const Tensor& rhat,
                  const Tensor& chat, const Tensor& rstd, Tensor& dx_proj, Tensor& dr,
                  Tensor& acc) {
  const int64_t steps = dr.size(0), B = dr.size(1), H = dc.size(1), BH = B * H;
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
        S* dgr = dx_proj.data_ptr<S>() + row * 4 * H;
        if (!valid(lens, b, t)) {
          for (int64_t j = 0; j < H; ++j) dhn[b * H + j] = dhp[b * H + j] + dy[row * H + j];
          std::memset(dgr, 0, 4 * H * sizeof(S));
          std::memset(drt + b * 4 * H, 0, 4 * H * sizeof(S));
          continue;
        }
        backward_row(H, dhp + b * H, dy + row * H, dc.data_ptr<S>() + b * H,
                     gates.data_ptr<S>() + row * 4 * H, c_prev + b * H,
                     chat.data_ptr<S>() + row * H, rhat.data_ptr<S>() + row * 4 * H,
                     xhat.data_ptr<S>() + row * 4 * H, rstd.data_ptr<S>() + row * 3, dgr,
                     drt + b * 4 * H, acc.data_ptr<S>() + b * 14 * H,
                     tmp.data_ptr<S>() + b * H, p);
        std::memset(dhn + b * H, 0, H * sizeof(S));
      }
      recurrent(drt + b0 * 4 * H, 4 * H, S(1), dhn + b0 * H, H);  // += dr_t W_hh
      std::swap(dhp, dhn);
    }
  });
  if (steps % 2) std::swap(dh, dh_prev);  // the last step wrote into dh_prev
}

template <typename S>
Gains<S> gains(const Tensor& ln_ih, const c10::optional<Tensor>& bias, const Tensor& zeros,
               const Tensor& ln_hh, const Tensor& ln_c_w, const Tensor& ln_c_b) {
  const S* shift = optional_ptr_defined(bias) ? bias->data_ptr<S>() : zeros.data_ptr<S>();
  return {ln_ih.data_ptr<S>(), ln_hh.data_ptr<S>(), shift, ln_c_w.data_ptr<S>(),
          ln_c_b.data_ptr<S>()};
}

}  // namespace

std::vector<Tensor> layernorm_lstm_forward(const Tensor& x, const Tensor& w_ih,
                                           const Tensor& ln_ih,
                                           const c10::optional<Tensor>& bias,
                                           const Tensor& h0, const Tensor& c0,
                                           const Tensor& w_hh, const Tensor& ln_hh,
                                           const Tensor& ln_c_w, const Tensor& ln_c_b,
                                           const c10::optional<Tensor>& lengths, bool save) {
  const int64_t steps = x.size(0), B = x.size(1), H = c0.size(1);
  check_inputs("layernorm_lstm_forward", x, w_ih.size(1), w_hh);
  TORCH_CHECK(w_ih.is_contiguous() && w_ih.size(0) == 4 * H,
              "layernorm_lstm_forward: expected a contiguous W_ih of shape (4H, I)");
  const int64_t kept = save ? steps : 1;
  Tensor hs = buffer({steps, B, H}, x.options()), cs = buffer({steps, B, H}, x.options());
  Tensor gates = buffer({kept, B, 4 * H}, x.options());
  Tensor xhat = buffer({kept, B, 4 * H}, x.options());
  Tensor rhat = buffer({kept, B, 4 * H}, x.options());
  Tensor chat = buffer({kept, B, H}, x.options());
  Tensor rstd = at::empty({kept, B, 3}, x.options());  // 1/std of W_hh h, of c, of W_ih x
  Tensor zeros = at::zeros({4 * H}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "layernorm_lstm_forward", [&] {
    using S = scalar_t;
    run_forward<S>(x, w_ih, h0, c0, w_hh, gains<S>(ln_ih, bias, zeros, ln_hh, ln_c_w, ln_c_b),
                   lengths_ptr(lengths), hs, cs, gates, xhat, rhat, chat, rstd, save);
  });
  return {hs, cs, gates, xhat, rhat, chat, rstd};
}

std::vector<Tensor> layernorm_lstm_backward(
    const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n, const Tensor& x,
    const Tensor& w_ih, const Tensor& ln_ih, const c10::optional<Tensor>& bias,
    const Tensor& h0, const Tensor& c0, const Tensor& w_hh, const Tensor& ln_hh,
    const Tensor& ln_c_w, const Tensor& ln_c_b, const c10::optional<Tensor>& lengths,
    const Tensor& hs, const Tensor& cs, const Tensor& gates, const Tensor& xhat,
    const Tensor& rhat, const Tensor& chat, const Tensor& rstd, bool need_dx) {
  Tensor dh = dh_n.clone(), dc = dc_n.clone(), dy = dhs.contiguous();
  const int64_t steps = x.size(0), B = gates.size(1), H = chat.size(2);
  check_steps("layernorm_lstm_backward", steps);
  Tensor dxw = buffer(gates.sizes(), gates.options());  // (T, B, 4H): of x_t W_ih^T
  Tensor dr = buffer(gates.sizes(), gates.options());   // (T, B, 4H): of h_{t-1} W_hh^T
  Tensor acc = at::zeros({B, 14 * H}, gates.options());  // per-row sums of gain grads
  Tensor zeros = at::zeros({4 * H}, x.options());
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "layernorm_lstm_backward", [&] {
    using S = scalar_t;
    run_backward<S>(dy, dh, dc, c0, w_hh,
                    gains<S>(ln_ih, bias, zeros, ln_hh, ln_c_w, ln_c_b), lengths_ptr(lengths),
                    cs, gates, xhat, rhat, chat, rstd, dxw, dr, acc);
  });
  Tensor dxw2 = dxw.view({steps * B, 4 * H});
  Tensor dx = need_dx ? at::mm(dxw2, w_ih).view(x.sizes()) : Tensor();  // (T, B, I)
  Tensor dw_ih = outer_sum(dxw2, x.reshape({steps * B, x.size(2)}));    // (4H, I)
  Tensor sums = acc.sum(0);  // (14H,) = [ln_hh 4H, ln_c_w H, ln_c_b H, ln_ih 4H, bias 4H]
  Tensor d_bias = optional_ptr_defined(bias) ? sums.narrow(0, 10 * H, 4 * H).clone() : Tensor();
  return {dx, dw_ih, sums.narrow(0, 6 * H, 4 * H).clone(), d_bias, dh, dc,
          weight_grad(dr, h0, hs), sums.narrow(0, 0, 4 * H).clone(),
          sums.narrow(0, 4 * H, H).clone(), sums.narrow(0, 5 * H, H).clone()};
}

}  // namespace lstmkit
