"""JAX-style function transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp.

Rules of the road (API.md §10):
- arguments given as ndarrays (or Python numbers) come back as ndarrays (numbers) from the
  outermost transform; inside a nested transform values are Tensors so the outer one sees
  through them;
- transforms never touch ``.grad``; an input that does not influence the output gets a zero
  gradient of its shape;
- each transform differentiates with respect to fresh copies of its inputs, and forward mode
  tags tangents with a level, so nested derivatives never confuse their perturbations.
"""
import functools
import itertools

import numpy as np

from ..core.backward import backward
from ..core.modes import STATE, enable_grad
from ..ops.shape import astype, copy, moveaxis, reshape, stack
from ..tensor import Tensor
from .pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "jacrev", "jacfwd", "hessian", "hvp"]

_levels = itertools.count(1)


def _is_traced(x):
    T = Tensor
    return isinstance(x, T) and (x.requires_grad or bool(x._tangents))


def _prepare(leaf):
    """A fresh differentiable copy of one input leaf (connected to outer graphs and tangents)."""
    T = Tensor
    if isinstance(leaf, T):
        if leaf.dtype.kind != "f":
            raise TypeError(f"grad: can only differentiate with respect to floating-point inputs, "
                            f"got dtype {leaf.dtype}")
        if leaf.requires_grad:
            with enable_grad():
                return copy(leaf)
        fresh = T._wrap(leaf.data)
        fresh._requires_grad = True
        fresh._tangents = dict(leaf._tangents) if leaf._tangents else None
        return fresh
    array = np.asarray(leaf)
    if array.dtype.kind in "iub":
        raise TypeError(f"grad: can only differentiate with respect to floating-point inputs, "
                        f"got an integer/bool argument {leaf!r}")
    if array.dtype == object:
        raise TypeError(f"grad: unsupported argument type {type(leaf).__name__}")
    fresh = T._wrap(array.copy() if isinstance(leaf, np.ndarray) else np.array(array, dtype=np.float64))
    fresh._requires_grad = True
    return fresh


def _output(value, like, nested):
    """Convert a result for the caller: Tensors inside transforms, the caller's type outside."""
    T = Tensor
    if nested:
        return value
    if isinstance(like, T):
        return value.detach() if isinstance(value, T) and value.node is not None else value
    data = value.data if isinstance(value, T) else np.asarray(value)
    if isinstance(like, np.ndarray) or not np.isscalar(like):
        return data
    return data.item() if data.size == 1 and data.ndim == 0 else data


def _argnums_tuple(argnums, n):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -n <= a < n:
            raise ValueError(f"argnums {argnums} is out of range for a function called with {n} "
                             "positional arguments")
    return tuple(a % n for a in nums)


class _Transform:
    """Enter/exit bookkeeping shared by every transform."""

    def __init__(self, args):
        self.nested = STATE.transforms > 0 or any(_is_traced(leaf) for a in args
                                                  for leaf in tree_flatten(a)[0])

    def __enter__(self):
        STATE.transforms += 1
        self._grad = enable_grad()
        self._grad.__enter__()
        return self

    def __exit__(self, *exc):
        self._grad.__exit__(*exc)
        STATE.transforms -= 1
        return False


def _zeros_for(x):
    T = Tensor
    return T._wrap(np.zeros(x.shape, dtype=x.dtype))


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning ``(f(*args), gradient of f w.r.t. args[argnums])``; f must return a scalar.

    With ``has_aux=True`` f returns ``(value, aux)`` and the result is ``((value, aux), grad)``.
    """
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args))
        with _Transform(args) as t:
            args = list(args)
            specs, fresh_leaves, originals = {}, {}, {}
            for i in nums:
                leaves, spec = tree_flatten(args[i])
                fresh = [_prepare(leaf) for leaf in leaves]
                specs[i], fresh_leaves[i], originals[i] = spec, fresh, leaves
                args[i] = tree_unflatten(spec, fresh)
            result = f(*args, **kwargs)
            if has_aux:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise TypeError("has_aux=True: f must return a pair (value, aux)")
                value, aux = result
            else:
                value, aux = result, None
            T = Tensor
            if not isinstance(value, T):
                array = np.asarray(value) if isinstance(value, (np.ndarray, np.generic, int,
                                                                  float, bool)) else None
                if array is None or array.dtype.kind not in "biuf":
                    raise TypeError(f"grad: f must return a scalar Tensor, array or number, got "
                                    f"{type(value).__name__}" + (
                                        " (did f forget to return its value?)" if value is None
                                        else ""))
                value = T._wrap(array)
            if value.size != 1:
                raise TypeError(f"grad requires f to return a scalar, got an output of shape "
                                f"{tuple(value.shape)}; use vjp or jacobian for non-scalar outputs")
            flat = [x for i in nums for x in fresh_leaves[i]]
            if value.requires_grad:
                seed = np.ones(value.shape, dtype=value.dtype)
                if t.nested:
                    seed = T._wrap(seed)
                grads = backward([value], [seed], retain_graph=t.nested, create_graph=t.nested,
                                 inputs=flat, allow_unused=True)
            else:
                grads = [None] * len(flat)
            grads = [_zeros_for(x) if g is None else g for g, x in zip(grads, flat)]
            it = iter(grads)
            out = []
            for i in nums:
                gs = [_output(next(it), leaf, t.nested) for leaf in originals[i]]
                out.append(tree_unflatten(specs[i], gs))
            grad_result = out[0] if isinstance(argnums, int) else tuple(out)
            like = _like_value(originals, nums)
            value_out = _output(value, like, t.nested)
            if has_aux:
                aux = _strip_aux(aux, like, t.nested)
                return (value_out, aux), grad_result
            return value_out, grad_result
    return wrapper


def _like_value(originals, nums):
    """The first differentiated argument as the caller gave it (decides the output type)."""
    leaves = originals[nums[0]] if nums else []
    return leaves[0] if leaves else 0.0


def _strip_aux(aux, like, nested):
    """aux for the caller: as is inside transforms; outside, Tensors become detached Tensors
    (Tensor arguments) or ndarrays (ndarray / number arguments)."""
    if nested:
        return aux
    T = Tensor
    if isinstance(like, T):
        return _tree_map_leaves(lambda v: v.detach() if isinstance(v, T) else v, aux)
    return _tree_map_leaves(lambda v: v.data if isinstance(v, T) else v, aux)


def _tree_map_leaves(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten(spec, [fn(x) for x in leaves])


def grad(f, argnums=0, has_aux=False):
    """The gradient of scalar-valued ``f`` w.r.t. argument(s) ``argnums`` (int or tuple).

    ``grad(f)(x)`` has x's shape (and type: ndarray in, ndarray out). With ``has_aux=True``
    returns ``(grad, aux)``. Nests to any order: ``grad(grad(f))``.
    """
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        (value_aux, g) = vg(*args, **kwargs)
        if has_aux:
            return g, value_aux[1]
        return g
    return wrapper


def vjp(f, *primals, has_aux=False):
    """``(out, vjp_fn)``: ``vjp_fn(cotangent)`` returns a tuple, one gradient per primal.

    ``vjp_fn`` may be called several times (the graph is kept while it lives).
    """
    with _Transform(primals) as t:
        specs, fresh_all, originals = [], [], []
        args = []
        for p in primals:
            leaves, spec = tree_flatten(p)
            fresh = [_prepare(leaf) for leaf in leaves]
            specs.append(spec)
            fresh_all.append(fresh)
            originals.append(leaves)
            args.append(tree_unflatten(spec, fresh))
        result = f(*args)
        aux = None
        if has_aux:
            result, aux = result
        out_leaves, out_spec = tree_flatten(result)
        T = Tensor
        out_leaves = [o if isinstance(o, T) else T._wrap(np.asarray(o)) for o in out_leaves]
    nested = t.nested
    flat_inputs = [x for fresh in fresh_all for x in fresh]

    def vjp_fn(cotangent):
        cot_leaves, _ = tree_flatten(cotangent)
        if len(cot_leaves) != len(out_leaves):
            raise ValueError(f"vjp: the cotangent has {len(cot_leaves)} leaves but f's output "
                             f"has {len(out_leaves)}")
        with _Transform((cotangent,)) as t2:
            inner_nested = nested or t2.nested
            roots, seeds = [], []
            for o, c in zip(out_leaves, cot_leaves):
                c_data = c.data if isinstance(c, T) else np.asarray(c, dtype=o.dtype)
                if c_data.shape != o.shape:
                    raise ValueError(f"vjp: cotangent of shape {c_data.shape} for an output of "
                                     f"shape {tuple(o.shape)}")
                if o.requires_grad:
                    roots.append(o)
                    seeds.append(c if inner_nested and isinstance(c, T) else
                                 (T._wrap(c_data) if inner_nested else c_data))
            if roots:
                grads = backward(roots, seeds, retain_graph=True, create_graph=inner_nested,
                                 inputs=flat_inputs, allow_unused=True)
            else:
                grads = [None] * len(flat_inputs)
            grads = [_zeros_for(x) if g is None else g for g, x in zip(grads, flat_inputs)]
            it = iter(grads)
            out = []
            for spec, leaves in zip(specs, originals):
                out.append(tree_unflatten(spec, [_output(next(it), leaf, inner_nested)
                                                 for leaf in leaves]))
            return tuple(out)

    like = originals[0][0] if originals and originals[0] else 0.0
    primal_out = tree_unflatten(out_spec, [_output(o if nested else o.detach(), like, nested)
                                           for o in out_leaves])
    if has_aux:
        return primal_out, vjp_fn, _strip_aux(aux, like, nested)
    return primal_out, vjp_fn


def jvp(f, primals, tangents, has_aux=False):
    """``(f(*primals), J @ tangents)`` in one forward pass carrying tangents (true forward mode).

    ``primals`` and ``tangents`` are tuples of the same structure and shapes.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (one entry per argument of f)")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    T = Tensor
    level = next(_levels)
    with _Transform(tuple(primals) + tuple(tangents)) as t:
        STATE.levels += 1
        try:
            args = []
            like = None
            for p, tan in zip(primals, tangents):
                p_leaves, spec = tree_flatten(p)
                t_leaves, t_spec = tree_flatten(tan)
                if len(p_leaves) != len(t_leaves):
                    raise ValueError("jvp: primals and tangents must have the same structure")
                fresh = []
                for leaf, tl in zip(p_leaves, t_leaves):
                    like = leaf if like is None else like
                    x = _prepare_primal(leaf)
                    tangent = tl if isinstance(tl, T) else T._wrap(np.asarray(tl, dtype=x.dtype))
                    if tangent.shape != x.shape:
                        raise ValueError(f"jvp: tangent of shape {tuple(tangent.shape)} for a primal "
                                         f"of shape {tuple(x.shape)}")
                    if tangent.dtype != x.dtype:
                        tangent = astype(tangent, x.dtype)
                    tangents_map = dict(x._tangents) if x._tangents else {}
                    tangents_map[level] = tangent
                    x._tangents = tangents_map
                    fresh.append(x)
                args.append(tree_unflatten(spec, fresh))
            result = f(*args)
            aux = None
            if has_aux:
                result, aux = result
            out_leaves, out_spec = tree_flatten(result)
            primal_outs, tangent_outs = [], []
            for o in out_leaves:
                if not isinstance(o, T):
                    o = T._wrap(np.asarray(o))
                tangent = (o._tangents or {}).get(level)
                if tangent is None:
                    tangent = _zeros_for(o)
                primal_outs.append(_strip_level(o, level))
                tangent_outs.append(tangent)
        finally:
            STATE.levels -= 1
    nested = t.nested
    like = 0.0 if like is None else like
    primal_out = tree_unflatten(out_spec, [_output(o, like, nested) for o in primal_outs])
    tangent_out = tree_unflatten(out_spec, [_output(o, like, nested) for o in tangent_outs])
    if has_aux:
        return primal_out, tangent_out, _strip_aux(aux, like, nested)
    return primal_out, tangent_out


def _prepare_primal(leaf):
    T = Tensor
    if isinstance(leaf, T):
        if leaf.requires_grad or leaf._tangents:
            with enable_grad():
                return copy(leaf)
        return T._wrap(leaf.data)
    array = np.asarray(leaf)
    if array.dtype.kind in "iub" or not isinstance(leaf, np.ndarray) and array.dtype.kind != "f":
        array = array.astype(np.float64)
    return T._wrap(array.copy() if isinstance(leaf, np.ndarray) else np.array(array, dtype=np.float64))


def _strip_level(o, level):
    if not o._tangents or level not in o._tangents:
        return o
    T = Tensor
    stripped = T._wrap(o.data)
    stripped.node, stripped._requires_grad = o.node, o.requires_grad
    rest = {lv: t for lv, t in o._tangents.items() if lv != level}
    stripped._tangents = rest or None
    return stripped


def jacobian(f, argnums=0, mode="rev", has_aux=False):
    """The Jacobian of ``f`` w.r.t. ``args[argnums]``: shape ``out.shape + in.shape``.

    ``mode="rev"`` builds it row by row with VJPs (cheap for few outputs), ``"fwd"``
    column by column with JVPs (cheap for few inputs). As in JAX, a pytree output gives
    the same pytree of Jacobians, and a tuple ``argnums`` makes each of them a tuple (one
    Jacobian per argument), so ``jacfwd(jacrev(f, (0, 1)), (0, 1))`` nests as
    ``((d0 d0, d0 d1), (d1 d0, d1 d1))``. With ``has_aux=True`` f returns ``(out, aux)``
    and the result is ``(jacobian, aux)``.
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    @functools.wraps(f)
    def wrapper(*args):
        nums = _argnums_tuple(argnums, len(args))
        T = Tensor
        with _Transform(args) as t:
            selected = [args[i] for i in nums]
            for i, s in zip(nums, selected):
                if not (isinstance(s, (T, np.ndarray)) or np.isscalar(s)):
                    raise TypeError(f"jacobian: argument {i} must be an array, a Tensor or a "
                                    f"number, got {type(s).__name__}")
            in_shapes = [tuple(np.shape(s.data if isinstance(s, T) else s)) for s in selected]

            def f_selected(*values):
                full = list(args)
                for i, v in zip(nums, values):
                    full[i] = v
                return f(*full)

            if mode == "rev" and not t.nested:
                # Outermost: nothing differentiates these rows again, so the VJPs run as a
                # first-order backward (no create_graph), as if this transform were not there.
                STATE.transforms -= 1
                try:
                    out_leaves, out_spec, per_leaf, aux = _jacobian_rev(f_selected, selected,
                                                                        in_shapes, has_aux)
                finally:
                    STATE.transforms += 1
            elif mode == "rev":
                out_leaves, out_spec, per_leaf, aux = _jacobian_rev(f_selected, selected,
                                                                    in_shapes, has_aux)
            else:
                out_leaves, out_spec, per_leaf, aux = _jacobian_fwd(f_selected, selected,
                                                                    in_shapes, has_aux)
            like = selected[0] if not isinstance(selected[0], (int, float)) else np.zeros(())
            results = []
            for jacs in per_leaf:
                jacs = [_output(jac, like, t.nested) for jac in jacs]
                results.append(jacs[0] if isinstance(argnums, int) else tuple(jacs))
            result = tree_unflatten(out_spec, results)
            if has_aux:
                return result, _strip_aux(aux, like, t.nested)
            return result
    return wrapper


def _as_tensor_leaves(tree):
    T = Tensor
    leaves, spec = tree_flatten(tree)
    return [o if isinstance(o, T) else T._wrap(np.asarray(o)) for o in leaves], spec


def _jacobian_rev(f, selected, in_shapes, has_aux):
    """One VJP per output element: rows of the Jacobian, per output leaf and argument."""
    T = Tensor
    if has_aux:
        out, pullback, aux = vjp(f, *selected, has_aux=True)
    else:
        (out, pullback), aux = vjp(f, *selected), None
    out_leaves, out_spec = _as_tensor_leaves(out)
    per_leaf = []
    for li, o in enumerate(out_leaves):
        m = o.size
        rows = [[] for _ in selected]
        for k in range(m):
            cotangents = [T._wrap(np.zeros(other.shape, dtype=_float_dtype(other)))
                          for other in out_leaves]
            cotangents[li].data.reshape(-1)[k] = 1
            grads = pullback(tree_unflatten(out_spec, cotangents))
            for j, g in enumerate(grads):
                rows[j].append(g if isinstance(g, T) else T._wrap(np.asarray(g)))
        jacs = []
        for j, shape in enumerate(in_shapes):
            if m == 0 or int(np.prod(shape)) == 0:
                jacs.append(T._wrap(np.zeros(o.shape + shape, dtype=_float_dtype(o))))
            else:
                jacs.append(reshape(stack(rows[j]), o.shape + shape))
        per_leaf.append(jacs)
    return out_leaves, out_spec, per_leaf, aux


def _jacobian_fwd(f, selected, in_shapes, has_aux):
    """One JVP per input element: columns of the Jacobian, per output leaf and argument."""
    T = Tensor
    dtypes = [_float_dtype(s) for s in selected]
    columns = None                      # [leaf][argument] -> list of tangent columns
    out_leaves = out_spec = aux = None
    for j, shape in enumerate(in_shapes):
        n = int(np.prod(shape))
        for k in range(n):
            tangents = [T._wrap(np.zeros(sh, dtype=dt)) for sh, dt in zip(in_shapes, dtypes)]
            tangents[j].data.reshape(-1)[k] = 1
            if has_aux:
                out, tangent_out, aux = jvp(f, tuple(selected), tuple(tangents), has_aux=True)
            else:
                out, tangent_out = jvp(f, tuple(selected), tuple(tangents))
            if columns is None:
                out_leaves, out_spec = _as_tensor_leaves(out)
                columns = [[[] for _ in selected] for _ in out_leaves]
            for li, tl in enumerate(_as_tensor_leaves(tangent_out)[0]):
                columns[li][j].append(tl)
    if columns is None:                 # every argument is empty: evaluate f once for shapes
        out = f(*selected)
        if has_aux:
            out, aux = out
        out_leaves, out_spec = _as_tensor_leaves(out)
        columns = [[[] for _ in selected] for _ in out_leaves]
    per_leaf = []
    for li, o in enumerate(out_leaves):
        jacs = []
        for j, shape in enumerate(in_shapes):
            cols = columns[li][j]
            if not cols:
                jacs.append(T._wrap(np.zeros(o.shape + shape, dtype=_float_dtype(o))))
            else:
                stacked = stack(cols)                       # (n,) + out.shape
                jacs.append(reshape(moveaxis(stacked, 0, -1), o.shape + shape))
        per_leaf.append(jacs)
    return out_leaves, out_spec, per_leaf, aux


def _float_dtype(x):
    dtype = getattr(x, "dtype", None)
    dtype = np.result_type(x) if dtype is None else np.dtype(dtype)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def jacrev(f, argnums=0, has_aux=False):
    """Jacobian by reverse mode (one VJP per output element)."""
    return jacobian(f, argnums, mode="rev", has_aux=has_aux)


def jacfwd(f, argnums=0, has_aux=False):
    """Jacobian by forward mode (one JVP per input element)."""
    return jacobian(f, argnums, mode="fwd", has_aux=has_aux)


def hessian(f, argnums=0, has_aux=False):
    """The Hessian of scalar ``f``: ``jacfwd(jacrev(f))``, shape ``in.shape + in.shape``.

    A tuple ``argnums`` gives the nested blocks ``((H00, H01), (H10, H11))``.
    """
    return jacfwd(jacrev(f, argnums, has_aux=has_aux), argnums, has_aux=has_aux)


def hvp(f, primals, tangents):
    """Hessian-vector product of scalar ``f`` at ``primals`` along ``tangents``, without the Hessian.

    Forward-over-reverse (``jvp`` of ``grad``): one forward pass carrying tangents through
    the gradient computation. Returns a tuple, one entry per primal.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    argnums = tuple(range(len(primals)))
    _, tangent_out = jvp(grad(f, argnums=argnums), primals, tangents)
    return tuple(tangent_out)
