// Classic and peephole LSTM (gate order i, f, g, o), forward and backward, and the
// single-step streaming call. Peepholes p (3H,) = [p_i, p_f, p_o] are a template flag.
#include "lstm_rows.h"

namespace lstmkit {
namespace {

template <typename S, bool PEEP>
void run_forward(const Tensor& xp, const Tensor& h0, const Tensor& c0, const Tensor& w,
                 const S* p, const int64_t* lens, Tensor& hs, Tensor& cs, Tensor& gates,
                 bool save) {
  const int64_t steps = xp.size(0), B = xp.size(1), H = c0.size(1), BH = B * H;
  const S *x = xp.data_ptr<S>(), *wp = w.data_ptr<S>();
  const S *h_init = h0.data_ptr<S>(), *c_init = c0.data_ptr<S>();
  S *hp = hs.data_ptr<S>(), *cp = cs.data_ptr<S>(), *gp = gates.data_ptr<S>();
  for (int64_t t = 0; t < steps; ++t) {
    const S* h_prev = prev_state(h_init, hp, t, BH);
    const S* c_prev = prev_state(c_init, cp, t, BH);
    S* g = gp + (save ? t : 0) * 4 * BH;
    gemm(false, true, B, 4 * H, H, h_prev, H, wp, H, S(0), g, 4 * H);  // (B, 4H)
    for_rows(B, 4 * H, [&](int64_t b0, int64_t b1) {
      forward_rows<S, PEEP>(b0, b1, H, x + t * 4 * BH, 4 * H, g, h_prev, c_prev, hp + t * BH,
                            cp + t * BH, p, lens, t);
    });
  }
}

template <typename S, bool PEEP>
void run_backward(const Tensor& dhs, Tensor& dh, Tensor& dc, const Tensor& c0,
                  const Tensor& w, const S* p, const int64_t* lens, const Tensor& cs,
                  const Tensor& gates, Tensor& dg) {
  const int64_t steps = dg.size(0), B = dg.size(1), H = dh.size(1), BH = B * H;
  Tensor dh_prev = at::empty_like(dh);
  const S *dy = dhs.data_ptr<S>(), *wp = w.data_ptr<S>(), *gp = gates.data_ptr<S>();
  const S *c_init = c0.data_ptr<S>(), *cp = cs.data_ptr<S>();
  S* dgp = dg.data_ptr<S>();
  for (int64_t t = steps - 1; t >= 0; --t) {
    S *dhp = dh.data_ptr<S>(), *dhn = dh_prev.data_ptr<S>(), *dgt = dgp + t * 4 * BH;
    for_rows(B, 4 * H, [&](int64_t b0, int64_t b1) {
      backward_rows<S, PEEP>(b0, b1, H, dy + t * BH, dhp, dc.data_ptr<S>(), dhn, dgt, 4 * H,
                             gp + t * 4 * BH, prev_state(c_init, cp, t, BH), cp + t * BH,
                             p, lens, t);
    });
    gemm(false, false, B, H, 4 * H, dgt, 4 * H, wp, H, S(1), dhn, H);  // += dg_t @ W
    std::swap(dh, dh_prev);
  }
}

// Peephole gradients: p_i and p_f saw c_{t-1}, p_o saw c_t.
Tensor peephole_grad(const Tensor& dg, const Tensor& c0, const Tensor& cs) {
  const int64_t H = c0.size(1);
  Tensor c_prev = at::cat({c0.unsqueeze(0), cs.narrow(0, 0, cs.size(0) - 1)});  // (T, B, H)
  return at::cat({(dg.narrow(2, 0, H) * c_prev).sum({0, 1}),
                  (dg.narrow(2, H, H) * c_prev).sum({0, 1}),
                  (dg.narrow(2, 3 * H, H) * cs).sum({0, 1})});
}

}  // namespace

std::vector<Tensor> lstm_forward(const Tensor& xp, const Tensor& h0, const Tensor& c0,
                                 const Tensor& w_hh, const c10::optional<Tensor>& peep,
                                 const c10::optional<Tensor>& lengths, bool save) {
  const int64_t H = c0.size(1);
  check_inputs("lstm_forward", xp, 4 * H, w_hh);
  const bool has_peep = peep.has_value() && peep->defined();
  Tensor hs = at::empty({xp.size(0), xp.size(1), H}, xp.options());  // (T, B, H)
  Tensor cs = at::empty_like(hs);
  Tensor gates = at::empty({save ? xp.size(0) : 1, xp.size(1), 4 * H}, xp.options());
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "lstm_forward", [&] {
    if (has_peep) {
      run_forward<scalar_t, true>(xp, h0, c0, w_hh, peep->data_ptr<scalar_t>(),
                                  lengths_ptr(lengths), hs, cs, gates, save);
    } else {
      run_forward<scalar_t, false>(xp, h0, c0, w_hh, nullptr, lengths_ptr(lengths), hs, cs,
                                   gates, save);
    }
  });
  return {hs, cs, gates};
}

std::vector<Tensor> lstm_backward(const Tensor& dhs, const Tensor& dh_n, const Tensor& dc_n,
                                  const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                                  const c10::optional<Tensor>& peep,
                                  const c10::optional<Tensor>& lengths, const Tensor& hs,
                                  const Tensor& cs, const Tensor& gates) {
  const bool has_peep = peep.has_value() && peep->defined();
  Tensor dh = dh_n.clone(), dc = dc_n.clone(), dy = dhs.contiguous();
  Tensor dg = at::empty_like(gates);  // (T, B, 4H): also the gradient of xp
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_backward", [&] {
    if (has_peep) {
      run_backward<scalar_t, true>(dy, dh, dc, c0, w_hh, peep->data_ptr<scalar_t>(),
                                   lengths_ptr(lengths), cs, gates, dg);
    } else {
      run_backward<scalar_t, false>(dy, dh, dc, c0, w_hh, nullptr, lengths_ptr(lengths), cs,
                                    gates, dg);
    }
  });
  Tensor dw = weight_grad(dg, h0, hs);  // (4H, H)
  Tensor dp = has_peep ? peephole_grad(dg, c0, cs) : Tensor();
  return {dg, dh, dc, dw, dp};
}

std::vector<Tensor> lstm_cell_step(const Tensor& x, const Tensor& h, const Tensor& c,
                                   const Tensor& w_ih, const Tensor& w_hh,
                                   const c10::optional<Tensor>& bias) {
  const int64_t B = x.size(0), I = x.size(1), H = c.size(1);
  Tensor xp = bias.has_value() && bias->defined() ? bias->expand({B, 4 * H}).contiguous()
                                                  : at::zeros({B, 4 * H}, x.options());
  Tensor g = at::empty({B, 4 * H}, x.options());
  Tensor h1 = at::empty({B, H}, x.options()), c1 = at::empty({B, H}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lstm_cell_step", [&] {
    using S = scalar_t;
    gemm(false, true, B, 4 * H, I, x.data_ptr<S>(), I, w_ih.data_ptr<S>(), I, S(1),
         xp.data_ptr<S>(), 4 * H);
    gemm(false, true, B, 4 * H, H, h.data_ptr<S>(), H, w_hh.data_ptr<S>(), H, S(0),
         g.data_ptr<S>(), 4 * H);
    forward_rows<S, false>(0, B, H, xp.data_ptr<S>(), 4 * H, g.data_ptr<S>(), h.data_ptr<S>(),
                           c.data_ptr<S>(), h1.data_ptr<S>(), c1.data_ptr<S>(), nullptr,
                           nullptr, 0);
  });
  return {h1, c1};
}

}  // namespace lstmkit
