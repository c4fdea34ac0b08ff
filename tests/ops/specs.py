"""The op table: one row per differentiable function and primitive, with its NumPy reference.

Rows cover chainrule's ops (API.md §2), cr.linalg, every nn.functional function (rows named
"F.<name>") and the internal primitives that only other primitives' rules apply (called
directly, "<primitive>[internal]"). test_op_table_coverage.py finds every primitive and public
function mechanically (discover.py) and fails when one has no row; ALIASES and
NOT_ARRAY_FUNCTIONS at the end are the only declarations it accepts instead. The nn rows'
references are plain loops in nn_reference.py.

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
    prob      uniform [0.1, 0.9]          (probabilities: binary cross-entropy, soft targets)
"""
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
import ops_nn_reference as R
from chainrule.nn.functional.conv import _conv_weight
from chainrule.nn.functional.pooling import _gather as _pool_gather
from chainrule.nn.functional.pooling import _scatter as _pool_scatter
from chainrule.nn.functional.pooling import _window_sum_transpose
from chainrule.ops.norms import _SINGULAR_FACTOR
from chainrule.core.apply import apply   # the door every primitive call goes through

LA = cr.linalg


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
    eps: float = 1e-6                # finite-difference step (gradcheck, gradgradcheck, JVP check)
    derivatives_raise: type = None   # an exception every derivative check must raise instead
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
        elif domain == "prob":
            a = rng.uniform(0.1, 0.9, shape)
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
    _unary("cbrt", cr.cbrt, np.cbrt, "nonzero"),
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
    _nd("astype_int", lambda x: cr.astype(x, np.int64), lambda x: x.astype(np.int64),
        shapes=(((4,),), ((2, 3),))),
    _nd("nonzero", lambda x: cr.nonzero(x > 0), lambda x: np.nonzero(x > 0),
        shapes=(((5,),), ((3, 4),)), note="a tuple of index tensors"),
    _nd("F.one_hot", lambda x: F.one_hot(cr.argmax(x, axis=-1), num_classes=5),
        lambda x: R.one_hot(np.argmax(x, axis=-1), 5), shapes=(((3, 4),), ((2, 3, 4),)),
        domain="distinct", note="int64 classes: no gradient"),
]

# --------------------------------------------------------------------------- more exported ops
_SCATTER_IDX = np.array([0, 2, 0])          # repeated: scatter_add adds


def _np_scatter_add(v, key, shape):
    out = np.zeros(shape, dtype=v.dtype)
    np.add.at(out, key, v)
    return out


def _round_trip(x, via):
    """astype there and back: the output keeps the input's dtype (the gradient tests ask
    that); float64 -> float32 -> float64 runs the cast's rules in both directions."""
    return cr.astype(cr.astype(x, via), x.dtype)


def _sv_norm_grid(shapes):
    nd = len(shapes[0])
    axes = [None, (0, 1), (-1, -2)] if nd == 2 else [(0, 2), (-1, 1)]
    return [dict(ord=o, axis=a, keepdims=k) for o in ("nuc", 2, -2) for a in axes
            for k in (False, True)]


EXPORTS = [
    OpSpec("astype", _round_trip, lambda x, via: x.astype(via).astype(x.dtype), 1, "real",
           (((4,),), ((2, 3),)), kwargs=(dict(via="float32"), dict(via="float64")), eps=1e-2,
           note="between float dtypes; linear, so a large step is exact (float32 rounding)"),
    OpSpec("positive", cr.positive, np.positive, 1, "real", UNARY_SHAPES),
    OpSpec("scatter_add", lambda v: cr.ops.scatter_add(v, (_SCATTER_IDX,), (4,) + v.shape[1:]),
           lambda v: _np_scatter_add(v, (_SCATTER_IDX,), (4,) + v.shape[1:]), 1, "real",
           (((3,),), ((3, 2),)), note="the transpose of advanced indexing (repeats add)"),
    OpSpec("scatter_add_slice", lambda v: cr.ops.scatter_add(v, (slice(1, 3),), (4, 2)),
           lambda v: _np_scatter_add(v, (slice(1, 3),), (4, 2)), 1, "real", (((2, 2),),)),
    OpSpec("norm_matrix_sv", cr.norm, np.linalg.norm, 1, "real", (((3, 2),), ((2, 3, 2),)),
           kwargs=_sv_norm_grid, second_order=False,
           note="singular-value norms: first derivatives only (second ones raise, below)"),
    OpSpec("norm_singular_factor[internal]",
           lambda x: apply(_SINGULAR_FACTOR, x, ord="nuc", axes=(0, 1)),
           lambda x: _np_singular_factor(x), 1, "real", (((3, 2),),), second_order=False,
           derivatives_raise=NotImplementedError,
           note="the gradient direction of the SVD norms, held constant: by design it has no "
                "derivative rules and says so (NotImplementedError)"),
]


def _np_singular_factor(x):
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    return u @ vh


# --------------------------------------------------------------------------- cr.linalg
def _eye_like(a):
    """n I in a's dtype (an (n, n) a or a stack)."""
    n = a.shape[-1]
    return np.eye(n, dtype=a.dtype) * n


def _shifted(a, sign=1):
    """a + n I (or a - n I): far from singular for a standard-normal a."""
    return a + sign * _eye_like(a)


def _spd(a):
    """a a^T + n I: symmetric positive definite."""
    return cr.matmul(a, cr.swapaxes(a, -1, -2)) + _eye_like(a)


def _np_spd(a):
    return a @ np.swapaxes(a, -1, -2) + _eye_like(a)


LA_ROWS = [
    OpSpec("linalg.inv", lambda a: LA.inv(_shifted(a)), lambda a: np.linalg.inv(_shifted(a)), 1,
           "real", (((3, 3),), ((2, 2, 2),))),
    OpSpec("linalg.det", lambda a, sign=1: LA.det(_shifted(a, sign)),
           lambda a, sign=1: np.linalg.det(_shifted(a, sign)), 1, "real",
           (((3, 3),), ((2, 2, 2),)), kwargs=(dict(sign=1), dict(sign=-1))),
    OpSpec("linalg.slogdet", lambda a, sign=1: tuple(LA.slogdet(_shifted(a, sign))),
           lambda a, sign=1: tuple(np.linalg.slogdet(_shifted(a, sign))), 1, "real",
           (((3, 3),), ((2, 2, 2),)), kwargs=(dict(sign=1), dict(sign=-1)),
           note="(sign, logabsdet): the sign carries no gradient"),
    OpSpec("linalg.solve", lambda a, b: LA.solve(_shifted(a), b),
           lambda a, b: np.linalg.solve(_shifted(a), b), 2, "real",
           (((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((2, 2, 2), (2, 2, 1)))),
    OpSpec("linalg.cholesky", lambda a, **kw: LA.cholesky(_spd(a), **kw),
           lambda a, **kw: np.linalg.cholesky(_np_spd(a), **kw), 1, "real",
           (((3, 3),), ((2, 2, 2),)), kwargs=(dict(), dict(upper=True))),
]


# --------------------------------------------------------------------------- nn.functional
# Every row's name is "F.<function>" (or "F.<function>_<variant>"). Constants that are not
# differentiated (class targets, embedding indices, running statistics) are closed over.
def _seeded(fn, seed=7):
    """fn run right after cr.manual_seed(seed) (so dropout draws the same mask every call), the
    library's generator state restored afterwards."""
    def run(*xs, **kw):
        state = cr.get_rng_state()
        cr.manual_seed(seed)
        try:
            return fn(*xs, **kw)
        finally:
            cr.set_rng_state(state)
    return run


def _act(name, fn, ref, domain="real", shapes=(((),), ((2, 3),)), **kw):
    return OpSpec(name, fn, ref, 1, domain, shapes, **kw)


_SOFTMAX_DIMS = lambda s: [dict(dim=d) for d in range(-1, len(s[0]))]  # noqa: E731

NN_ACTIVATIONS = [
    _act("F.relu", F.relu, R.relu, "distinct"),
    _act("F.relu6", lambda x: F.relu6(x * 5), lambda x: R.relu6(x * 5), "distinct",
         note="scaled so the values pass both corners (0 and 6)"),
    _act("F.leaky_relu", F.leaky_relu, R.leaky_relu, "distinct",
         kwargs=(dict(), dict(negative_slope=0.2))),
    _act("F.elu", F.elu, R.elu, "distinct", kwargs=(dict(), dict(alpha=0.5))),
    _act("F.selu", F.selu, R.selu, "distinct"),
    _act("F.celu", F.celu, R.celu, "distinct", kwargs=(dict(), dict(alpha=2.0))),
    _act("F.gelu", F.gelu, R.gelu, kwargs=(dict(), dict(approximate="tanh"))),
    _act("F.sigmoid", F.sigmoid, R.sigmoid),
    _act("F.tanh", F.tanh, R.tanh),
    _act("F.hardsigmoid", lambda x: F.hardsigmoid(x * 4), lambda x: R.hardsigmoid(x * 4),
         "distinct", note="scaled so the values pass both corners (-3 and 3)"),
    _act("F.hardtanh", F.hardtanh, R.hardtanh, "distinct",
         kwargs=(dict(), dict(min_val=-0.5, max_val=0.8))),
    _act("F.hardswish", lambda x: F.hardswish(x * 4), lambda x: R.hardswish(x * 4), "distinct"),
    _act("F.softplus", F.softplus, R.softplus, "distinct",
         kwargs=(dict(), dict(beta=2.0), dict(beta=0.5, threshold=0.4))),
    _act("F.softsign", F.softsign, R.softsign, "distinct"),
    _act("F.silu", F.silu, R.silu),
    _act("F.mish", F.mish, R.mish),
    _act("F.logsigmoid", F.logsigmoid, R.logsigmoid),
    _act("F.tanhshrink", F.tanhshrink, R.tanhshrink),
    _act("F.threshold", lambda x: F.threshold(x, 0.1, -2.0), lambda x: R.threshold(x, 0.1, -2.0),
         "distinct"),
    _act("F.linear_activation", F.linear_activation, lambda x: x.copy(),
         shapes=(((2, 3),),), note="the identity"),
    _act("F.softmax", F.softmax, R.softmax, shapes=(((4,),), ((2, 3),), ((2, 3, 2),)),
         kwargs=_SOFTMAX_DIMS),
    _act("F.softmin", F.softmin, R.softmin, shapes=(((4,),), ((2, 3),)), kwargs=_SOFTMAX_DIMS),
    _act("F.log_softmax", F.log_softmax, R.log_softmax, shapes=(((4,),), ((2, 3),), ((2, 3, 2),)),
         kwargs=_SOFTMAX_DIMS),
    OpSpec("F.prelu", F.prelu, R.prelu, 2, ("distinct", "real"),
           (((2, 3, 2), (3,)), ((2, 3), (1,)), ((4,), (4,)))),
    _act("F.glu", F.glu, R.glu, shapes=(((2, 4),), ((4, 3),)),
         kwargs=lambda s: [dict(dim=-1), dict(dim=1)] if s[0][-1] % 2 == 0 else [dict(dim=0)]),
]

_EMB_IDX = np.array([[0, 4, 3], [2, 2, 1]])   # repeats (a negative index raises, as PyTorch)
_PAD_GRID = (dict(pad=(1, 2)), dict(pad=(1, 1, 2, 0)), dict(pad=(1, 0), value=1.5),
             dict(pad=(-1, 1)), dict(pad=(2, 1), mode="reflect"),
             dict(pad=(1, 2), mode="replicate"),
             dict(pad=(2, 3), mode="circular"))

NN_BASIC = [
    OpSpec("F.linear", F.linear, R.linear, 3, "real",
           (((2, 3), (4, 3), (4,)), ((3,), (2, 3), (2,)), ((2, 2, 3), (4, 3), (4,)))),
    OpSpec("F.linear_no_bias", F.linear, R.linear, 2, "real",
           (((2, 3), (4, 3)), ((2, 2, 3), (1, 3)))),
    OpSpec("F.bilinear", F.bilinear, R.bilinear, 4, "real", (((2, 3), (2, 2), (4, 3, 2), (4,)),)),
    OpSpec("F.bilinear_no_bias", F.bilinear, R.bilinear, 3, "real", (((3,), (2,), (2, 3, 2)),)),
    OpSpec("F.dropout", _seeded(lambda x: F.dropout(x, 0.5)), lambda x: R.dropout(x, 0.5, 7), 1,
           "real", (((3, 4),),)),
    OpSpec("F.dropout1d", _seeded(lambda x: F.dropout1d(x, 0.5)),
           lambda x: R.dropout(x, 0.5, 7, x.shape[:-1] + (1,)), 1, "real",
           (((2, 3, 2),), ((4, 2),))),
    OpSpec("F.dropout2d", _seeded(lambda x: F.dropout2d(x, 0.5)),
           lambda x: R.dropout(x, 0.5, 7, x.shape[:2] + (1, 1)), 1, "real", (((2, 3, 2, 2),),)),
    OpSpec("F.dropout3d", _seeded(lambda x: F.dropout3d(x, 0.4)),
           lambda x: R.dropout(x, 0.4, 7, x.shape[:2] + (1, 1, 1)), 1, "real",
           (((1, 4, 2, 1, 2),),)),
    OpSpec("F.embedding", lambda w: F.embedding(_EMB_IDX, w), lambda w: R.embedding(w, _EMB_IDX),
           1, "real", (((5, 3),),), note="the indices are a constant; the weight differentiates"),
    OpSpec("F.pad", F.pad, R.pad, 1, "real", (((2, 3),), ((2, 3, 4),)), kwargs=_PAD_GRID),
    OpSpec("F.normalize", F.normalize, R.normalize, 1, "distinct", (((2, 3),), ((2, 3, 2),)),
           kwargs=(dict(), dict(dim=0), dict(p=1.0, dim=-1), dict(p=3.0))),
    OpSpec("F.cosine_similarity", F.cosine_similarity, R.cosine_similarity, 2, "real",
           (((2, 3), (2, 3)), ((2, 3), (1, 3))), kwargs=(dict(), dict(dim=0), dict(dim=-1))),
    OpSpec("F.pairwise_distance", F.pairwise_distance, R.pairwise_distance, 2, "distinct",
           (((2, 3), (2, 3)), ((3,), (3,))),
           kwargs=(dict(), dict(p=1.0), dict(p=3.0), dict(keepdim=True))),
]

NN_CONV = [
    OpSpec("F.conv1d", F.conv1d, R.conv, 3, "real", (((2, 2, 5), (3, 2, 2), (3,)),),
           kwargs=(dict(), dict(stride=2, padding=1), dict(dilation=2, padding="same"),
                   dict(padding=((2, 0),), stride=3))),
    OpSpec("F.conv1d_groups", F.conv1d, R.conv, 2, "real", (((1, 4, 4), (4, 2, 2)),),
           kwargs=(dict(groups=2), dict(groups=2, stride=2, padding=1))),
    OpSpec("F.conv1d_unbatched", F.conv1d, R.conv, 2, "real", (((2, 5), (3, 2, 3)),)),
    OpSpec("F.conv2d", F.conv2d, R.conv, 3, "real", (((1, 2, 3, 3), (2, 2, 2, 2), (2,)),),
           kwargs=(dict(), dict(stride=(2, 1), padding=(1, 0)), dict(dilation=2, padding=1))),
    OpSpec("F.conv3d", F.conv3d, R.conv, 3, "real", (((1, 1, 3, 2, 3), (2, 1, 2, 2, 2), (2,)),),
           kwargs=(dict(), dict(stride=2, padding=1))),
    OpSpec("F.conv_transpose1d", F.conv_transpose1d, R.conv_transpose, 3, "real",
           (((2, 3, 3), (3, 2, 2), (2,)),),
           kwargs=(dict(), dict(stride=2, padding=1, output_padding=1), dict(dilation=2))),
    OpSpec("F.conv_transpose1d_groups", F.conv_transpose1d, R.conv_transpose, 2, "real",
           (((1, 4, 3), (4, 1, 2)),), kwargs=(dict(groups=2), dict(groups=2, stride=2))),
    OpSpec("F.conv_transpose2d", F.conv_transpose2d, R.conv_transpose, 3, "real",
           (((1, 2, 2, 2), (2, 3, 2, 2), (3,)),),
           kwargs=(dict(), dict(stride=2, output_padding=1), dict(stride=(2, 1), padding=1))),
    OpSpec("F.conv_transpose3d", F.conv_transpose3d, R.conv_transpose, 3, "real",
           (((1, 2, 2, 1, 2), (2, 1, 2, 2, 2), (1,)),), kwargs=(dict(), dict(stride=2))),
]

_PLANE_IDX = np.array([[[1, 4, 1], [0, 0, 3]]])   # per-plane flat indices into (1, 2, 5)
_WINDOW_GEOMETRY = dict(kernel=(2,), stride=(2,), padding=((1, 0),), dilation=(1,))
_CONV_WEIGHT_GEOMETRY = dict(stride=(2,), padding=((1, 0),), dilation=(1,), groups=1,
                             kernel_size=(2,))

# Primitives applied only inside other primitives' derivative rules: called directly, so
# that each is checked four ways on its own.
NN_INTERNAL = [
    OpSpec("conv_weight[internal]", lambda x, y: _conv_weight(x, y, **_CONV_WEIGHT_GEOMETRY),
           lambda x, y: R.conv_weight(x, y, **_CONV_WEIGHT_GEOMETRY), 2, "real",
           (((2, 2, 5), (2, 3, 3)),), note="the adjoint of conv in its weight"),
    OpSpec("pool_gather[internal]", lambda x: _pool_gather(x, indices=_PLANE_IDX, unique=False),
           lambda x: R.gather_planes(x, _PLANE_IDX), 1, "real", (((1, 2, 5),),)),
    OpSpec("pool_scatter[internal]",
           lambda g: _pool_scatter(g, indices=_PLANE_IDX, size=(5,), unique=False),
           lambda g: R.scatter_planes(g, _PLANE_IDX, (5,)), 1, "real", (((1, 2, 3),),)),
    OpSpec("window_sum_transpose[internal]",
           lambda g: _window_sum_transpose(g, input_size=(5,), **_WINDOW_GEOMETRY),
           lambda g: R.window_sum_transpose(g, input_size=(5,), **_WINDOW_GEOMETRY), 1, "real",
           (((1, 2, 3),),)),
]


def _pool(name, fn, ref, shape, grid, domain="distinct", **kw):
    return OpSpec(name, fn, ref, 1, domain, ((shape,),), kwargs=grid, **kw)


NN_POOLING = [
    _pool("F.max_pool1d", F.max_pool1d, lambda x, **kw: R.max_pool(x, 1, **kw), (2, 2, 5),
          (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
           dict(kernel_size=2, ceil_mode=True), dict(kernel_size=2, stride=1, dilation=2))),
    _pool("F.max_pool2d", F.max_pool2d, lambda x, **kw: R.max_pool(x, 2, **kw), (1, 2, 4, 4),
          (dict(kernel_size=2), dict(kernel_size=(2, 3), stride=1, padding=(1, 0)),
           dict(kernel_size=3, stride=2, padding=1, ceil_mode=True))),
    _pool("F.max_pool2d_unbatched", F.max_pool2d, lambda x, **kw: R.max_pool(x, 2, **kw),
          (2, 3, 3), (dict(kernel_size=2, stride=1),)),
    _pool("F.max_pool2d_return_indices", F.max_pool2d, lambda x, **kw: R.max_pool(x, 2, **kw),
          (1, 2, 4, 4), (dict(kernel_size=2, return_indices=True),
                         dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
          note="(values, int64 indices flat over H*W); the indices carry no gradient"),
    _pool("F.max_pool3d", F.max_pool3d, lambda x, **kw: R.max_pool(x, 3, **kw), (1, 1, 3, 3, 2),
          (dict(kernel_size=2), dict(kernel_size=2, stride=1, padding=1))),
    _pool("F.avg_pool1d", F.avg_pool1d, lambda x, **kw: R.avg_pool(x, 1, **kw), (2, 2, 5),
          (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
           dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
           dict(kernel_size=2, ceil_mode=True), dict(kernel_size=2, divisor_override=3)),
          domain="real"),
    _pool("F.avg_pool2d", F.avg_pool2d, lambda x, **kw: R.avg_pool(x, 2, **kw), (1, 2, 4, 4),
          (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                     count_include_pad=False)), domain="real"),
    _pool("F.avg_pool3d", F.avg_pool3d, lambda x, **kw: R.avg_pool(x, 3, **kw), (1, 1, 3, 3, 2),
          (dict(kernel_size=2, stride=1),), domain="real"),
    _pool("F.adaptive_avg_pool1d", F.adaptive_avg_pool1d,
          lambda x, **kw: R.adaptive_avg_pool(x, 1, **kw), (2, 2, 6),
          (dict(output_size=3), dict(output_size=4), dict(output_size=1)), domain="real"),
    _pool("F.adaptive_avg_pool2d", F.adaptive_avg_pool2d,
          lambda x, **kw: R.adaptive_avg_pool(x, 2, **kw), (1, 2, 4, 5),
          (dict(output_size=(2, None)), dict(output_size=3), dict(output_size=(1, 1))),
          domain="real"),
    _pool("F.adaptive_avg_pool3d", F.adaptive_avg_pool3d,
          lambda x, **kw: R.adaptive_avg_pool(x, 3, **kw), (1, 1, 2, 3, 4),
          (dict(output_size=(1, 2, 2)),), domain="real"),
    _pool("F.adaptive_max_pool1d", F.adaptive_max_pool1d,
          lambda x, **kw: R.adaptive_max_pool(x, 1, **kw), (2, 2, 5),
          (dict(output_size=3), dict(output_size=2))),
    _pool("F.adaptive_max_pool2d", F.adaptive_max_pool2d,
          lambda x, **kw: R.adaptive_max_pool(x, 2, **kw), (1, 2, 4, 5),
          (dict(output_size=(2, 3)), dict(output_size=(3, 2), return_indices=True))),
    _pool("F.adaptive_max_pool3d", F.adaptive_max_pool3d,
          lambda x, **kw: R.adaptive_max_pool(x, 3, **kw), (1, 1, 2, 3, 3),
          (dict(output_size=(1, 2, 2)),)),
]

_RUNNING_MEAN, _RUNNING_VAR = np.array([0.1, -0.2]), np.array([0.5, 2.0])

NN_NORMALIZATION = [
    OpSpec("F.batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
           lambda x, w, b: R.batch_norm(x, None, None, w, b, training=True), 3, "real",
           (((3, 2), (2,), (2,)), ((2, 2, 3), (2,), (2,)))),
    OpSpec("F.batch_norm_no_affine", lambda x: F.batch_norm(x, None, None, training=True),
           lambda x: R.batch_norm(x, None, None, training=True), 1, "real", (((2, 3, 2),),)),
    OpSpec("F.batch_norm_eval",
           lambda x, w, b: F.batch_norm(x, _RUNNING_MEAN, _RUNNING_VAR, w, b, training=False),
           lambda x, w, b: R.batch_norm(x, _RUNNING_MEAN, _RUNNING_VAR, w, b, training=False),
           3, "real", (((2, 2, 3), (2,), (2,)),),
           note="running statistics are constants: an affine map"),
    OpSpec("F.layer_norm", lambda x, w, b: F.layer_norm(x, w.shape, w, b),
           lambda x, w, b: R.layer_norm(x, w.shape, w, b), 3, "real",
           (((2, 3), (3,), (3,)), ((2, 2, 3), (2, 3), (2, 3)))),
    OpSpec("F.layer_norm_no_affine", lambda x: F.layer_norm(x, (4,)),
           lambda x: R.layer_norm(x, (4,)), 1, "real", (((2, 4),),)),
    OpSpec("F.group_norm", lambda x, w, b: F.group_norm(x, 2, w, b),
           lambda x, w, b: R.group_norm(x, 2, w, b), 3, "real", (((2, 4, 2), (4,), (4,)),)),
    OpSpec("F.instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
           lambda x, w, b: R.instance_norm(x, w, b), 3, "real", (((2, 2, 3), (2,), (2,)),)),
]

_TARGET = np.array([1, 0, 3])                  # class indices for (3, 4) logits
_TARGET_SPATIAL = np.array([[0, 2], [1, 1]])   # for (2, 3, 2) logits
_CLASS_WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])
_REDUCTIONS = (dict(), dict(reduction="sum"), dict(reduction="none"))
_BCE_WEIGHT = np.array([0.5, 1.0, 2.0])


def _loss2(name, fn, ref, domain=("real", "real"), shapes=(((2, 3), (2, 3)),), kwargs=_REDUCTIONS,
           **kw):
    return OpSpec(name, fn, ref, 2, domain, shapes, kwargs=kwargs, **kw)


NN_LOSSES = [
    OpSpec("F.cross_entropy", lambda x, **kw: F.cross_entropy(x, _TARGET, **kw),
           lambda x, **kw: R.cross_entropy(x, _TARGET, **kw), 1, "real", (((3, 4),),),
           kwargs=_REDUCTIONS + (dict(label_smoothing=0.2), dict(ignore_index=0))),
    OpSpec("F.cross_entropy_weighted",
           lambda x, **kw: F.cross_entropy(x, _TARGET, weight=_CLASS_WEIGHT, **kw),
           lambda x, **kw: R.cross_entropy(x, _TARGET, weight=_CLASS_WEIGHT, **kw), 1, "real",
           (((3, 4),),), kwargs=_REDUCTIONS + (dict(label_smoothing=0.1),)),
    OpSpec("F.cross_entropy_probabilities", F.cross_entropy, R.cross_entropy, 2, ("real", "prob"),
           (((3, 4), (3, 4)),), kwargs=_REDUCTIONS + (dict(label_smoothing=0.1),),
           note="float targets are differentiable too"),
    OpSpec("F.cross_entropy_spatial", lambda x, **kw: F.cross_entropy(x, _TARGET_SPATIAL, **kw),
           lambda x, **kw: R.cross_entropy(x, _TARGET_SPATIAL, **kw), 1, "real",
           (((2, 3, 2),),), kwargs=(dict(), dict(reduction="none"))),
    OpSpec("F.cross_entropy_unbatched", lambda x: F.cross_entropy(x, np.array(2)),
           lambda x: R.cross_entropy(x, np.array(2)), 1, "real", (((4,),),)),
    OpSpec("F.nll_loss", lambda x, **kw: F.nll_loss(x, _TARGET, **kw),
           lambda x, **kw: R.nll_loss(x, _TARGET, **kw), 1, "real", (((3, 4),),),
           kwargs=_REDUCTIONS + (dict(ignore_index=3),)),
    OpSpec("F.nll_loss_weighted",
           lambda x, **kw: F.nll_loss(x, _TARGET, weight=_CLASS_WEIGHT, **kw),
           lambda x, **kw: R.nll_loss(x, _TARGET, weight=_CLASS_WEIGHT, **kw), 1, "real",
           (((3, 4),),), kwargs=_REDUCTIONS),
    OpSpec("F.multi_margin_loss", lambda x, **kw: F.multi_margin_loss(x, _TARGET, **kw),
           lambda x, **kw: R.multi_margin_loss(x, _TARGET, **kw), 1, "distinct", (((3, 4),),),
           kwargs=(dict(), dict(p=2), dict(margin=0.7, reduction="sum")),
           note="distinct values: no hinge sits at its kink (margin 1 or 0.7)"),
    OpSpec("F.multi_margin_loss_weighted",
           lambda x, **kw: F.multi_margin_loss(x, _TARGET, weight=_CLASS_WEIGHT, **kw),
           lambda x, **kw: R.multi_margin_loss(x, _TARGET, weight=_CLASS_WEIGHT, **kw), 1,
           "distinct", (((3, 4),),), kwargs=(dict(reduction="none"), dict(p=2))),
    _loss2("F.mse_loss", F.mse_loss, R.mse_loss),
    _loss2("F.l1_loss", F.l1_loss, R.l1_loss, "distinct"),
    _loss2("F.huber_loss", F.huber_loss, R.huber_loss, "distinct",
           kwargs=_REDUCTIONS + (dict(delta=0.6),)),
    _loss2("F.smooth_l1_loss", F.smooth_l1_loss, R.smooth_l1_loss, "distinct",
           kwargs=_REDUCTIONS + (dict(beta=0.6),)),
    _loss2("F.binary_cross_entropy", F.binary_cross_entropy, R.binary_cross_entropy, "prob"),
    _loss2("F.binary_cross_entropy_weighted",
           lambda x, t, **kw: F.binary_cross_entropy(x, t, weight=_BCE_WEIGHT, **kw),
           lambda x, t, **kw: R.binary_cross_entropy(x, t, weight=_BCE_WEIGHT, **kw), "prob"),
    _loss2("F.binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
           R.binary_cross_entropy_with_logits, ("real", "prob")),
    _loss2("F.binary_cross_entropy_with_logits_weights",
           lambda x, t, **kw: F.binary_cross_entropy_with_logits(
               x, t, weight=_BCE_WEIGHT, pos_weight=_BCE_WEIGHT[::-1].copy(), **kw),
           lambda x, t, **kw: R.binary_cross_entropy_with_logits(
               x, t, weight=_BCE_WEIGHT, pos_weight=_BCE_WEIGHT[::-1].copy(), **kw),
           ("real", "prob"), kwargs=(dict(),)),
    _loss2("F.soft_margin_loss", F.soft_margin_loss, R.soft_margin_loss),
    _loss2("F.kl_div", F.kl_div, R.kl_div, ("real", "prob"),
           kwargs=(dict(reduction="batchmean"), dict(reduction="sum"), dict(reduction="none"))),
    _loss2("F.kl_div_log_target", lambda x, t, **kw: F.kl_div(x, t, log_target=True, **kw),
           lambda x, t, **kw: R.kl_div(x, t, log_target=True, **kw),
           kwargs=(dict(reduction="batchmean"),)),
]


# Recurrent rows: seq_len 3, batch 2, input_size 2, hidden_size 2 (tiny: the scans are loops).
def _flat(result):
    """(output, h_n) or (output, (h_n, c_n)) as one flat tuple."""
    output, state = result
    return (output,) + (tuple(state) if isinstance(state, tuple) else (state,))


def _seq(mode, groups, n_state=1, **options):
    """Row fn / ref for a sequence network: args x, h0[, c0], then each weight group's tensors
    (``groups``: the number of tensors in each group)."""
    def split(args):
        x, states, rest = args[0], args[1:1 + n_state], args[1 + n_state:]
        weights, at = [], 0
        for size in groups:
            weights.append(tuple(rest[at:at + size]))
            at += size
        return x, states, weights

    def run(*args):
        x, states, weights = split(args)
        hx = tuple(states) if mode == "lstm" else states[0]
        call = F.lstm if mode == "lstm" else F.gru if mode == "gru" else F.rnn
        extra = {} if mode in ("lstm", "gru") else dict(nonlinearity=mode[4:])
        return _flat(call(x, hx, weights, **extra, **options))

    def ref(*args):
        x, states, weights = split(args)
        h0, c0 = states[0], states[1] if n_state == 2 else None
        padded = [w[:2] + (None, None) + w[2:] if len(w) == 3 else w for w in weights]
        return R.sequence(mode, x, h0, c0, padded, **options)
    return run, ref


def _cell_row(name, mode, shapes):
    lstm = mode == "lstm"

    def run(x, h, *rest):
        if lstm:
            c, *rest = rest
            return tuple(getattr(F, mode + "_cell")(x, (h, c), *rest))
        return getattr(F, mode + "_cell")(x, h, *rest)

    def ref(x, h, *rest):
        c = None
        if lstm:
            c, *rest = rest
        h_new, c_new = R.cell(mode, x, h, c, *rest)
        return (R._cast(h_new, x), R._cast(c_new, x)) if lstm else R._cast(h_new, x)
    return OpSpec(name, run, ref, len(shapes[0]), "real", shapes)


_X, _H = (3, 2, 2), (1, 2, 2)           # (seq_len, batch, input), (layers * dirs, batch, hidden)
NN_RECURRENT = [
    OpSpec("F.rnn", *_seq("rnn_tanh", [4]), 6, "real",
           ((_X, _H, (2, 2), (2, 2), (2,), (2,)),)),
    OpSpec("F.rnn_relu", *_seq("rnn_relu", [4]), 6, "real",
           ((_X, _H, (2, 2), (2, 2), (2,), (2,)),)),
    OpSpec("F.rnn_bidirectional", *_seq("rnn_tanh", [2, 2], bidirectional=True), 6, "real",
           ((_X, (2, 2, 2), (2, 2), (2, 2), (2, 2), (2, 2)),)),
    OpSpec("F.rnn_two_layers", *_seq("rnn_tanh", [2, 2], num_layers=2), 6, "real",
           ((_X, (2, 2, 2), (2, 2), (2, 2), (2, 2), (2, 2)),)),
    OpSpec("F.lstm", *_seq("lstm", [4], n_state=2), 7, "real",
           ((_X, _H, _H, (8, 2), (8, 2), (8,), (8,)),)),
    OpSpec("F.lstm_projection", *_seq("lstm", [3], n_state=2, batch_first=True), 6, "real",
           (((2, 3, 2), (1, 2, 1), (1, 2, 2), (8, 2), (8, 1), (1, 2)),),
           note="proj_size 1 (w_hr), batch_first"),
    OpSpec("F.gru", *_seq("gru", [4]), 6, "real",
           ((_X, _H, (6, 2), (6, 2), (6,), (6,)),)),
    OpSpec("F.gru_unbatched", *_seq("gru", [2]), 4, "real",
           (((3, 2), (1, 2), (6, 2), (6, 2)),)),
    _cell_row("F.rnn_tanh_cell", "rnn_tanh", (((2, 2), (2, 2), (2, 2), (2, 2), (2,), (2,)),)),
    _cell_row("F.rnn_relu_cell", "rnn_relu", (((2, 2), (2, 2), (2, 2), (2, 2)),)),
    _cell_row("F.lstm_cell", "lstm", (((2, 2), (2, 2), (2, 2), (8, 2), (8, 2), (8,), (8,)),)),
    _cell_row("F.gru_cell", "gru", (((2,), (2,), (6, 2), (6, 2), (6,), (6,)),)),
]

NN = (NN_ACTIVATIONS + NN_BASIC + NN_CONV + NN_INTERNAL + NN_POOLING + NN_NORMALIZATION
      + NN_LOSSES + NN_RECURRENT)


DIFFERENTIABLE = ELEMENTWISE + REDUCTIONS + LINALG + SHAPE + EXPORTS + LA_ROWS + NN
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


# --------------------------------------------------------------------------- coverage declarations
# test_op_table_coverage.py finds every public function and every primitive mechanically
# (discover.py) and fails unless each primitive is applied by some row and each function has
# a row named after it (``name``, ``name_<variant>`` or ``name[<variant>]``), is declared an
# alias here -- once, the same object as a function with a row -- or is not an array function.
ALIASES = {
    # NumPy's second names
    "absolute": "abs", "fabs": "abs", "true_divide": "divide", "pow": "power",
    "radians": "deg2rad", "degrees": "rad2deg", "around": "round", "remainder": "mod",
    "amax": "max", "amin": "min", "row_stack": "vstack", "linalg.norm": "norm",
    # array-API / PyTorch / SciPy names
    "concat": "concatenate", "cat": "concatenate", "clamp": "clip", "permute_dims": "transpose",
    "unsqueeze": "expand_dims", "logistic": "sigmoid",
    # nn.functional's second names
    "F.hard_sigmoid": "F.hardsigmoid", "F.swish": "F.silu",
}

NOT_ARRAY_FUNCTIONS = {
    "allclose",      # a Python bool (np.allclose), not an array: nothing to differentiate
    "array_equal",   # a Python bool (np.array_equal)
}
