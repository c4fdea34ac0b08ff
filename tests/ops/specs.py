"""The op table: one row per function of API.md §2, with its NumPy reference.

Each ``OpSpec`` row names a chainrule function, the NumPy function it must agree
with, how many (differentiable) array arguments it takes, the domain its inputs are
drawn from, the argument shapes to try (broadcasting pairs included) and a grid of
keyword arguments. ``test_op_table.py`` checks every row four ways: forward values
and dtypes against NumPy, gradient shapes and dtypes, reverse- and forward-mode
``cr.gradcheck``, and second order ``cr.gradgradcheck``.

Constants that are not differentiated (index arrays, conditions, split points) are
closed over by the row's ``fn``/``ref``; only the array arguments are inputs.

Domains (``domain``, per row or per argument):
    real      standard normal
    positive  uniform [0.5, 2]            (log, sqrt, power base, ...)
    unit      uniform [-0.8, 0.8]         (arcsin, arccos, arctanh)
    gt1       uniform [1.2, 3]            (arccosh)
    nonzero   +-uniform [0.5, 2]          (divisors, reciprocal)
    distinct  values distinct across *all* inputs, |v| >= 0.25 and 0.13 apart:
              away from kinks (abs, relu at 0) and ties (max, maximum, sort)
    mod       dividend/divisor pairs whose ratio stays away from an integer
"""
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import chainrule as cr


# --------------------------------------------------------------------------- the row
@dataclass(frozen=True)
class OpSpec:
    name: str
    fn: Callable                     # chainrule function of the array args (and **kwargs)
    ref: Callable                    # NumPy reference, same call form on ndarrays
    nargs: int = 1
    domain: object = "real"          # a domain name, or one per argument (tuple)
    shapes: tuple = (((3,),), ((2, 3),))  # each entry: one shape per argument
    kwargs: object = ({},)           # a tuple of dicts, or a callable(shapes) -> list of dicts
    differentiable: bool = True
    second_order: bool = True        # run gradgradcheck
    atol: float = 1e-5
    rtol: float = 1e-3
    fwd_rtol: float = 1e-6           # forward values vs NumPy (float64; float32 uses 1e-5)
    note: str = ""
    marks: tuple = field(default_factory=tuple)

    def kwarg_grid(self, shapes):
        grid = self.kwargs(shapes) if callable(self.kwargs) else self.kwargs
        return list(grid)

    def cases(self):
        """(shapes, kwargs) pairs for this row."""
        return [(shapes, kw) for shapes in self.shapes for kw in self.kwarg_grid(shapes)]


# --------------------------------------------------------------------------- inputs
def _distinct_values(rng, n):
    grid = 0.25 + 0.13 * np.arange(n)
    values = grid * rng.choice([-1.0, 1.0], size=n)
    return rng.permutation(values)


def make_inputs(spec, shapes, dtype=np.float64, seed=0):
    """NumPy arrays for one call of ``spec`` (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    domains = spec.domain if isinstance(spec.domain, tuple) else (spec.domain,) * len(shapes)
    if "distinct" in domains:
        total = sum(int(np.prod(s)) for s, d in zip(shapes, domains) if d == "distinct")
        pool = list(_distinct_values(rng, total))
    if "mod" in domains:
        return [a.astype(dtype) for a in _mod_inputs(rng, shapes)]
    arrays = []
    for shape, domain in zip(shapes, domains):
        if domain == "real":
            a = rng.standard_normal(shape)
        elif domain == "positive":
            a = rng.uniform(0.5, 2.0, shape)
        elif domain == "unit":
            a = rng.uniform(-0.8, 0.8, shape)
        elif domain == "gt1":
            a = rng.uniform(1.2, 3.0, shape)
        elif domain == "nonzero":
            a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], size=shape)
        elif domain == "distinct":
            n = int(np.prod(shape))
            a = np.array(pool[:n]).reshape(shape)
            del pool[:n]
        else:
            raise ValueError(f"unknown domain {domain!r}")
        arrays.append(np.asarray(a, dtype=dtype))
    return arrays


def _mod_inputs(rng, shapes):
    """x, y with x / y = k + f, f in (0.06, 0.94) for every broadcast pair: mod is smooth there.

    |y| lies in [1.4, 1.6] and x = (k + f) * 1.5 with |k + f| < 3, f in [0.25, 0.75], so
    whichever divisor an x element meets, the ratio stays away from an integer.
    """
    sx, sy = shapes
    y = rng.uniform(1.4, 1.6, sy) * rng.choice([-1.0, 1.0], size=sy)
    x = (rng.integers(-2, 2, sx) + rng.uniform(0.25, 0.75, sx)) * 1.5
    return [np.asarray(x), np.asarray(y)]


# --------------------------------------------------------------------------- kwarg grids
def axis_grid(shapes, keepdims=True, tuples=True, none=True):
    """Every axis form for a reduction over shapes[0]: None, each int, negative ints, tuples."""
    nd = len(shapes[0])
    axes = [None] if none else []
    axes += list(range(nd)) + list(range(-nd, 0))
    if tuples and nd >= 2:
        axes += [(0, 1), (-1, 0)]
    if tuples and nd >= 3:
        axes += [(0, 2), (1, 2), (0, 1, 2), (-3, -1)]
    if tuples and nd == 1:
        axes += [(0,)]
    keeps = (False, True) if keepdims else (False,)
    return [dict(axis=a, keepdims=k) for a in axes for k in keeps]


def _axes_only(shapes):
    return [dict(axis=d["axis"]) for d in axis_grid(shapes, keepdims=False)]


REDUCTION_SHAPES = (((),), ((5,),), ((3, 4),), ((2, 3, 2),))


# --------------------------------------------------------------------------- references
def _np_erf(x):
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


def _np_sigmoid(x):
    return (1 / (1 + np.exp(-x))).astype(x.dtype)


def _np_relu(x):
    return np.maximum(x, 0)


def _np_softplus(x):
    return np.logaddexp(0, x).astype(x.dtype)


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out


def _np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_log_softmax(x, axis=-1):
    return np.log(_np_softmax(x, axis=axis))


# --------------------------------------------------------------------------- shapes
UNARY_SHAPES = (((),), ((4,),), ((2, 3),), ((2, 1, 3),))
BINARY_SHAPES = (
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),        # trailing broadcast
    ((3,), (2, 3)),
    ((2, 1), (1, 3)),      # both broadcast
    ((2, 3), ()),          # scalar-shaped operand
    ((2, 1, 3), (2, 1)),   # rank change both ways
)


def _unary(name, fn, ref, domain="real", **kw):
    return OpSpec(name, fn, ref, 1, domain, UNARY_SHAPES, **kw)


def _binary(name, fn, ref, domain="real", **kw):
    return OpSpec(name, fn, ref, 2, domain, BINARY_SHAPES, **kw)


# --------------------------------------------------------------------------- elementwise
ELEMENTWISE = [
    _binary("add", cr.add, np.add),
    _binary("subtract", cr.subtract, np.subtract),
    _binary("multiply", cr.multiply, np.multiply),
    _binary("divide", cr.divide, np.divide, domain=("real", "nonzero")),
    _binary("power", cr.power, np.power, domain=("positive", "real")),
    OpSpec("power_int_exponent", lambda x: cr.power(x, 3), lambda x: np.power(x, 3),
           shapes=UNARY_SHAPES, note="negative bases are fine with an integer exponent"),
    OpSpec("power_float_exponent", lambda x: cr.power(x, 2.5), lambda x: np.power(x, 2.5),
           domain="positive", shapes=UNARY_SHAPES),
    OpSpec("power_scalar_base", lambda y: cr.power(2.0, y), lambda y: np.power(2.0, y),
           shapes=UNARY_SHAPES),
    OpSpec("power_zero_exponent", lambda x: cr.power(x, 0), lambda x: np.power(x, 0),
           shapes=UNARY_SHAPES),
    _unary("negative", cr.negative, np.negative),
    _unary("exp", cr.exp, np.exp),
    _unary("expm1", cr.expm1, np.expm1),
    _unary("exp2", cr.exp2, np.exp2),
    _unary("log", cr.log, np.log, "positive"),
    _unary("log1p", cr.log1p, np.log1p, "positive"),
    _unary("log2", cr.log2, np.log2, "positive"),
    _unary("log10", cr.log10, np.log10, "positive"),
    _unary("sqrt", cr.sqrt, np.sqrt, "positive"),
    _unary("square", cr.square, np.square),
    _unary("reciprocal", cr.reciprocal, np.reciprocal, "nonzero"),
    _unary("sin", cr.sin, np.sin),
    _unary("cos", cr.cos, np.cos),
    _unary("tan", cr.tan, np.tan, "unit"),
    _unary("arcsin", cr.arcsin, np.arcsin, "unit"),
    _unary("arccos", cr.arccos, np.arccos, "unit"),
    _unary("arctan", cr.arctan, np.arctan),
    _binary("arctan2", cr.arctan2, np.arctan2, domain="nonzero"),
    _unary("sinh", cr.sinh, np.sinh),
    _unary("cosh", cr.cosh, np.cosh),
    _unary("tanh", cr.tanh, np.tanh),
    _unary("arcsinh", cr.arcsinh, np.arcsinh),
    _unary("arccosh", cr.arccosh, np.arccosh, "gt1"),
    _unary("arctanh", cr.arctanh, np.arctanh, "unit"),
    _unary("abs", cr.abs, np.abs, "distinct"),
    _unary("absolute", cr.absolute, np.absolute, "distinct"),
    _unary("fabs", cr.fabs, np.fabs, "distinct"),
    _unary("deg2rad", cr.deg2rad, np.deg2rad),
    _unary("rad2deg", cr.rad2deg, np.rad2deg),
    _unary("radians", cr.radians, np.radians),
    _unary("degrees", cr.degrees, np.degrees),
    _binary("maximum", cr.maximum, np.maximum, "distinct"),
    _binary("minimum", cr.minimum, np.minimum, "distinct"),
    _binary("fmax", cr.fmax, np.fmax, "distinct"),
    _binary("fmin", cr.fmin, np.fmin, "distinct"),
    _binary("mod", cr.mod, np.mod, "mod"),
    _binary("remainder", cr.remainder, np.remainder, "mod"),
    OpSpec("clip", cr.clip, np.clip, 1, "distinct", UNARY_SHAPES,
           kwargs=(dict(a_min=-0.5, a_max=0.5), dict(a_min=-0.3, a_max=None),
                   dict(a_min=None, a_max=0.4))),
    OpSpec("clip_positional", lambda x: cr.clip(x, -0.5, 0.6), lambda x: np.clip(x, -0.5, 0.6),
           1, "distinct", UNARY_SHAPES),
    OpSpec("clip_tensor_bounds", cr.clip, np.clip, 3, "distinct",
           (((2, 3), (3,), (2, 1)), ((4,), (), ())),
           note="array bounds are differentiable (maximum/minimum)"),
    OpSpec("where", lambda x, y: cr.where(np.array([True, False, True]), x, y),
           lambda x, y: np.where(np.array([True, False, True]), x, y), 2, "real",
           (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((2, 3), ()))),
    OpSpec("where_tensor_condition", lambda x: cr.where(x > 0, x * 2, cr.exp(x)),
           lambda x: np.where(x > 0, x * 2, np.exp(x)), 1, "distinct", UNARY_SHAPES),
    _unary("sigmoid", cr.sigmoid, _np_sigmoid),
    _binary("logaddexp", cr.logaddexp, np.logaddexp),
    _binary("logaddexp2", cr.logaddexp2, np.logaddexp2),
    _unary("erf", cr.erf, _np_erf),
    _unary("relu", cr.relu, _np_relu, "distinct"),
    _unary("softplus", cr.softplus, _np_softplus),
    _unary("nan_to_num", cr.nan_to_num, np.nan_to_num),
    OpSpec("softmax", cr.softmax, _np_softmax, 1, "real", (((4,),), ((2, 3),), ((2, 3, 2),)),
           kwargs=lambda shapes: [dict(axis=a) for a in range(-len(shapes[0]), len(shapes[0]))]),
    OpSpec("log_softmax", cr.log_softmax, _np_log_softmax, 1, "real",
           (((4,),), ((2, 3),), ((2, 3, 2),)),
           kwargs=lambda shapes: [dict(axis=a) for a in range(-len(shapes[0]), len(shapes[0]))]),
]


# --------------------------------------------------------------------------- reductions
def _red(name, fn, ref, domain="real", kwargs=axis_grid, shapes=REDUCTION_SHAPES, **kw):
    return OpSpec(name, fn, ref, 1, domain, shapes, kwargs, **kw)


def _var_grid(shapes):
    return [dict(d, ddof=ddof) for d in axis_grid(shapes) for ddof in (0, 1)
            if _count(shapes[0], d["axis"]) > ddof]


def _count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


def _vector_norm_grid(shapes):
    nd = len(shapes[0])
    grid = []
    for ord_ in (None, 2, 1, np.inf, -np.inf, 3, 0.5, -1):
        for axis in ([None] if nd == 1 else []) + list(range(-nd, nd)):
            for keepdims in (False, True):
                grid.append(dict(ord=ord_, axis=axis, keepdims=keepdims))
    return grid


def _matrix_norm_grid(shapes):
    nd = len(shapes[0])
    grid = []
    for ord_ in (None, "fro", 1, -1, np.inf, -np.inf):
        for axis in ([None] if nd == 2 else []) + [(0, 1), (1, 0), (-1, -2)]:
            if axis is not None and nd == 3:
                axis = (axis[0] % 3 if axis[0] >= 0 else axis[0], axis[1])
            for keepdims in (False, True):
                grid.append(dict(ord=ord_, axis=axis, keepdims=keepdims))
    return grid


def _np_cumsum_grid(shapes):
    nd = len(shapes[0])
    return [dict(axis=a) for a in [None] + list(range(-nd, nd))]


REDUCTIONS = [
    _red("sum", cr.sum, np.sum),
    _red("mean", cr.mean, np.mean),
    _red("prod", cr.prod, np.prod, "nonzero"),
    _red("max", cr.max, np.max, "distinct"),
    _red("min", cr.min, np.min, "distinct"),
    _red("amax", cr.amax, np.amax, "distinct", shapes=REDUCTION_SHAPES[2:3]),   # aliases of
    _red("amin", cr.amin, np.amin, "distinct", shapes=REDUCTION_SHAPES[2:3]),   # max and min
    _red("var", cr.var, np.var, kwargs=_var_grid, shapes=REDUCTION_SHAPES[1:]),
    _red("std", cr.std, np.std, kwargs=_var_grid, shapes=REDUCTION_SHAPES[1:]),
    _red("logsumexp", cr.logsumexp, _np_logsumexp),
    _red("norm_vector", cr.norm, np.linalg.norm, "distinct", kwargs=_vector_norm_grid,
         shapes=(((5,),), ((3, 4),))),
    _red("norm_matrix", cr.norm, np.linalg.norm, "distinct", kwargs=_matrix_norm_grid,
         shapes=(((3, 4),), ((2, 3, 2),))),
    _red("cumsum", cr.cumsum, np.cumsum, kwargs=_np_cumsum_grid, shapes=REDUCTION_SHAPES[1:]),
    _red("cumprod", cr.cumprod, np.cumprod, "nonzero", kwargs=_np_cumsum_grid,
         shapes=REDUCTION_SHAPES[1:]),
    OpSpec("sum_of_list", lambda a, b, c, axis=None: cr.sum([a, b, c], axis=axis),
           lambda a, b, c, axis=None: np.sum([a, b, c], axis=axis), 3, "real",
           (((2,), (2,), (2,)), ((2, 2), (2, 2), (2, 2))),
           kwargs=(dict(axis=None), dict(axis=0), dict(axis=-1)),
           note="reductions accept a list of Tensors, as NumPy a list of arrays"),
    OpSpec("max_of_list", lambda a, b, axis=None: cr.max([a, b], axis=axis),
           lambda a, b, axis=None: np.max([a, b], axis=axis), 2, "distinct",
           (((3,), (3,)),), kwargs=(dict(axis=None), dict(axis=0), dict(axis=1))),
]


# --------------------------------------------------------------------------- linear algebra
def _einsum(spec, shapes):
    return OpSpec(f"einsum[{spec}]", lambda *xs: cr.einsum(spec, *xs),
                  lambda *xs: np.einsum(spec, *xs), len(shapes), "real", (shapes,))


LINALG = [
    OpSpec("matmul", cr.matmul, np.matmul, 2, "real",
           (((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)),
            ((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)), ((2, 1, 2, 2), (3, 2, 2)))),
    OpSpec("dot", cr.dot, np.dot, 2, "real",
           (((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)), ((), (2, 3)),
            ((2, 3), ()), ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 2)))),
    OpSpec("vdot", cr.vdot, np.vdot, 2, "real", (((3,), (3,)), ((2, 3), (3, 2)))),
    OpSpec("inner", cr.inner, np.inner, 2, "real",
           (((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((), (3,)))),
    OpSpec("outer", cr.outer, np.outer, 2, "real",
           (((3,), (2,)), ((2, 2), (3,)), ((), (3,)))),
    OpSpec("tensordot", cr.tensordot, np.tensordot, 2, "real",
           (((2, 3, 2), (3, 2, 2)),),
           kwargs=(dict(), dict(axes=2), dict(axes=([1, 2], [0, 1])), dict(axes=([1], [0])),
                   dict(axes=([-1, 1], [1, 0])), dict(axes=(2, 1)))),
    OpSpec("tensordot_axes1", lambda a, b: cr.tensordot(a, b, axes=1),
           lambda a, b: np.tensordot(a, b, axes=1), 2, "real",
           (((2, 3), (3, 2, 2)), ((3,), (3,)))),
    OpSpec("tensordot_axes0", lambda a, b: cr.tensordot(a, b, axes=0),
           lambda a, b: np.tensordot(a, b, axes=0), 2, "real", (((2,), (3,)), ((2, 2), (3,)))),
    OpSpec("trace", cr.trace, np.trace, 1, "real", (((3, 3),), ((3, 4),)),
           kwargs=(dict(), dict(offset=1), dict(offset=-1), dict(offset=2))),
    OpSpec("trace_axes", cr.trace, np.trace, 1, "real", (((2, 3, 2),),),
           kwargs=(dict(axis1=0, axis2=2), dict(axis1=1, axis2=2, offset=1),
                   dict(offset=0, axis1=-1, axis2=0))),
    OpSpec("kron", cr.kron, np.kron, 2, "real",
           (((2,), (3,)), ((2, 2), (2, 3)), ((2,), (2, 2)), ((), (3,)))),
    OpSpec("cross", cr.cross, np.cross, 2, "real",
           (((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)))),
    OpSpec("cross_axis", lambda a, b: cr.cross(a, b, axis=0),
           lambda a, b: np.cross(a, b, axis=0), 2, "real", (((3, 2), (3, 2)), ((3, 2), (3, 1)))),
    OpSpec("cross_axes", cr.cross, np.cross, 2, "real", (((3, 2), (2, 3)),),
           kwargs=(dict(axisa=0), dict(axisa=0, axisc=0), dict(axisa=-2, axisb=1, axisc=-2))),
    _einsum("ij,jk->ik", ((2, 3), (3, 2))),
    _einsum("ij,jk", ((2, 3), (3, 2))),
    _einsum("ii->i", ((3, 3),)),
    _einsum("ii", ((3, 3),)),
    _einsum("ij->", ((2, 3),)),
    _einsum("ij->ji", ((2, 3),)),
    _einsum("i,i", ((3,), (3,))),
    _einsum("i,j->ij", ((3,), (2,))),
    _einsum("bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
    _einsum("...ij,...jk->...ik", ((2, 2, 3), (3, 2))),
    _einsum("ij,ij->i", ((2, 3), (2, 3))),
    _einsum("ijk->kj", ((2, 3, 2),)),
    _einsum("ij,jk,kl->il", ((2, 3), (3, 2), (2, 2))),
    _einsum("iij->j", ((2, 2, 3),)),
    _einsum("i,i->", ((4,), (4,))),
    _einsum("...ij,...jk->...ik", ((2, 1, 2, 3), (3, 3, 2))),   # broadcast batch axes
    _einsum("ij,ij->ij", ((1, 3), (2, 3))),                      # a size-1 letter broadcasts
    _einsum("ii,i->i", ((2, 2), (2,))),
    _einsum("...i,...i->...", ((2, 3), (3,))),
    OpSpec("einsum_same_operand_twice", lambda a: cr.einsum("i,j->ij", a, a),
           lambda a: np.einsum("i,j->ij", a, a), 1, "real", (((3,),),)),
    OpSpec("einsum_sublist", lambda a, b: cr.einsum(a, [0, 1], b, [1, 2], [0, 2]),
           lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), 2, "real",
           (((2, 3), (3, 2)),)),
    OpSpec("einsum_sublist_implicit", lambda a, b: cr.einsum(a, [0, 1], b, [1, 0]),
           lambda a, b: np.einsum(a, [0, 1], b, [1, 0]), 2, "real", (((2, 3), (3, 2)),)),
    OpSpec("einsum_sublist_ellipsis", lambda a: cr.einsum(a, [Ellipsis, 0, 1], [Ellipsis, 1, 0]),
           lambda a: np.einsum(a, [Ellipsis, 0, 1], [Ellipsis, 1, 0]), 1, "real",
           (((2, 2, 3),),)),
]


# --------------------------------------------------------------------------- shape
def _split_fn(fn_cr, fn_np, arg):
    return (lambda x, **kw: tuple(fn_cr(x, arg, **kw)),
            lambda x, **kw: tuple(fn_np(x, arg, **kw)))


_IDX = np.array([2, 0, 2, -1])              # repeats and a negative index
_ALONG0 = np.array([[1, 0, 1], [0, 0, 1]])  # take_along_axis indices (axis 0 of a (2, 3))
_ALONG1 = np.array([[2, 0, 0, 1], [1, 1, 2, 0]])

SHAPE = [
    OpSpec("reshape", cr.reshape, np.reshape, 1, "real", (((2, 3),),),
           kwargs=(dict(shape=(3, 2)), dict(shape=(-1,)), dict(shape=(6, 1)),
                   dict(shape=(1, 2, 1, 3)), dict(shape=(3, -1)))),
    OpSpec("reshape_scalar", cr.reshape, np.reshape, 1, "real", (((),), ((1, 1),)),
           kwargs=(dict(shape=(1,)), dict(shape=()))),
    OpSpec("transpose", cr.transpose, np.transpose, 1, "real", (((2, 3),), ((2, 3, 2),)),
           kwargs=lambda s: [dict(axes=None)] + (
               [dict(axes=(1, 0)), dict(axes=(-1, 0))] if len(s[0]) == 2 else
               [dict(axes=(1, 0, 2)), dict(axes=(2, 0, 1)), dict(axes=(-1, 0, 1))])),
    OpSpec("moveaxis", cr.moveaxis, np.moveaxis, 1, "real", (((2, 3, 2),),),
           kwargs=(dict(source=0, destination=2), dict(source=-1, destination=0),
                   dict(source=(0, 1), destination=(2, 0)), dict(source=[0], destination=[-1]))),
    OpSpec("swapaxes", cr.swapaxes, np.swapaxes, 1, "real", (((2, 3, 2),),),
           kwargs=(dict(axis1=0, axis2=2), dict(axis1=-1, axis2=1), dict(axis1=1, axis2=1))),
    OpSpec("squeeze", cr.squeeze, np.squeeze, 1, "real", (((1, 3, 1),), ((1,),)),
           kwargs=lambda s: [dict(axis=None), dict(axis=0), dict(axis=-1)] + (
               [dict(axis=(0, 2)), dict(axis=(0, -1))] if len(s[0]) == 3 else [])),
    OpSpec("expand_dims", cr.expand_dims, np.expand_dims, 1, "real", (((),), ((3,),), ((2, 3),)),
           kwargs=(dict(axis=0), dict(axis=-1), dict(axis=(0, 1)), dict(axis=(0, -1)))),
    OpSpec("broadcast_to", cr.broadcast_to, np.broadcast_to, 1, "real",
           (((3,),), ((1, 3),), ((),)),
           kwargs=(dict(shape=(2, 3)), dict(shape=(2, 2, 3)))),
    OpSpec("broadcast_to_inner", lambda x: cr.broadcast_to(x, (2, 3, 2)),
           lambda x: np.broadcast_to(x, (2, 3, 2)), 1, "real", (((3, 1),), ((2, 1, 1),))),
    OpSpec("concatenate", lambda a, b, **kw: cr.concatenate([a, b], **kw),
           lambda a, b, **kw: np.concatenate([a, b], **kw), 2, "real",
           (((2, 3), (1, 3)),), kwargs=(dict(), dict(axis=0), dict(axis=-2), dict(axis=None))),
    OpSpec("concatenate_axis1", lambda a, b, c, **kw: cr.concatenate((a, b, c), **kw),
           lambda a, b, c, **kw: np.concatenate((a, b, c), **kw), 3, "real",
           (((2, 1), (2, 3), (2, 2)),), kwargs=(dict(axis=1), dict(axis=-1), dict(axis=None))),
    OpSpec("stack", lambda a, b, c, **kw: cr.stack([a, b, c], **kw),
           lambda a, b, c, **kw: np.stack([a, b, c], **kw), 3, "real",
           (((3,), (3,), (3,)), ((2, 2), (2, 2), (2, 2)), ((), (), ())),
           kwargs=lambda s: [dict(axis=a) for a in range(-len(s[0]) - 1, len(s[0]) + 1)]),
    OpSpec("array_of_tensors", lambda a, b: cr.array([a, b]), lambda a, b: np.array([a, b]),
           2, "real", (((3,), (3,)), ((), ()))),
    OpSpec("array_nested", lambda a, b: cr.array([[a, b], [b, a]]),
           lambda a, b: np.array([[a, b], [b, a]]), 2, "real", (((), ()), ((2,), (2,)))),
    OpSpec("split_sections", *_split_fn(cr.split, np.split, 3), 1, "real",
           (((6,),), ((3, 3),)), kwargs=lambda s: [dict()] + ([dict(axis=1), dict(axis=-1)]
                                                          if len(s[0]) == 2 else [])),
    OpSpec("split_indices", *_split_fn(cr.split, np.split, [1, 3]), 1, "real",
           (((5,),), ((2, 4),)), kwargs=lambda s: [dict(axis=-1)]),
    OpSpec("array_split", *_split_fn(cr.array_split, np.array_split, 3), 1, "real",
           (((5,),), ((4, 2),)), kwargs=(dict(), dict(axis=0))),
    OpSpec("hsplit", *_split_fn(cr.hsplit, np.hsplit, 2), 1, "real", (((4,),), ((2, 4),))),
    OpSpec("vsplit", *_split_fn(cr.vsplit, np.vsplit, 2), 1, "real", (((4, 2),), ((2, 2, 2),))),
    OpSpec("dsplit", *_split_fn(cr.dsplit, np.dsplit, [1]), 1, "real", (((1, 2, 3),),)),
    OpSpec("pad", cr.pad, np.pad, 1, "real", (((3,),), ((2, 3),)),
           kwargs=(dict(pad_width=1), dict(pad_width=(1, 2)), dict(pad_width=((1, 2),)),
                   dict(pad_width=1, constant_values=1.5), dict(pad_width=2, mode="edge"),
                   dict(pad_width=(2, 1), mode="reflect"), dict(pad_width=(2, 3), mode="symmetric"),
                   dict(pad_width=(1, 4), mode="wrap"))),
    OpSpec("pad_2d", cr.pad, np.pad, 1, "real", (((2, 3),),),
           kwargs=(dict(pad_width=((1, 0), (0, 2))), dict(pad_width=((0, 0), (1, 1)), mode="edge"),
                   dict(pad_width=((1, 1), (2, 0)), mode="reflect"))),
    OpSpec("flip", cr.flip, np.flip, 1, "real", (((4,),), ((2, 3),)),
           kwargs=lambda s: [dict(axis=None), dict(axis=0), dict(axis=-1)] + (
               [dict(axis=(0, 1))] if len(s[0]) == 2 else [])),
    OpSpec("fliplr", cr.fliplr, np.fliplr, 1, "real", (((2, 3),), ((2, 3, 2),))),
    OpSpec("flipud", cr.flipud, np.flipud, 1, "real", (((3,),), ((2, 3),))),
    OpSpec("rot90", cr.rot90, np.rot90, 1, "real", (((2, 3),), ((2, 3, 2),)),
           kwargs=(dict(), dict(k=2), dict(k=3), dict(k=-1), dict(k=0), dict(k=1, axes=(1, 0)))),
    OpSpec("rot90_axes", cr.rot90, np.rot90, 1, "real", (((2, 3, 2),),),
           kwargs=(dict(k=1, axes=(1, 2)), dict(k=3, axes=(0, -1)))),
    OpSpec("roll", cr.roll, np.roll, 1, "real", (((5,),), ((2, 3),)),
           kwargs=lambda s: [dict(shift=2), dict(shift=-1), dict(shift=7)] + (
               [dict(shift=1, axis=1), dict(shift=-1, axis=0), dict(shift=(1, 2), axis=(0, 1)),
                dict(shift=1, axis=(0, 1))] if len(s[0]) == 2 else [dict(shift=2, axis=0)])),
    OpSpec("tile", cr.tile, np.tile, 1, "real", (((3,),), ((2, 2),)),
           kwargs=(dict(reps=2), dict(reps=(2, 1)), dict(reps=(1, 2, 1)))),
    OpSpec("repeat", cr.repeat, np.repeat, 1, "real", (((3,),), ((2, 2),)),
           kwargs=lambda s: [dict(repeats=2), dict(repeats=2, axis=0), dict(repeats=2, axis=-1)] + (
               [dict(repeats=[1, 0, 2], axis=0)] if len(s[0]) == 1 else
               [dict(repeats=[2, 1], axis=1)])),
    OpSpec("take", lambda x, **kw: cr.take(x, _IDX, **kw),
           lambda x, **kw: np.take(x, _IDX, **kw), 1, "real", (((4,),), ((3, 4),)),
           kwargs=lambda s: [dict(), dict(axis=None), dict(axis=0), dict(axis=-1)] + (
               [dict(axis=1)] if len(s[0]) == 2 else [])),
    OpSpec("take_2d_indices", lambda x: cr.take(x, np.array([[0, 1], [1, 1]]), axis=1),
           lambda x: np.take(x, np.array([[0, 1], [1, 1]]), axis=1), 1, "real", (((2, 3),),)),
    OpSpec("take_along_axis0", lambda x: cr.take_along_axis(x, _ALONG0, axis=0),
           lambda x: np.take_along_axis(x, _ALONG0, axis=0), 1, "real", (((2, 3),),)),
    OpSpec("take_along_axis1", lambda x: cr.take_along_axis(x, _ALONG1, axis=1),
           lambda x: np.take_along_axis(x, _ALONG1, axis=1), 1, "real", (((2, 3),),)),
    OpSpec("take_along_axis_neg", lambda x: cr.take_along_axis(x, _ALONG1, axis=-1),
           lambda x: np.take_along_axis(x, _ALONG1, axis=-1), 1, "real", (((2, 3),),)),
    OpSpec("take_along_axis_bcast", lambda x: cr.take_along_axis(x, np.array([[2], [0]]), axis=1),
           lambda x: np.take_along_axis(x, np.array([[2], [0]]), axis=1), 1, "real",
           (((2, 3),),)),
    OpSpec("tril", cr.tril, np.tril, 1, "real", (((3, 3),), ((3, 4),), ((2, 2, 3),)),
           kwargs=(dict(), dict(k=1), dict(k=-1))),
    OpSpec("triu", cr.triu, np.triu, 1, "real", (((3, 3),), ((3, 4),), ((2, 2, 3),)),
           kwargs=(dict(), dict(k=1), dict(k=-1))),
    OpSpec("ravel", cr.ravel, np.ravel, 1, "real", (((),), ((2, 3),))),
    OpSpec("atleast_1d", cr.atleast_1d, np.atleast_1d, 1, "real", (((),), ((3,),), ((2, 3),))),
    OpSpec("atleast_2d", cr.atleast_2d, np.atleast_2d, 1, "real", (((),), ((3,),), ((2, 3),))),
    OpSpec("atleast_3d", cr.atleast_3d, np.atleast_3d, 1, "real",
           (((),), ((3,),), ((2, 3),), ((1, 2, 3),))),
    OpSpec("atleast_2d_many", lambda a, b: tuple(cr.atleast_2d(a, b)),
           lambda a, b: tuple(np.atleast_2d(a, b)), 2, "real", (((), (3,)),)),
    OpSpec("hstack", lambda a, b: cr.hstack([a, b]), lambda a, b: np.hstack([a, b]), 2, "real",
           (((2,), (3,)), ((2, 1), (2, 3)), ((), ()))),
    OpSpec("vstack", lambda a, b: cr.vstack([a, b]), lambda a, b: np.vstack([a, b]), 2, "real",
           (((3,), (3,)), ((1, 3), (2, 3)), ((), ()))),
    OpSpec("dstack", lambda a, b: cr.dstack([a, b]), lambda a, b: np.dstack([a, b]), 2, "real",
           (((3,), (3,)), ((2, 2), (2, 2)))),
    OpSpec("column_stack", lambda a, b: cr.column_stack([a, b]),
           lambda a, b: np.column_stack([a, b]), 2, "real",
           (((3,), (3,)), ((3, 2), (3,)))),
    OpSpec("append", cr.append, np.append, 2, "real", (((3,), (2,)), ((2, 2), (3,))),
           kwargs=(dict(),)),
    OpSpec("append_axis", cr.append, np.append, 2, "real", (((2, 2), (1, 2)),),
           kwargs=(dict(axis=0), dict(axis=-2))),
    OpSpec("diag", cr.diag, np.diag, 1, "real", (((3,),), ((3, 3),), ((2, 4),)),
           kwargs=(dict(), dict(k=1), dict(k=-1))),
    OpSpec("diagonal", cr.diagonal, np.diagonal, 1, "real", (((3, 3),), ((2, 3, 2),)),
           kwargs=(dict(), dict(offset=1), dict(offset=-1), dict(axis1=1, axis2=0),
                   dict(offset=1, axis1=-1, axis2=0))),
    OpSpec("diff", cr.diff, np.diff, 1, "real", (((5,),), ((3, 4),)),
           kwargs=lambda s: [dict(), dict(n=2), dict(n=0)] + (
               [dict(axis=0), dict(n=2, axis=-1)] if len(s[0]) == 2 else [])),
    OpSpec("sort", cr.sort, np.sort, 1, "distinct", (((5,),), ((3, 4),)),
           kwargs=lambda s: [dict(), dict(axis=None)] + (
               [dict(axis=0), dict(axis=-2)] if len(s[0]) == 2 else [])),
    OpSpec("getitem_basic", lambda x: x[1:, ::-2], lambda x: x[1:, ::-2], 1, "real",
           (((3, 4),),)),
    OpSpec("getitem_int_array", lambda x: x[np.array([0, 2, 0, 0])],
           lambda x: x[np.array([0, 2, 0, 0])], 1, "real", (((3,),), ((3, 2),)),
           note="repeated indices: the gradient scatter-adds"),
    OpSpec("getitem_bool_mask", lambda x: x[np.array([True, False, True])],
           lambda x: x[np.array([True, False, True])], 1, "real", (((3,),), ((3, 2),))),
    OpSpec("getitem_mixed", lambda x: x[3, 2:, [1, 3]], lambda x: x[3, 2:, [1, 3]], 1, "real",
           (((4, 3, 4),),), second_order=True,
           note="NumPy's mixed advanced indexing (int, slice, list)"),
    OpSpec("getitem_newaxis_ellipsis", lambda x: x[None, ..., 1], lambda x: x[None, ..., 1], 1,
           "real", (((2, 3),),)),
    OpSpec("copy", cr.copy, np.copy, 1, "real", (((2, 3),),)),
    OpSpec("flatten", cr.flatten, lambda x, start_dim=0, end_dim=-1: x.reshape(
        x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1:]) if x.ndim else x.reshape(1),
           1, "real", (((),), ((2, 3, 2),)),
           kwargs=lambda s: [dict()] + ([dict(start_dim=1), dict(start_dim=0, end_dim=1)]
                                        if len(s[0]) == 3 else [])),
    OpSpec("sum_to", cr.sum_to, lambda x, shape: _np_sum_to(x, shape), 1, "real",
           (((2, 3),), ((2, 1, 3),)), kwargs=(dict(shape=(3,)), dict(shape=(1, 3)), dict(shape=()))),
    OpSpec("broadcast_arrays", lambda a, b: tuple(cr.broadcast_arrays(a, b)),
           lambda a, b: tuple(np.broadcast_arrays(a, b)), 2, "real", (((2, 1), (3,)),)),
    OpSpec("meshgrid", lambda a, b, **kw: tuple(cr.meshgrid(a, b, **kw)),
           lambda a, b, **kw: tuple(np.meshgrid(a, b, **kw)), 2, "real", (((2,), (3,)),),
           kwargs=(dict(), dict(indexing="ij"))),
    OpSpec("index_put", lambda x, v: cr.ops.index_put(x, (slice(None), [2, 0]), v),
           lambda x, v: _np_index_put(x, (slice(None), [2, 0]), v), 2, "real",
           (((2, 3), (2, 2)), ((2, 3), (2,)), ((2, 3), ())),
           note="t[key] = v as a function: differentiable in x (zero where written) and v"),
    OpSpec("index_put_mask", lambda x, v: cr.ops.index_put(x, np.array([True, False, True]), v),
           lambda x, v: _np_index_put(x, np.array([True, False, True]), v), 2, "real",
           (((3,), (2,)), ((3, 2), (2,)))),
]


def _np_sum_to(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)


def _np_index_put(x, key, v):
    out = x.copy()
    out[key] = v
    return out


# --------------------------------------------------------------------------- non-differentiable
def _nd(name, fn, ref, nargs=1, shapes=UNARY_SHAPES, domain="real", **kw):
    return OpSpec(name, fn, ref, nargs, domain, shapes, differentiable=False, **kw)


_CMP_SHAPES = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)))
NONDIFFERENTIABLE = [
    _nd("sign", cr.sign, np.sign),
    _nd("floor", cr.floor, np.floor),
    _nd("ceil", cr.ceil, np.ceil),
    _nd("trunc", cr.trunc, np.trunc),
    _nd("rint", cr.rint, np.rint),
    _nd("round", cr.round, np.round, kwargs=(dict(), dict(decimals=1), dict(decimals=2))),
    _nd("around", cr.around, np.around),
    _nd("argmax", cr.argmax, np.argmax, shapes=(((5,),), ((3, 4),)), domain="distinct",
        kwargs=lambda s: [dict(), dict(axis=None), dict(axis=0), dict(axis=-1),
                          dict(axis=0, keepdims=True)]),
    _nd("argmin", cr.argmin, np.argmin, shapes=(((5,),), ((3, 4),)), domain="distinct",
        kwargs=lambda s: [dict(), dict(axis=None), dict(axis=0), dict(axis=-1),
                          dict(axis=-1, keepdims=True)]),
    _nd("argsort", cr.argsort, lambda x, **kw: np.argsort(x, kind="stable", **kw),
        shapes=(((5,),), ((3, 4),)), kwargs=(dict(), dict(axis=0))),
    _nd("less", cr.less, np.less, 2, _CMP_SHAPES),
    _nd("less_equal", cr.less_equal, np.less_equal, 2, _CMP_SHAPES),
    _nd("greater", cr.greater, np.greater, 2, _CMP_SHAPES),
    _nd("greater_equal", cr.greater_equal, np.greater_equal, 2, _CMP_SHAPES),
    _nd("equal", cr.equal, np.equal, 2, _CMP_SHAPES),
    _nd("not_equal", cr.not_equal, np.not_equal, 2, _CMP_SHAPES),
    _nd("operator_lt", lambda a, b: a < b, lambda a, b: a < b, 2, _CMP_SHAPES),
    _nd("operator_ge", lambda a, b: a >= b, lambda a, b: a >= b, 2, _CMP_SHAPES),
    _nd("operator_eq", lambda a, b: a == b, lambda a, b: a == b, 2, _CMP_SHAPES),
    _nd("isnan", cr.isnan, np.isnan),
    _nd("isfinite", cr.isfinite, np.isfinite),
    _nd("isinf", cr.isinf, np.isinf),
    _nd("floor_divide", cr.floor_divide, np.floor_divide, 2, _CMP_SHAPES, domain=("real", "nonzero")),
    _nd("signbit", cr.signbit, np.signbit),
    _nd("logical_not", cr.logical_not, np.logical_not, domain="distinct"),
    _nd("logical_and", cr.logical_and, np.logical_and, 2, _CMP_SHAPES),
    _nd("logical_or", cr.logical_or, np.logical_or, 2, _CMP_SHAPES),
    _nd("logical_xor", cr.logical_xor, np.logical_xor, 2, _CMP_SHAPES),
    _nd("isclose", cr.isclose, np.isclose, 2, _CMP_SHAPES),
]

DIFFERENTIABLE = ELEMENTWISE + REDUCTIONS + LINALG + SHAPE
ALL = DIFFERENTIABLE + NONDIFFERENTIABLE


def by_name(name):
    for spec in ALL:
        if spec.name == name:
            return spec
    raise KeyError(name)


# Every differentiable function API.md §2 names, with the row(s) that cover it. A test
# asserts each has a row, so a function cannot silently drop out of the table.
API_DIFFERENTIABLE = """
add subtract multiply divide power negative exp expm1 log log1p log2 log10 sqrt square reciprocal
sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh abs maximum minimum clip where sigmoid
logaddexp erf
sum mean prod max min var std logsumexp norm cumsum
matmul dot einsum tensordot outer trace
reshape transpose moveaxis swapaxes squeeze expand_dims broadcast_to concatenate stack split pad
flip tile repeat take take_along_axis tril triu
arcsinh arccosh arctanh exp2 logaddexp2 fabs deg2rad rad2deg degrees radians fmax fmin mod
remainder nan_to_num ravel atleast_1d atleast_2d atleast_3d hstack vstack column_stack append
array_split hsplit vsplit dsplit fliplr flipud rot90 roll inner kron cross diag diagonal diff sort
""".split()
API_NONDIFFERENTIABLE = "sign floor ceil round argmax argmin isnan isfinite less less_equal " \
                        "greater greater_equal equal not_equal".split()
