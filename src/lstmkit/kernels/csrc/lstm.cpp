// Classic and peephole LSTM (gate order i, f, g, o), forward and backward, and the
// single-step streaming call. Peepholes p (3H,) = [p_i, p_f, p_o] are a template flag.
#include "lstm_rows.h"

namespace lstmkit {
namespace {

template <typename S, bool PEEP>
void run_forward(const Tensor& x, const Tensor& w_ih, const S* bias, const Tensor& h0,
                 const Tensor& c0, const Tensor& w_hh, const S* p, const int64_t* lens,
                 Tensor& hs, Tensor& cs, Tensor& gates, bool save) {
  const int64_t steps = x.size(0), B = x.size(1), I = x.size(2), H = c0.size(1), BH = B * H;
  if (B == 0) return;  // an empty batch: nothing to pack or run
  const S *xd = x.data_ptr<S>(), *h_init = h0.data_ptr<S>(), *c_init = c0.data_ptr<S>();
  S *hp = hs.data_ptr<S>(), *cp = cs.data_ptr<S>(), *gp = gates.data_ptr<S>();
  std::vector<S> zeros(bias ? 0 : 4 * H, S(0));
  const S* shift = bias ? bias : zeros.data();  // b_ih + b_hh, added in the point-wise pass
  const int64_t size = block_size(B, 4 * H * (H + I));
  std::vector<StepGemm<S>> input, recurrent;  // weights packed once per block of rows
  for (int64_t b0 = 0; b0 < B; b0 += size) {
    input.emplace_back(w_ih.data_ptr<S>(), std::min(size, B - b0), 4 * H, I, false);
    recurrent.emplace_back(w_hh.data_ptr<S>(), std::min(size, B - b0), 4 * H, H, false);
  }
  // Each block of rows runs the whole sequence; a step is x_t W_ih^T + h_{t-1} W_hh^T
  // accumulated in the gate buffer, then the point-wise pass (the projection of a step
  // is computed in the loop: it is still in cache when the point-wise pass reads it).
  for_blocks(B, 4 * H * (H + I), [&](int64_t b0, int64_t b1) {
    const StepGemm<S>& project = input[b0 / size];
    const StepGemm<S>& step_gemm = recurrent[b0 / size];
    for (int64_t t = 0; t < steps; ++t) {
      const S* h_prev = prev_state(h_init, hp, t, BH);
      const S* c_prev = t == 0 ? c_init : cp + (save ? t - 1 : (t - 1) % 2) * BH;
      S* c_next = cp + (save ? t : t % 2) * BH;
      S* g = gp + (save ? t : 0) * 4 * BH;
      project(xd + (t * B + b0) * I, I, S(0), g + b0 * 4 * H, 4 * H);  // x W_ih^T
      step_gemm(h_prev + b0 * H, H, S(1), g + b0 * 4 * H, 4 * H);      // + h W_hh^T
      forward_rows<S, PEEP>(b0, b1, H, shift, 0, g, h_prev, c_prev, hp + t * BH, c_next, p,
                            lens, t);
    }
  });
}

template <typename S, bool PEEP>
void run_backward(const Tensor& dhs, Tensor& dh, Tensor& dc, const Tensor& c0,
                  const Tensor& w, const S* p, const int64_t* lens, const Tensor& cs,
                  const Tensor& gates, Tensor& dg, Tensor& dp) {
  const int64_t steps = dg.size(0), B = dg.size(1), H = dh.size(1), BH = B * H;
  Tensor dh_prev = at::empty_like(dh);
  const S *dy = dhs.data_ptr<S>(), *wp = w.data_ptr<S>(), *gp = gates.data_ptr<S>();
  const S *c_init = c0.data_ptr<S>(), *cp = cs.data_ptr<S>();
  S *dgp = dg.data_ptr<S>(), *dcp = dc.data_ptr<S>();
  for_blocks(B, 4 * H * H, [&](int64_t b0, int64_t b1) {
    const StepGemm<S> recurrent(wp, b1 - b0, 4 * H, H, true);
    S *cur = dh.data_ptr<S>(), *next = dh_prev.data_ptr<S>();
    for (int64_t t = steps - 1; t >= 0; --t) {
      S* dgt = dgp + t * 4 * BH;
      backward_rows<S, PEEP>(b0, b1, H, dy + t * BH, cur, dcp, next, dgt, 4 * H,
                             gp + t * 4 * BH, prev_state(c_init, cp, t, BH), cp + t * BH, p,
                             PEEP ? dp.data_ptr<S>() : nullptr, lens, t);
      recurrent(dgt + b0 * 4 * H, 4 * H, S(1), next + b0 * H, H);  // += dg_t W_hh
      std::swap(cur, next);
    }
  });
  if (steps % 2) std::swap(dh, dh_prev);  // the last step wrote into dh_prev
}

}  // namespace

std::vector<Tensor> lstm_forward(const Tensor& x, const Tensor& w_ih,
                                 const c10::optional<Tensor>& bias, const Tensor& h0,
                                 const Tensor& c0, const Tensor& w_hh,
                                 const c10::optional<Tensor>& peep,
                                 const c10::optional<Tensor>& lengths, bool save) {
  const int64_t steps = x.size(0), B = x.size(1), H = c0.size(1);
  check_inputs("lstm_forward", x, w_ih.size(1), w_hh);
  TORCH_CHECK(w_ih.is_contiguous() && w_ih.size(0) == 4 * H,
              "lstm_forward: expected a contiguous W_ih of shape (4H, I)");
  Tensor hs = buffer({steps, B, H}, x.options());            // (T, B, H)
  Tensor cs = buffer({save ? steps : 2, B, H}, x.options());  // all steps, or 2 in turn
  Tensor gates = buffer({save ? steps : 1, B, 4 * H}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lstm_forward", [&] {
    using S = scalar_t;
    const S *b = optional_ptr<S>(bias), *p = optional_ptr<S>(peep);
    if (p) {
      run_forward<S, true>(x, w_ih, b, h0, c0, w_hh, p, lengths_ptr(lengths), hs, cs, gates,
                           save);
    } else {
      run_forward<S, false>(x, w_ih, b, h0, c0, w_hh, p, lengths_ptr(lengths), hs, cs, gates,
                            save);
    }
  });
  return {hs, save ? cs : cs.narrow(0, (steps - 1) % 2, 1), gates};
}

std::vector<Tensor> lstm_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n,
                                  const Tensor& x, const Tensor& w_ih,
                                  const c10::optional<Tensor>& bias, const Tensor& h0,
                                  const Tensor& c0, const Tensor& w_hh,
                                  const c10::optional<Tensor>& peep,
                                  const c10::optional<Tensor>& lengths, const Tensor& hs,
                                  const Tensor& cs, const Tensor& gates, bool need_dx) {
  const int64_t steps = x.size(0), B = x.size(1), H = c0.size(1);
  check_steps("lstm_backward", steps);
  Tensor dh = dh_n.clone(), dc = dc_n.clone(), dy = dhs.contiguous();
  Tensor dg = buffer(gates.sizes(), gates.options());  // (T, B, 4H): grad of W_ih x_t + b
  const bool has_peep = optional_ptr_defined(peep);
  Tensor dp = has_peep ? at::zeros({B, 3 * H}, x.options()) : Tensor();  // per-row sums
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_backward", [&] {
    using S = scalar_t;
    const S* p = optional_ptr<S>(peep);
    if (p) {
      run_backward<S, true>(dy, dh, dc, c0, w_hh, p, lengths_ptr(lengths), cs, gates, dg, dp);
    } else {
      run_backward<S, false>(dy, dh, dc, c0, w_hh, p, lengths_ptr(lengths), cs, gates, dg,
                             dp);
    }
  });
  Tensor dg2 = dg.view({steps * B, 4 * H});                       // (TB, 4H)
  Tensor dx = need_dx ? at::mm(dg2, w_ih).view(x.sizes()) : Tensor();  // (T, B, I)
  Tensor dw_ih = outer_sum(dg2, x.reshape({steps * B, x.size(2)}));  // (4H, I)
  Tensor db = optional_ptr_defined(bias) ? dg2.sum(0) : Tensor();
  return {dx, dw_ih, db, dh, dc, weight_grad(dg, h0, hs), has_peep ? dp.sum(0) : Tensor()};
}

std::vector<Tensor> lstm_step(const Tensor& x, const Tensor& h, const Tensor& c,
                              at::TensorList weights) {
  const int64_t layers = h.size(0), B = x.size(0), H = c.size(2);
  TORCH_CHECK(layers > 0, "lstm_step: expected at least one layer");
  const int64_t per_layer = static_cast<int64_t>(weights.size()) / layers;  // 2, or 4 with biases
  TORCH_CHECK(per_layer * layers == static_cast<int64_t>(weights.size()) &&
                  (per_layer == 2 || per_layer == 4),
              "lstm_step: expected 2 or 4 weights per layer");
  Tensor h1 = at::empty_like(h), c1 = at::empty_like(c);
  Tensor xp = at::empty({B, 4 * H}, x.options()), g = at::empty_like(xp);
  if (B == 0) return {h1, c1};  // an empty batch: empty states, no GEMM
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lstm_step", [&] {
    using S = scalar_t;
    const S* in = x.data_ptr<S>();
    int64_t width = x.size(1);
    for (int64_t k = 0; k < layers; ++k) {
      const Tensor* w = weights.data() + k * per_layer;  // w_ih, w_hh[, b_ih, b_hh]
      S* xpp = xp.data_ptr<S>();
      if (per_layer == 4) {
        const S *b_ih = w[2].data_ptr<S>(), *b_hh = w[3].data_ptr<S>();
        for (int64_t b = 0; b < B; ++b) {
          for (int64_t j = 0; j < 4 * H; ++j) xpp[b * 4 * H + j] = b_ih[j] + b_hh[j];
        }
      }
      gemm(false, true, B, 4 * H, width, in, width, w[0].data_ptr<S>(), width,
           S(per_layer == 4 ? 1 : 0), xpp, 4 * H);
      gemm(false, true, B, 4 * H, H, h.data_ptr<S>() + k * B * H, H, w[1].data_ptr<S>(), H,
           S(0), g.data_ptr<S>(), 4 * H);
      S* out = h1.data_ptr<S>() + k * B * H;
      forward_rows<S, false>(0, B, H, xpp, 4 * H, g.data_ptr<S>(), h.data_ptr<S>() + k * B * H,
                             c.data_ptr<S>() + k * B * H, out, c1.data_ptr<S>() + k * B * H,
                             nullptr, nullptr, 0);
      in = out;
      width = H;
    }
  });
  return {h1, c1};
}

}  // namespace lstmkit
