// Multiplicative LSTM (Krause et al. 2016): m_t = (W_mx x_t) * (W_mh h_{t-1}) replaces
// h_{t-1} as the gates' recurrent input. xp (T, B, 5H) = [gate part 4H, W_mx x_t H].
#include "lstm_rows.h"

namespace lstmkit {
namespace {

// m = mx * hm for rows [b0, b1) (mx has row stride xs).
template <typename S>
void multiply_rows(int64_t b0, int64_t b1, int64_t H, const S* mx, int64_t xs, const S* hm,
                   S* m) {
  for (int64_t b = b0; b < b1; ++b) {
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) m[b * H + j] = mx[b * xs + j] * hm[b * H + j];
  }
}

// dmx = dm * hm into the last H columns of dxp (row stride xs); dhm = dm * mx.
template <typename S>
void multiply_backward_rows(int64_t b0, int64_t b1, int64_t H, const S* dm, const S* mx,
                            const S* hm, S* dmx, int64_t xs, S* dhm) {
  for (int64_t b = b0; b < b1; ++b) {
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      dmx[b * xs + j] = dm[b * H + j] * hm[b * H + j];
      dhm[b * H + j] = dm[b * H + j] * mx[b * xs + j];
    }
  }
}

template <typename S>
void run_forward(const Tensor& xp, const Tensor& h0, const Tensor& c0, const Tensor& w_mh,
                 const Tensor& w_hh, const int64_t* lens, Tensor& hs, Tensor& cs,
                 Tensor& gates, Tensor& hm, Tensor& m, bool save) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = c0.size(1), BH = B * H;
  const int64_t xs = 5 * H;
  const S *x = xp.data_ptr<S>(), *wm = w_mh.data_ptr<S>(), *wh = w_hh.data_ptr<S>();
  const S *h_init = h0.data_ptr<S>(), *c_init = c0.data_ptr<S>();
  S *hp = hs.data_ptr<S>(), *cp = cs.data_ptr<S>(), *gp = gates.data_ptr<S>();
  for_blocks(B, 5 * H * H, [&](int64_t b0, int64_t b1) {
    const StepGemm<S> to_hm(wm, b1 - b0, H, H, false), to_gates(wh, b1 - b0, 4 * H, H, false);
    for (int64_t t = 0; t < steps; ++t) {
      const S* h_prev = prev_state(h_init, hp, t, BH);
      const S* c_prev = prev_state(c_init, cp, t, BH);
      const S* xt = x + t * B * xs;
      const int64_t k = save ? t : 0;
      S* g = gp + k * 4 * BH;
      S *hmt = hm.data_ptr<S>() + k * BH, *mt = m.data_ptr<S>() + k * BH;
      to_hm(h_prev + b0 * H, H, S(0), hmt + b0 * H, H);  // h W_mh^T (B, H)
      multiply_rows<S>(b0, b1, H, xt + 4 * H, xs, hmt, mt);
      to_gates(mt + b0 * H, H, S(0), g + b0 * 4 * H, 4 * H);  // m W_hh^T (B, 4H)
      forward_rows<S, false>(b0, b1, H, xt, xs, g, h_prev, c_prev, hp + t * BH, cp + t * BH,
                             nullptr, lens, t);
    }
  });
}

template <typename S>
void run_backward(const Tensor& dhs, Tensor& dh, Tensor& dc, const Tensor& xp,
                  const Tensor& c0, const Tensor& w_mh, const Tensor& w_hh,
                  const int64_t* lens, const Tensor& cs, const Tensor& gates,
                  const Tensor& hm, Tensor& dxp, Tensor& dhm) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = dc.size(1), BH = B * H;
  const int64_t xs = 5 * H;
  Tensor dh_prev = at::empty_like(dh), dm = at::empty_like(dc);
  const S *dy = dhs.data_ptr<S>(), *wm = w_mh.data_ptr<S>(), *wh = w_hh.data_ptr<S>();
  const S *c_init = c0.data_ptr<S>(), *cp = cs.data_ptr<S>(), *x = xp.data_ptr<S>();
  S *dmp = dm.data_ptr<S>(), *dx = dxp.data_ptr<S>(), *dcp = dc.data_ptr<S>();
  for_blocks(B, 5 * H * H, [&](int64_t b0, int64_t b1) {
    const StepGemm<S> from_gates(wh, b1 - b0, 4 * H, H, true);
    const StepGemm<S> from_hm(wm, b1 - b0, H, H, true);
    S *cur = dh.data_ptr<S>(), *next = dh_prev.data_ptr<S>();
    for (int64_t t = steps - 1; t >= 0; --t) {
      S *dxt = dx + t * B * xs, *dhmt = dhm.data_ptr<S>() + t * BH;
      backward_rows<S, false>(b0, b1, H, dy + t * BH, cur, dcp, next, dxt, xs,
                              gates.data_ptr<S>() + t * 4 * BH, prev_state(c_init, cp, t, BH),
                              cp + t * BH, nullptr, nullptr, lens, t);
      from_gates(dxt + b0 * xs, xs, S(0), dmp + b0 * H, H);  // dm = dg_t W_hh
      multiply_backward_rows<S>(b0, b1, H, dmp, x + t * B * xs + 4 * H,
                                hm.data_ptr<S>() + t * BH, dxt + 4 * H, xs, dhmt);
      from_hm(dhmt + b0 * H, H, S(1), next + b0 * H, H);  // += dhm_t W_mh
      std::swap(cur, next);
    }
  });
  if (steps % 2) std::swap(dh, dh_prev);  // the last step wrote into dh_prev
}

}  // namespace

std::vector<Tensor> mlstm_forward(const Tensor& xp, const Tensor& h0, const Tensor& c0,
                                  const Tensor& w_mh, const Tensor& w_hh,
                                  const c10::optional<Tensor>& lengths, bool save) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = c0.size(1);
  check_inputs("mlstm_forward", xp, 5 * H, w_hh);
  TORCH_CHECK(h0.size(1) == H && w_mh.is_contiguous(),
              "mlstm_forward: expected no projection and a contiguous W_mh");
  Tensor hs = buffer({steps, B, H}, xp.options()), cs = buffer({steps, B, H}, xp.options());
  const int64_t kept = save ? steps : 1;
  Tensor gates = buffer({kept, B, 4 * H}, xp.options());
  Tensor hm = buffer({kept, B, H}, xp.options()), m = buffer({kept, B, H}, xp.options());
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "mlstm_forward", [&] {
    run_forward<scalar_t>(xp, h0, c0, w_mh, w_hh, lengths_ptr(lengths), hs, cs, gates, hm, m,
                          save);
  });
  return {hs, cs, gates, hm, m};
}

std::vector<Tensor> mlstm_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n,
                                   const Tensor& xp, const Tensor& h0, const Tensor& c0,
                                   const Tensor& w_mh, const Tensor& w_hh,
                                   const c10::optional<Tensor>& lengths, const Tensor& hs,
                                   const Tensor& cs, const Tensor& gates, const Tensor& hm,
                                   const Tensor& m) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = c0.size(1);
  check_steps("mlstm_backward", steps);
  Tensor dh = dh_n.clone(), dc = dc_n.clone(), dy = dhs.contiguous();
  Tensor dxp = buffer(xp.sizes(), xp.options());  // (T, B, 5H)
  Tensor dhm = buffer(hm.sizes(), hm.options());  // (T, B, H)
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "mlstm_backward", [&] {
    run_backward<scalar_t>(dy, dh, dc, xp, c0, w_mh, w_hh, lengths_ptr(lengths), cs, gates,
                           hm, dxp, dhm);
  });
  Tensor dg = dxp.narrow(2, 0, 4 * H).reshape({steps * B, 4 * H});  // (TB, 4H), strided
  Tensor dw_hh = outer_sum(dg, m.reshape({steps * B, H}));         // (4H, H)
  Tensor dw_mh = weight_grad(dhm, h0, hs);                         // (H, H)
  return {dxp, dh, dc, dw_mh, dw_hh};
}

}  // namespace lstmkit
