"""gradcheck / gradgradcheck: compare autodiff with central finite differences in float64.

Reverse mode is checked element by element through a random cotangent u:
the analytic ``J^T u`` against ``(f(x + eps e_j) - f(x - eps e_j)) / 2eps . u``; on a
mismatch the message names the Jacobian entry (output and its element, input and its
element) whose analytic and numerical values disagree, as PyTorch's gradcheck.
Forward mode (where the ops define JVPs) is checked along a random direction v:
``J v`` against ``(f(x + eps v) - f(x - eps v)) / 2eps``.
"""
import numpy as np

import warnings

from ..core.backward import backward
from ..core.modes import enable_grad, no_grad
from ..tensor import Tensor
from .transforms import jvp

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical derivatives disagree."""


def _as_outputs(result):
    T = Tensor
    if isinstance(result, (tuple, list)):
        return [r for r in result if isinstance(r, T) and r.dtype.kind == "f"]
    return [result] if isinstance(result, T) and result.dtype.kind == "f" else []


def _prepare_inputs(inputs):
    T = Tensor
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    prepared, checked = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, T) and x.dtype.kind == "f":
            leaf = T(x.data.astype(np.float64))
            leaf.requires_grad = True
            prepared.append(leaf)
            checked.append(i)
        elif isinstance(x, np.ndarray) and x.dtype.kind == "f" or isinstance(x, float):
            leaf = T(np.array(x, dtype=np.float64))
            leaf.requires_grad = True
            prepared.append(leaf)
            checked.append(i)
        else:
            prepared.append(x)
    return prepared, checked


def _evaluate(f, values):
    with no_grad():
        outs = _as_outputs(f(*values))
    return [o.data.astype(np.float64) for o in outs]


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _jacobian_entry(f, values, leaf, j, plus, minus, eps, atol, rtol, limit=4096):
    """After a mismatch along the cotangent: the first Jacobian entry d out_n[k] / d leaf[j] where
    reverse mode and central differences disagree, as (n, k, analytic, numerical), or None (the
    entries agree one by one, or the outputs have more than ``limit`` elements)."""
    with enable_grad():
        outs = _as_outputs(f(*values))
    if sum(o.size for o in outs) > limit:
        return None
    for n, (o, p, m) in enumerate(zip(outs, plus, minus)):
        column = (p - m) / (2 * eps)
        for k in np.ndindex(*o.shape):
            a = 0.0
            if o.requires_grad:
                seed = np.zeros(o.shape, dtype=o.dtype)
                seed[k] = 1
                (g,) = backward([o], [seed], retain_graph=True, create_graph=False, inputs=[leaf],
                                allow_unused=True)
                if g is not None:
                    a = float(np.asarray(g.data, dtype=np.float64)[j])
            numerical = float(column[k])
            if not np.isclose(a, numerical, rtol=rtol, atol=atol, equal_nan=False):
                return n, k, a, numerical
    return None


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              check_forward=True, check_undefined_grad=True, seed=0):
    """True when f's reverse-mode (and forward-mode) derivatives match central differences.

    Every floating-point input is checked (float64 copies are made; inputs need not
    require grad). On failure the message names the input index, the element index, the
    analytic and the numerical value.
    """
    T = Tensor
    rng = np.random.default_rng(seed)
    values, checked = _prepare_inputs(inputs)
    if not checked:
        raise ValueError("gradcheck: no floating-point inputs to check")
    with enable_grad():
        outs = _as_outputs(f(*values))
    if not outs:
        raise ValueError("gradcheck: f returned no floating-point Tensor")
    cotangents = [rng.standard_normal(o.shape) for o in outs]

    # Reverse mode: J^T u element by element.
    roots = [o for o in outs if o.requires_grad]
    cot_roots = [c for o, c in zip(outs, cotangents) if o.requires_grad]
    leaves = [values[i] for i in checked]
    if roots:
        with enable_grad():
            analytic = backward(roots, cot_roots, retain_graph=False, create_graph=False,
                                inputs=leaves, allow_unused=True)
    else:
        analytic = [None] * len(leaves)
    for k, (i, leaf) in enumerate(zip(checked, leaves)):
        grad = analytic[k]
        grad = np.zeros(leaf.shape) if grad is None else np.asarray(grad.data, dtype=np.float64)
        if grad.shape != leaf.shape:
            return _fail(f"gradcheck: gradient of input {i} has shape {grad.shape}, expected "
                         f"{leaf.shape}", raise_exception)
        base = leaf.data
        for j in np.ndindex(*leaf.shape):
            saved = base[j]
            base[j] = saved + eps
            plus = _evaluate(f, values)
            base[j] = saved - eps
            minus = _evaluate(f, values)
            base[j] = saved
            numerical = sum(float(np.sum((p - m) / (2 * eps) * c))
                            for p, m, c in zip(plus, minus, cotangents))
            a = float(grad[j])
            if not np.isclose(a, numerical, rtol=rtol, atol=atol, equal_nan=False):
                entry = _jacobian_entry(f, values, leaf, j, plus, minus, eps, atol, rtol)
                if entry is not None:
                    n, k, a_entry, n_entry = entry
                    return _fail(
                        f"gradcheck: Jacobian mismatch for output {n} at element index {k} "
                        f"with respect to input {i} at element index {j}: analytic "
                        f"{a_entry!r} vs numerical {n_entry!r} (reverse mode; atol={atol}, "
                        f"rtol={rtol})", raise_exception)
                return _fail(
                    f"gradcheck: reverse-mode mismatch for input {i} at element index {j}: "
                    f"analytic {a!r} vs numerical {numerical!r} (along a random output "
                    f"cotangent; atol={atol}, rtol={rtol})", raise_exception)

    # Forward mode: J v along a random direction, if every op on the path has a JVP rule.
    if check_forward:
        directions = [rng.standard_normal(values[i].shape) for i in checked]

        def f_checked(*xs):
            full = list(values)
            for i, x in zip(checked, xs):
                full[i] = x
            return f(*full)

        primals = tuple(T(values[i].data.copy(), requires_grad=True) for i in checked)
        try:
            _, tangent_out = jvp(lambda *xs: tuple(_as_outputs(f_checked(*xs))), primals,
                                 tuple(T(d) for d in directions))
        except NotImplementedError as missing:
            # API.md: forward mode is checked "where the ops support it" -- say when it wasn't.
            warnings.warn(f"gradcheck: forward mode not checked ({missing})", stacklevel=2)
            return True
        base_values = [values[i].data.copy() for i in checked]
        for i, b, d in zip(checked, base_values, directions):
            values[i].data[...] = b + eps * d
        plus = _evaluate(f, values)
        for i, b, d in zip(checked, base_values, directions):
            values[i].data[...] = b - eps * d
        minus = _evaluate(f, values)
        for i, b in zip(checked, base_values):
            values[i].data[...] = b
        for n, (t_out, p, m) in enumerate(zip(tangent_out, plus, minus)):
            numerical = (p - m) / (2 * eps)
            analytic_t = np.asarray(t_out.data if isinstance(t_out, T) else t_out, dtype=np.float64)
            analytic_t = np.broadcast_to(analytic_t, numerical.shape)
            close = np.isclose(analytic_t, numerical, rtol=rtol, atol=atol)
            if not close.all():
                j = tuple(int(v) for v in np.argwhere(~close)[0])
                return _fail(
                    f"gradcheck: forward-mode mismatch for output {n} at element index {j} "
                    f"(a random direction over inputs {checked}): analytic "
                    f"{float(analytic_t[j])!r} vs numerical {float(numerical[j])!r} "
                    f"(atol={atol}, rtol={rtol})", raise_exception)
    return True


def gradgradcheck(f, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, check_forward=True, seed=0):
    """Check second derivatives: gradcheck of (inputs, u) -> J(inputs)^T u.

    Covers reverse-over-reverse and (with ``check_forward``) forward-over-reverse.
    """
    T = Tensor
    rng = np.random.default_rng(seed + 1)
    values, checked = _prepare_inputs(inputs)
    with enable_grad():
        outs = _as_outputs(f(*values))
    if grad_outputs is None:
        grad_outputs = [rng.standard_normal(o.shape) for o in outs]
    n_in = len(values)

    def first_derivative(*args):
        xs, us = list(args[:n_in]), args[n_in:]
        with enable_grad():
            outs = _as_outputs(f(*xs))
            roots = [o for o in outs if o.requires_grad]
            seeds = [u for o, u in zip(outs, us) if o.requires_grad]
            leaves = [xs[i] for i in checked]
            if not roots:
                return tuple(T(np.zeros(x.shape)) for x in leaves)
            grads = backward(roots, seeds, retain_graph=True, create_graph=True, inputs=leaves,
                             allow_unused=True)
        return tuple(T(np.zeros(x.shape)) if g is None else g for g, x in zip(grads, leaves))

    us = [T(np.asarray(u, dtype=np.float64)) for u in grad_outputs]
    return gradcheck(first_derivative, list(values) + us, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_forward=check_forward, seed=seed)
