"""Products: matmul (a primitive), einsum (a primitive whose VJP is another einsum) and
compositions on top (dot, tensordot, outer, inner, kron, cross, vdot)."""
import string

import numpy as np

from ..core.apply import apply
from ..core.primitive import Primitive, make_op
from ._util import data_of, normalize_axes, numeric_input, shape_of
from .elementwise import multiply
from .indexing import getitem
from .reductions import sum as sum_
from .shape import broadcast_to, expand_dims, moveaxis, reshape, stack, swapaxes


def _matmul_error(a, b):
    sa, sb = np.shape(a), np.shape(b)
    if len(sa) == 0 or len(sb) == 0:
        return ValueError(f"matmul: both operands must have at least 1 dimension, got shapes {sa} "
                          f"and {sb} (use multiply for scalars)")
    ka = sa[-1]
    kb = sb[-2] if len(sb) >= 2 else sb[0]
    da = len(sa) - 1
    db = len(sb) - 2 if len(sb) >= 2 else 0
    if ka != kb:
        return ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {ka} (dim {da}) != "
                          f"{kb} (dim {db})")
    return ValueError(f"matmul: batch dimensions of shapes {sa} and {sb} do not broadcast")


class _MatMul(Primitive):
    """x @ y with NumPy's rules (1-D operands promoted and the added axis removed)."""

    name = "matmul"
    formula = ("upstream @ {y}ᵀ", "{x}ᵀ @ upstream")
    arity, direct = 2, np.matmul    # the fast path of two-input ops (core/fastpath.py)

    def forward(self, x, y):
        try:
            return np.matmul(x, y)
        except ValueError:
            raise _matmul_error(x, y) from None

    def vjp(self, needs, grad, out, x, y):
        sx, sy = shape_of(x), shape_of(y)
        if len(sx) >= 2 and len(sy) >= 2:
            grad_x = matmul(grad, swapaxes(y, -1, -2)) if needs[0] else None
            grad_y = matmul(swapaxes(x, -1, -2), grad) if needs[1] else None
            return grad_x, grad_y
        # Promote 1-D operands to matrices, then let the engine sum the extra axes away.
        x2 = reshape(x, (1,) + sx) if len(sx) == 1 else x
        y2 = reshape(y, sy + (1,)) if len(sy) == 1 else y
        g_shape = shape_of(grad)
        if len(sx) == 1 and len(sy) == 1:
            g2 = reshape(grad, (1, 1))
        elif len(sx) == 1:
            g2 = reshape(grad, g_shape[:-1] + (1, g_shape[-1]))
        else:
            g2 = reshape(grad, g_shape + (1,))
        grad_x = grad_y = None
        if needs[0]:
            grad_x = matmul(g2, swapaxes(y2, -1, -2))
            if len(sx) == 1:
                grad_x = reshape(grad_x, shape_of(grad_x)[:-2] + (sx[0],))
        if needs[1]:
            grad_y = matmul(swapaxes(x2, -1, -2), g2)
            if len(sy) == 1:
                grad_y = reshape(grad_y, shape_of(grad_y)[:-2] + (sy[0],))
        return grad_x, grad_y

    def jvp(self, tangents, out, x, y):
        tangent_x, tangent_y = tangents
        result = None if tangent_x is None else matmul(tangent_x, y)
        if tangent_y is not None:
            term = matmul(x, tangent_y)
            result = term if result is None else result + term
        return result


matmul = make_op(_MatMul(), "Matrix product with NumPy's broadcasting rules. "
                            "Shapes: (..., n, k) @ (..., k, m) -> (..., n, m).")


# --------------------------------------------------------------------------- einsum
_LETTERS = string.ascii_letters


def _parse_einsum(subscripts, shapes):
    """Explicit form 'ab,bc->ac' with ellipses replaced by letters."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, rhs = subscripts.split("->")
    else:
        lhs, rhs = subscripts, None
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum: {len(inputs)} operand subscripts for {len(shapes)} operands")
    used = set(c for c in subscripts if c.isalpha())
    free = [c for c in _LETTERS if c not in used]
    ell_nd = 0
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            ell_nd = max(ell_nd, len(shape) - (len(sub) - 3))
    ell = "".join(free[:ell_nd])
    new_inputs = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_nd - n:] if n else "")
        if len(sub) != len(shape):
            raise ValueError(f"einsum: subscripts '{sub}' do not match an operand of shape {shape}")
        new_inputs.append(sub)
    if rhs is None:
        counts = {}
        for sub in new_inputs:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return new_inputs, rhs


def _sizes(inputs, shapes):
    """The size of each subscript letter (size-1 dimensions broadcast, as NumPy's einsum)."""
    sizes, first = {}, {}
    for i, (sub, shape) in enumerate(zip(inputs, shapes)):
        for c, n in zip(sub, shape):
            if sizes.get(c, 1) != 1 and n != 1 and sizes[c] != n:
                j = first[c]
                raise ValueError(
                    f"einsum: subscript '{c}' has size {sizes[c]} in operand {j} (shape "
                    f"{tuple(shapes[j])}) but size {n} in operand {i} (shape {tuple(shape)})")
            if sizes.get(c, 1) == 1:
                sizes[c], first[c] = n, i
    return sizes


class _Einsum(Primitive):
    """einsum in explicit form; the gradient of each operand is another einsum."""

    name = "einsum"
    formula = "einsum of upstream with the other operands"

    def forward(self, *operands, spec):
        try:
            return np.einsum(spec, *operands, optimize=len(operands) > 2)
        except ValueError as error:
            shapes = ", ".join(str(np.shape(op)) for op in operands)
            raise ValueError(f"einsum: '{spec}' with operands of shapes {shapes}: {error}") from None

    def _operand_grad(self, i, grad, operands, spec):
        lhs, rhs = spec.split("->")
        subs = lhs.split(",")
        target = subs[i]
        shapes = [shape_of(op) for op in operands]
        sizes = _sizes(subs, shapes)
        others = [(s, op) for j, (s, op) in enumerate(zip(subs, operands)) if j != i]
        available = set(rhs) | set("".join(s for s, _ in others))
        unique = "".join(dict.fromkeys(target))
        present = "".join(c for c in unique if c in available)
        spec_g = ",".join([rhs] + [s for s, _ in others]) + "->" + present
        g = einsum(spec_g, grad, *[op for _, op in others])
        # Letters summed over in this operand alone: the gradient is constant along them.
        if present != unique:
            for pos, c in enumerate(unique):
                if c not in available:
                    g = expand_dims(g, pos)
            g = broadcast_to(g, tuple(sizes[c] for c in unique))
        # Repeated letters in this operand ('ii'): put the values on the diagonal.
        if len(unique) != len(target):
            free = [c for c in _LETTERS if c not in spec]
            renamed, eyes, eye_specs, seen = "", [], [], set()
            for c in target:
                if c in seen:
                    f = free.pop(0)
                    renamed += f
                    eye_specs.append(c + f)
                    eyes.append(np.eye(sizes[c], dtype=data_of(g).dtype))
                else:
                    renamed += c
                    seen.add(c)
            g = einsum(",".join([unique] + eye_specs) + "->" + renamed, g, *eyes)
        return g

    def vjp(self, needs, grad, out, *operands, spec):
        return tuple(self._operand_grad(i, grad, operands, spec) if need else None
                     for i, need in enumerate(needs))

    def jvp(self, tangents, out, *operands, spec):
        result = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            ops = list(operands)
            ops[i] = t
            term = einsum(spec, *ops)
            result = term if result is None else result + term
        return result


_EINSUM = _Einsum()


def einsum(subscripts, *operands, optimize=False):
    """Einstein summation (np.einsum), including ellipses, implicit output and the sublist form.

    ``optimize`` is accepted as NumPy's (a contraction-order hint; the values do not depend on
    it)."""
    if not isinstance(subscripts, str):
        subscripts, operands = _from_sublists(subscripts, *operands)
    shapes = [shape_of(op) for op in operands]
    inputs, rhs = _parse_einsum(subscripts, shapes)
    _sizes(inputs, shapes)
    for c in rhs:
        if not any(c in sub for sub in inputs):
            raise ValueError(f"einsum: output subscript '{c}' does not appear in any input "
                             f"('{subscripts}')")
    return apply(_EINSUM, *operands, spec=",".join(inputs) + "->" + rhs)


einsum.primitive = _EINSUM


def _from_sublists(*args):
    args = list(args)
    out_sub = None
    if len(args) % 2 == 1:
        out_sub = args.pop()
    operands = args[0::2]
    subs = args[1::2]
    letter = {}

    def name(i):
        if i is Ellipsis:
            return "..."
        if i not in letter:
            letter[i] = _LETTERS[len(letter)]
        return letter[i]

    spec = ",".join("".join(name(i) for i in s) for s in subs)
    if out_sub is not None:
        spec += "->" + "".join(name(i) for i in out_sub)
    return spec, operands


# --------------------------------------------------------------------------- compositions
def tensordot(a, b, axes=2):
    """np.tensordot: sum products over the given axes (an int n means the last n of a, first n of b)."""
    sa, sb = shape_of(a), shape_of(b)
    if isinstance(axes, (int, np.integer)):
        axes = int(axes)
        if axes < 0 or axes > min(len(sa), len(sb)):
            raise ValueError(f"tensordot: axes={axes} must be between 0 and the smaller number of "
                             f"dimensions of shapes {sa} and {sb}")
        axes_a = list(range(len(sa) - axes, len(sa)))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
        if len(axes_a) != len(axes_b):
            raise ValueError(f"tensordot: axes {tuple(axes_a)} of a and {tuple(axes_b)} of b must "
                             "have the same length")
    axes_a = [normalize_axes(x, len(sa), "tensordot (axes of a)")[0] for x in axes_a]
    axes_b = [normalize_axes(x, len(sb), "tensordot (axes of b)")[0] for x in axes_b]
    for i, j in zip(axes_a, axes_b):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: shape mismatch for sum: axis {i} of shape {sa} has "
                             f"{sa[i]} but axis {j} of shape {sb} has {sb[j]}")
    letters = iter(_LETTERS)
    sub_a = [next(letters) for _ in sa]
    sub_b = [next(letters) for _ in sb]
    for i, j in zip(axes_a, axes_b):
        sub_b[j] = sub_a[i]
    out = [c for k, c in enumerate(sub_a) if k not in axes_a] + \
          [c for k, c in enumerate(sub_b) if k not in axes_b]
    return einsum("".join(sub_a) + "," + "".join(sub_b) + "->" + "".join(out), a, b)


def dot(a, b):
    """np.dot: inner product of vectors, matrix product of matrices, sum over a's last and b's
    second-to-last axis otherwise; a 0-d operand multiplies."""
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) == 0 or len(sb) == 0:
        return multiply(a, b)
    if len(sa) <= 2 and len(sb) <= 2:
        if sa[-1] != sb[0 if len(sb) == 1 else -2]:
            raise ValueError(f"dot: shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) "
                             f"!= {sb[0 if len(sb) == 1 else -2]} (dim {0 if len(sb) == 1 else len(sb) - 2})")
        return matmul(a, b)
    return tensordot(a, b, axes=([len(sa) - 1], [max(len(sb) - 2, 0)]))


def inner(a, b):
    """np.inner: sum over the last axes."""
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) == 0 or len(sb) == 0:
        return multiply(a, b)
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: shapes {sa} and {sb} are not aligned: the last dimensions "
                         f"differ ({sa[-1]} != {sb[-1]})")
    return tensordot(a, b, axes=([-1], [-1]))


def vdot(a, b):
    return sum_(multiply(reshape(a, (-1,)), reshape(b, (-1,))))


def outer(a, b):
    """Outer product of the flattened inputs: shape (a.size, b.size)."""
    a, b = numeric_input(a, "outer", "argument 1"), numeric_input(b, "outer", "argument 2")
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def kron(a, b):
    """Kronecker product (np.kron)."""
    a, b = numeric_input(a, "kron", "argument 1"), numeric_input(b, "kron", "argument 2")
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + tuple(sa)
    sb = (1,) * (nd - len(sb)) + tuple(sb)
    a = reshape(a, tuple(v for n in sa for v in (n, 1)))
    b = reshape(b, tuple(v for n in sb for v in (1, n)))
    return reshape(multiply(a, b), tuple(p * q for p, q in zip(sa, sb)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (np.cross): the vectors lie along ``axisa`` of a and ``axisb``
    of b, the other axes broadcast, and the result's vectors lie along ``axisc``; ``axis``
    sets all three. Shapes: (..., 3) x (..., 3) -> (..., 3)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    sa, sb = shape_of(a), shape_of(b)
    for name, shape, ax in (("a", sa, axisa), ("b", sb, axisb)):
        if not shape or not -len(shape) <= ax < len(shape):
            raise ValueError(f"cross: axis {ax} is out of bounds for {name} of shape {shape}")
        if shape[ax] != 3:
            raise ValueError(f"cross: incompatible dimensions for cross product: {name} has shape "
                             f"{shape}, with {shape[ax]} components on axis {ax} (expected 3)")
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    a0, a1, a2 = (getitem(a, (Ellipsis, i)) for i in range(3))
    b0, b1, b2 = (getitem(b, (Ellipsis, i)) for i in range(3))
    out = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    nd = len(shape_of(out))
    if not -nd <= axisc < nd:
        raise ValueError(f"cross: axisc {axisc} is out of bounds for a result of dimension {nd}")
    return moveaxis(out, -1, axisc) if axisc % nd != nd - 1 else out


__all__ = ["cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "tensordot", "vdot"]
