"""The benchmark workloads, each as a one-training-step closure for chainrule, for PyTorch and,
for W1-W3, as a hand-written NumPy step (the reference of the peak-RSS target and of the
"hand-written NumPy is 0.54x PyTorch" remarks in the speed issue).

W1 MLP 784-512-512-10, ReLU, softmax cross-entropy (mean), batch 128, one SGD step (lr 0.01)
W2 LeNet-like CNN, batch 64x1x28x28: conv 1->16 5x5 pad 2, ReLU, maxpool 2, conv 16->32 5x5,
   ReLU, maxpool 2, flatten, linear 800->128, ReLU, linear 128->10, cross-entropy, one SGD step
W3 nn.LSTM seq 32, batch 32, input 64, hidden 128 -> last hidden -> linear 10, cross-entropy,
   one SGD step
W6 GEMM-bound MLP 4096-4096-4096-10, batch 512, one SGD step, against the NumPy matmul floor

All float32. ``chainrule_step``, ``torch_step`` and ``numpy_step`` return a closure doing one
step; ``group`` wraps them for ``_common.measure_isolated``. ``check_numpy_reference()`` (run by
``python benchmarks/run.py --check``) verifies the hand-written NumPy steps against chainrule:
same weights, same data, losses and parameter updates must agree.
"""
import numpy as np

WORKLOADS = {
    "W1": "MLP 784-512-512-10 step, batch 128",
    "W2": "LeNet-like CNN step, batch 64",
    "W3": "LSTM(64->128) seq 32 batch 32 step",
    "W6": "MLP 4096-4096-4096-10 step, batch 512",
}

# Workloads that have a hand-written NumPy training step (W6 is compared with its matmul floor).
NUMPY_STEP_WORKLOADS = ("W1", "W2", "W3")
LR = 0.01


def _data(workload, seed=0):
    rng = np.random.default_rng(seed)
    if workload == "W1":
        return rng.standard_normal((128, 784)).astype(np.float32), rng.integers(0, 10, 128)
    if workload == "W2":
        return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)
    if workload == "W3":
        return rng.standard_normal((32, 32, 64)).astype(np.float32), rng.integers(0, 10, 32)
    if workload == "W6":
        return rng.standard_normal((512, 4096)).astype(np.float32), rng.integers(0, 10, 512)
    raise ValueError(f"unknown workload {workload!r}; expected one of {sorted(WORKLOADS)}")


def chainrule_model(workload):
    """The chainrule model of ``workload`` (parameters in the current default float dtype)."""
    import chainrule as cr
    import chainrule.nn as nn
    cr.manual_seed(0)
    if workload == "W1":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    if workload == "W2":
        return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(800, 128), nn.ReLU(), nn.Linear(128, 10))
    if workload == "W3":
        class LSTMHead(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(64, 128)
                self.head = nn.Linear(128, 10)

            def forward(self, x):
                _, (h, _) = self.lstm(x)
                return self.head(h[-1])
        return LSTMHead()
    if workload == "W6":
        return nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
                             nn.Linear(4096, 10))
    raise ValueError(f"unknown workload {workload!r}; expected one of {sorted(WORKLOADS)}")


def chainrule_step(workload, model=None, dtype=None):
    """A closure doing one forward, loss, backward and SGD update in chainrule; returns the loss.

    ``model`` defaults to ``chainrule_model(workload)``; ``dtype`` (default float32) is the
    dtype of the input batch.
    """
    import chainrule as cr
    import chainrule.nn.functional as F
    if model is None:
        model = chainrule_model(workload)
    x_np, y_np = _data(workload)
    opt = cr.optim.SGD(model.parameters(), lr=LR)
    x, y = cr.tensor(x_np.astype(dtype or np.float32)), cr.tensor(y_np)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def torch_step(workload, threads):
    """A closure doing one forward, loss, backward and SGD update in PyTorch."""
    import torch
    import torch.nn as tnn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x_np, y_np = _data(workload)
    if workload == "W1":
        model = tnn.Sequential(tnn.Linear(784, 512), tnn.ReLU(), tnn.Linear(512, 512), tnn.ReLU(),
                               tnn.Linear(512, 10))
    elif workload == "W2":
        model = tnn.Sequential(tnn.Conv2d(1, 16, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Conv2d(16, 32, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                               tnn.Linear(800, 128), tnn.ReLU(), tnn.Linear(128, 10))
    elif workload == "W3":
        class LSTMHead(tnn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = tnn.LSTM(64, 128)
                self.head = tnn.Linear(128, 10)

            def forward(self, x):
                _, (h, _) = self.lstm(x)
                return self.head(h[-1])
        model = LSTMHead()
    else:
        model = tnn.Sequential(tnn.Linear(4096, 4096), tnn.ReLU(), tnn.Linear(4096, 4096),
                               tnn.ReLU(), tnn.Linear(4096, 10))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = torch.tensor(x_np), torch.tensor(y_np)

    def step():
        loss = tnn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


# --------------------------------------------------------------------------- hand-written NumPy
# The reference a competent NumPy user would write: vectorised, float32 end to end, GEMMs
# through ``@``, no caching or fusion tricks. Parameters are kept in a dict under the names
# chainrule's ``model.named_parameters()`` gives (PyTorch layouts: Linear weight (out, in),
# Conv2d weight (out, in, kh, kw), LSTM weights (4H, in) / (4H, H), gate order i, f, g, o).

def numpy_init(workload, dtype=np.float32, seed=0):
    """PyTorch-style default initial parameters of ``workload``: U(-k, k), k = 1/sqrt(fan_in)
    (k = 1/sqrt(hidden) for the LSTM). Returns {name: ndarray}."""
    rng = np.random.default_rng(seed)

    def uniform(shape, fan_in):
        k = 1 / np.sqrt(fan_in)
        return rng.uniform(-k, k, shape).astype(dtype)

    def linear(prefix, fan_in, fan_out):
        return {f"{prefix}.weight": uniform((fan_out, fan_in), fan_in),
                f"{prefix}.bias": uniform((fan_out,), fan_in)}

    def conv(prefix, c_in, c_out, k):
        return {f"{prefix}.weight": uniform((c_out, c_in, k, k), c_in * k * k),
                f"{prefix}.bias": uniform((c_out,), c_in * k * k)}

    if workload == "W1":
        return {**linear("0", 784, 512), **linear("2", 512, 512), **linear("4", 512, 10)}
    if workload == "W2":
        return {**conv("0", 1, 16, 5), **conv("3", 16, 32, 5), **linear("7", 800, 128),
                **linear("9", 128, 10)}
    if workload == "W3":
        hidden = 128
        return {"lstm.weight_ih_l0": uniform((4 * hidden, 64), hidden),
                "lstm.weight_hh_l0": uniform((4 * hidden, hidden), hidden),
                "lstm.bias_ih_l0": uniform((4 * hidden,), hidden),
                "lstm.bias_hh_l0": uniform((4 * hidden,), hidden),
                **linear("head", hidden, 10)}
    raise ValueError(f"numpy_init: no hand-written NumPy step for workload {workload!r}; "
                     f"expected one of {NUMPY_STEP_WORKLOADS}")


def _softmax_cross_entropy(z, y):
    """Mean softmax cross-entropy of logits ``z`` (N, C) against class indices ``y`` (N,).

    Returns (loss: 0-d array, dloss/dz: (N, C)).
    """
    n = z.shape[0]
    rows = np.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = (np.log(s[:, 0]) - shifted[rows, y]).mean()
    dz = e / s
    dz[rows, y] -= 1
    dz /= n
    return loss, dz


def _mlp_loss_and_grads(p, x, y):
    """W1: x (128, 784) -> Linear 512 -> ReLU -> Linear 512 -> ReLU -> Linear 10 -> CE."""
    w1, b1, w2, b2, w3, b3 = (p[k] for k in ("0.weight", "0.bias", "2.weight", "2.bias",
                                             "4.weight", "4.bias"))
    h1 = x @ w1.T + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2.T + b2
    a2 = np.maximum(h2, 0)
    z = a2 @ w3.T + b3
    loss, dz = _softmax_cross_entropy(z, y)
    dh2 = (dz @ w3) * (h2 > 0)
    dh1 = (dh2 @ w2) * (h1 > 0)
    return loss, {"0.weight": dh1.T @ x, "0.bias": dh1.sum(axis=0),
                  "2.weight": dh2.T @ a1, "2.bias": dh2.sum(axis=0),
                  "4.weight": dz.T @ a2, "4.bias": dz.sum(axis=0)}


def _conv2d_forward(x, w, b, pad):
    """Convolution (cross-correlation, stride 1) by im2col + one GEMM.

    x (N, C, H, W), w (O, C, kh, kw), b (O,) -> (out (N, O, OH, OW), cols (N*OH*OW, C*kh*kw)).
    """
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # N,C,OH,OW,kh,kw
    oh, ow = windows.shape[2:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    out = cols @ w.reshape(o, -1).T + b                                      # (N*OH*OW, O)
    return out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2), cols


def _conv2d_backward(dout, cols, x_shape, w, pad, need_dx=True):
    """Gradients of ``_conv2d_forward``: dout (N, O, OH, OW) -> (dx (x_shape) or None, dw, db).

    dx by col2im: the column gradients are scatter-added back, one kernel offset at a time.
    """
    n, o, oh, ow = dout.shape
    _, c, kh, kw = w.shape
    dout_mat = dout.transpose(0, 2, 3, 1).reshape(n * oh * ow, o)
    dw = (dout_mat.T @ cols).reshape(w.shape)
    db = dout_mat.sum(axis=0)
    if not need_dx:
        return None, dw, db
    dcols = (dout_mat @ w.reshape(o, -1)).reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    h, wd = x_shape[2] + 2 * pad, x_shape[3] + 2 * pad
    dx = np.zeros((n, c, h, wd), dtype=dout.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + oh, j:j + ow] += dcols[:, :, i, j]
    if pad:
        dx = dx[:, :, pad:h - pad, pad:wd - pad]
    return dx, dw, db


def _maxpool2_forward(x):
    """2x2 max pooling, stride 2: x (N, C, H, W) (H, W even) -> (out (N, C, H/2, W/2), argmax)."""
    n, c, h, w = x.shape
    windows = (x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
               .reshape(n, c, h // 2, w // 2, 4))
    idx = windows.argmax(axis=-1)
    return np.take_along_axis(windows, idx[..., None], axis=-1)[..., 0], idx


def _maxpool2_backward(dout, idx, x_shape):
    """Route dout (N, C, H/2, W/2) to the argmax of each window -> dx (x_shape)."""
    n, c, h, w = x_shape
    dwin = np.zeros((n, c, h // 2, w // 2, 4), dtype=dout.dtype)
    np.put_along_axis(dwin, idx[..., None], dout[..., None], axis=-1)
    return dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x_shape)


def _cnn_loss_and_grads(p, x, y):
    """W2: x (64, 1, 28, 28) -> conv 16 5x5 pad 2 -> ReLU -> pool -> conv 32 5x5 -> ReLU -> pool
    -> flatten 800 -> Linear 128 -> ReLU -> Linear 10 -> CE."""
    n = x.shape[0]
    h1, cols1 = _conv2d_forward(x, p["0.weight"], p["0.bias"], pad=2)       # (64, 16, 28, 28)
    a1 = np.maximum(h1, 0)
    p1, idx1 = _maxpool2_forward(a1)                                          # (64, 16, 14, 14)
    h2, cols2 = _conv2d_forward(p1, p["3.weight"], p["3.bias"], pad=0)      # (64, 32, 10, 10)
    a2 = np.maximum(h2, 0)
    p2, idx2 = _maxpool2_forward(a2)                                          # (64, 32, 5, 5)
    f = p2.reshape(n, -1)                                                     # (64, 800)
    h3 = f @ p["7.weight"].T + p["7.bias"]
    a3 = np.maximum(h3, 0)
    z = a3 @ p["9.weight"].T + p["9.bias"]
    loss, dz = _softmax_cross_entropy(z, y)
    dh3 = (dz @ p["9.weight"]) * (h3 > 0)
    df = dh3 @ p["7.weight"]
    dh2 = _maxpool2_backward(df.reshape(p2.shape), idx2, a2.shape) * (h2 > 0)
    dp1, dw3, db3 = _conv2d_backward(dh2, cols2, p1.shape, p["3.weight"], pad=0)
    dh1 = _maxpool2_backward(dp1, idx1, a1.shape) * (h1 > 0)
    _, dw0, db0 = _conv2d_backward(dh1, cols1, x.shape, p["0.weight"], pad=2, need_dx=False)
    return loss, {"0.weight": dw0, "0.bias": db0, "3.weight": dw3, "3.bias": db3,
                  "7.weight": dh3.T @ f, "7.bias": dh3.sum(axis=0),
                  "9.weight": dz.T @ a3, "9.bias": dz.sum(axis=0)}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _lstm_loss_and_grads(p, x, y):
    """W3: x (T, B, 64) -> one-layer LSTM (hidden H = 128, zero initial state, gates i, f, g, o)
    -> last hidden (B, H) -> Linear 10 -> CE; backpropagation through time."""
    w_ih, w_hh = p["lstm.weight_ih_l0"], p["lstm.weight_hh_l0"]
    t_len, batch, n_in = x.shape
    hid = w_hh.shape[1]
    i_, f_, g_, o_ = (slice(k * hid, (k + 1) * hid) for k in range(4))
    # Input projection of all time steps in one GEMM.
    xw = (x.reshape(t_len * batch, n_in) @ w_ih.T).reshape(t_len, batch, 4 * hid)
    xw += p["lstm.bias_ih_l0"] + p["lstm.bias_hh_l0"]
    gates = np.empty_like(xw)                            # activated gates, (T, B, 4H)
    hs = np.zeros((t_len + 1, batch, hid), x.dtype)      # hs[t] = h_{t-1}; hs[0] = h_{-1} = 0
    cs = np.zeros((t_len + 1, batch, hid), x.dtype)      # cs[t] = c_{t-1}
    tanh_c = np.empty((t_len, batch, hid), x.dtype)
    for t in range(t_len):
        pre = xw[t] + hs[t] @ w_hh.T
        a = gates[t]
        a[:] = _sigmoid(pre)
        a[:, g_] = np.tanh(pre[:, g_])
        cs[t + 1] = a[:, f_] * cs[t] + a[:, i_] * a[:, g_]
        tanh_c[t] = np.tanh(cs[t + 1])
        hs[t + 1] = a[:, o_] * tanh_c[t]
    w_head = p["head.weight"]
    z = hs[t_len] @ w_head.T + p["head.bias"]
    loss, dz = _softmax_cross_entropy(z, y)
    dh = dz @ w_head
    dc = np.zeros((batch, hid), x.dtype)
    dpre = np.empty_like(xw)                             # gradients of the gate pre-activations
    for t in reversed(range(t_len)):
        a = gates[t]
        i, f, g, o = a[:, i_], a[:, f_], a[:, g_], a[:, o_]
        dc += dh * o * (1 - tanh_c[t] ** 2)
        d = dpre[t]
        d[:, i_] = dc * g * i * (1 - i)
        d[:, f_] = dc * cs[t] * f * (1 - f)
        d[:, g_] = dc * i * (1 - g ** 2)
        d[:, o_] = dh * tanh_c[t] * o * (1 - o)
        dc *= f
        if t:
            dh = d @ w_hh
    dpre2 = dpre.reshape(t_len * batch, 4 * hid)
    db = dpre2.sum(axis=0)
    return loss, {"lstm.weight_ih_l0": dpre2.T @ x.reshape(t_len * batch, n_in),
                  "lstm.weight_hh_l0": dpre2.T @ hs[:t_len].reshape(t_len * batch, hid),
                  "lstm.bias_ih_l0": db, "lstm.bias_hh_l0": db,
                  "head.weight": dz.T @ hs[t_len], "head.bias": dz.sum(axis=0)}


_NUMPY_LOSS_AND_GRADS = {"W1": _mlp_loss_and_grads, "W2": _cnn_loss_and_grads,
                         "W3": _lstm_loss_and_grads}


def numpy_step(workload, params=None, dtype=np.float32):
    """A closure doing one hand-written NumPy training step of W1, W2 or W3; returns the loss.

    Forward, mean softmax cross-entropy, backward and an SGD update (lr 0.01) in place on
    ``step.params`` ({name: ndarray}, the names of chainrule's ``named_parameters()``).
    ``params`` (copied, cast to ``dtype``) defaults to ``numpy_init(workload, dtype)``.
    """
    if workload not in _NUMPY_LOSS_AND_GRADS:
        raise ValueError(f"numpy_step: no hand-written NumPy step for workload {workload!r}; "
                         f"expected one of {NUMPY_STEP_WORKLOADS}")
    if params is None:
        params = numpy_init(workload, dtype)
    else:
        expected = numpy_init(workload, dtype)
        if set(params) != set(expected) or any(np.shape(params[k]) != v.shape
                                                for k, v in expected.items()):
            raise ValueError(f"numpy_step({workload!r}): parameters "
                             f"{ {k: np.shape(v) for k, v in params.items()} }, expected "
                             f"{ {k: v.shape for k, v in expected.items()} }")
        params = {k: np.array(v, dtype=dtype) for k, v in params.items()}
    x, y = _data(workload)
    x = x.astype(dtype, copy=False)
    loss_and_grads = _NUMPY_LOSS_AND_GRADS[workload]

    def step():
        loss, grads = loss_and_grads(params, x, y)
        for name, g in grads.items():
            params[name] -= LR * g
        return loss
    step.params = params
    return step


def _require(condition, message):
    if not condition:
        raise AssertionError(message)


def check_numpy_reference(workloads=NUMPY_STEP_WORKLOADS, steps=2, out=print):
    """Check each hand-written NumPy step against chainrule's on the same weights and data.

    For float64 and float32: builds the chainrule model, copies its initial weights into the
    NumPy step, runs ``steps`` steps of both and asserts that the losses and every parameter's
    total update (new - initial) agree (max error relative to the update's largest entry:
    1e-8 in float64, 5e-3 in float32), and that the NumPy step stays in the dtype. Prints one
    line per workload; raises AssertionError on a mismatch.
    """
    import chainrule as cr
    tol = {np.float64: (1e-10, 1e-8), np.float32: (1e-5, 5e-3)}      # (loss rtol, update tol)
    for workload in workloads:
        worst = {}
        for dtype in (np.float64, np.float32):
            previous = cr.get_default_dtype()
            cr.set_default_dtype(dtype)
            try:
                model = chainrule_model(workload)
            finally:
                cr.set_default_dtype(previous)
            named = dict(model.named_parameters())
            start = {k: np.array(v.data, copy=True) for k, v in named.items()}
            _require(all(v.dtype == dtype for v in start.values()),
                     f"{workload}: chainrule parameters are not {np.dtype(dtype).name}")
            cr_step = chainrule_step(workload, model=model, dtype=dtype)
            np_step = numpy_step(workload, params=start, dtype=dtype)
            loss_rtol, update_tol = tol[dtype]
            for s in range(steps):
                loss_cr = float(cr_step().item())
                loss_np = np_step()
                _require(loss_np.dtype == dtype,
                         f"{workload}: NumPy loss is {loss_np.dtype}, not {np.dtype(dtype).name}")
                _require(np.isclose(float(loss_np), loss_cr, rtol=loss_rtol, atol=0),
                         f"{workload} {np.dtype(dtype).name} step {s}: loss NumPy "
                         f"{float(loss_np)!r} vs chainrule {loss_cr!r}")
            err = 0.0
            for name, param in named.items():
                new_np = np_step.params[name]
                _require(new_np.dtype == dtype, f"{workload} {name}: NumPy parameter is "
                                                f"{new_np.dtype}, not {np.dtype(dtype).name}")
                d_cr = np.asarray(param.data, np.float64) - start[name].astype(np.float64)
                d_np = new_np.astype(np.float64) - start[name].astype(np.float64)
                scale = np.abs(d_cr).max()
                _require(scale > 0, f"{workload} {name}: chainrule did not update it")
                e = np.abs(d_np - d_cr).max() / scale
                _require(e <= update_tol,
                         f"{workload} {np.dtype(dtype).name} {name}: update differs, max error "
                         f"{e:.2e} of its largest entry {scale:.2e} (tolerance {update_tol})")
                err = max(err, e)
            worst[np.dtype(dtype).name] = (err, loss_cr)
        out(f"{workload}: NumPy step == chainrule step OK ({steps} steps, {len(start)} parameters; "
            f"max update error float64 {worst['float64'][0]:.1e}, "
            f"float32 {worst['float32'][0]:.1e}; "
            f"last loss {worst['float64'][1]:.6f})")


def numpy_floor_w6():
    """The plain NumPy matmuls one W6 step must do (forward, backward for inputs and weights)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 4096)).astype(np.float32)
    w1 = rng.standard_normal((4096, 4096)).astype(np.float32)
    w2 = rng.standard_normal((4096, 4096)).astype(np.float32)
    w3 = rng.standard_normal((4096, 10)).astype(np.float32)
    g = rng.standard_normal((512, 10)).astype(np.float32)

    def step():
        h1 = x @ w1
        h2 = h1 @ w2
        h2 @ w3
        g2 = g @ w3.T
        h2.T @ g
        g1 = g2 @ w2.T
        h1.T @ g2
        x.T @ g1
    return step


def group(lib, workload, threads=2):
    """{name: step} for benchmarks/_common.measure_isolated.

    ``lib``: "chainrule", "torch" or "numpy" (the hand-written step for W1-W3, the matmul
    floor for W6; the names then end in "numpy W1" or "numpy floor W6").
    """
    if lib == "chainrule":
        return {f"chainrule {workload}": chainrule_step(workload)}
    if lib == "torch":
        return {f"torch {workload}": torch_step(workload, threads)}
    if lib == "numpy":
        if workload == "W6":
            return {f"numpy floor {workload}": numpy_floor_w6()}
        return {f"numpy {workload}": numpy_step(workload)}
    raise ValueError(f"group: unknown library {lib!r}; expected 'chainrule', 'torch' or 'numpy'")
