"""Errors a new user meets name the op, the argument, the shapes/dtypes and what was expected.

Wrong shapes and values raise ValueError (an out-of-range axis raises NumPy's AxisError,
which is both a ValueError and an IndexError, as NumPy and PyTorch users expect); wrong
types raise TypeError; out-of-range indices IndexError.
"""
import re

import numpy as np
import pytest

import chainrule as cr


def _raises(exc, pattern, fn):
    with pytest.raises(exc, match=re.escape(pattern)) as info:
        fn()
    return str(info.value)


# --------------------------------------------------------------------------- matmul and products
def test_matmul_not_aligned():
    a, b = cr.ones(3, 4), cr.ones(5, 6)
    msg = "matmul: shapes (3, 4) and (5, 6) are not aligned: 4 (dim 1) != 5 (dim 0)"
    _raises(ValueError, msg, lambda: cr.matmul(a, b))
    _raises(ValueError, msg, lambda: a @ b)


def test_matmul_vectors_and_batches():
    _raises(ValueError, "matmul: shapes (3,) and (4,) are not aligned: 3 (dim 0) != 4 (dim 0)",
            lambda: cr.matmul(cr.ones(3), cr.ones(4)))
    _raises(ValueError, "matmul: batch dimensions of shapes (2, 3, 4) and (3, 4, 2) do not broadcast",
            lambda: cr.matmul(cr.ones(2, 3, 4), cr.ones(3, 4, 2)))
    _raises(ValueError, "matmul: both operands must have at least 1 dimension",
            lambda: cr.matmul(cr.tensor(2.0), cr.ones(3)))


def test_dot_inner_tensordot_einsum_cross():
    _raises(ValueError, "dot: shapes (2, 3) and (2, 3) not aligned: 3 (dim 1) != 2 (dim 0)",
            lambda: cr.dot(cr.ones(2, 3), cr.ones(2, 3)))
    _raises(ValueError, "inner: shapes (2, 3) and (4,) are not aligned",
            lambda: cr.inner(cr.ones(2, 3), cr.ones(4)))
    _raises(ValueError, "tensordot: shape mismatch for sum: axis 1 of shape (2, 3) has 3 but "
            "axis 0 of shape (2, 3) has 2", lambda: cr.tensordot(cr.ones(2, 3), cr.ones(2, 3), 1))
    _raises(ValueError, "tensordot: axes=3 must be between 0 and",
            lambda: cr.tensordot(cr.ones(2, 3), cr.ones(3), axes=3))
    _raises(ValueError, "einsum: subscript 'j' has size 3 in operand 0 (shape (2, 3)) but size 2 "
            "in operand 1 (shape (2, 3))", lambda: cr.einsum("ij,jk->ik", cr.ones(2, 3), cr.ones(2, 3)))
    _raises(ValueError, "einsum: 2 operand subscripts for 1 operands",
            lambda: cr.einsum("ij,jk->ik", cr.ones(2, 3)))
    _raises(ValueError, "cross: incompatible dimensions for cross product: a has shape (2,)",
            lambda: cr.cross(cr.ones(2), cr.ones(2)))


# --------------------------------------------------------------------------- broadcasting in binary ops
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "maximum",
                                  "minimum", "arctan2", "logaddexp", "mod", "fmax", "less",
                                  "equal"])
def test_binary_op_broadcast_failure_names_the_op(name):
    fn = getattr(cr, name)
    _raises(ValueError, f"{name}: operands could not be broadcast together: shapes (2, 3) and (4,)",
            lambda: fn(cr.ones(2, 3), cr.ones(4)))


@pytest.mark.parametrize("op,name", [(lambda a, b: a + b, "add"), (lambda a, b: a - b, "subtract"),
                                     (lambda a, b: a * b, "multiply"), (lambda a, b: a / b, "divide"),
                                     (lambda a, b: b * a, "multiply"), (lambda a, b: a ** b, "power"),
                                     (lambda a, b: a < b, "less")])
def test_operators_broadcast_failure_names_the_op(op, name):
    _raises(ValueError, f"{name}: operands could not be broadcast together: shapes",
            lambda: op(cr.ones(2, 3), cr.ones(4)))
    # an ndarray operand too
    _raises(ValueError, "operands could not be broadcast together",
            lambda: op(cr.ones(2, 3), np.ones(4)))


def test_where_broadcast_failure():
    _raises(ValueError, "where: operands could not be broadcast together: shapes (2, 3), (4,), ()",
            lambda: cr.where(cr.ones(2, 3) > 0, cr.ones(4), 0.0))


def test_unsupported_operand_types_name_op_argument_and_type():
    msg = _raises(TypeError, "add: unsupported operand type(s)", lambda: cr.ones(2) + "a")
    assert "argument 1 is float32 of shape (2,)" in msg and "argument 2 is str" in msg
    msg = _raises(TypeError, "exp: unsupported operand type(s): argument 1 is str",
                  lambda: cr.exp("a"))
    _raises(TypeError, "sqrt: unsupported operand type(s)", lambda: cr.sqrt(None))


# --------------------------------------------------------------------------- shapes
def test_reshape():
    _raises(ValueError, "reshape: cannot reshape a tensor of shape (2, 3) (6 elements) into shape (4, 2)",
            lambda: cr.reshape(cr.ones(2, 3), (4, 2)))
    _raises(ValueError, "reshape: cannot reshape a tensor of shape (2, 3)",
            lambda: cr.ones(2, 3).reshape(5, -1))


def test_concatenate_and_stack():
    _raises(ValueError, "concatenate: all input shapes must match except on axis 0, but input 0 "
            "has shape (2, 3) and input 1 has shape (2, 4)",
            lambda: cr.concatenate([cr.ones(2, 3), cr.ones(2, 4)]))
    _raises(ValueError, "concatenate: all input shapes must match except on axis 1, but input 0 "
            "has shape (2, 3) and input 2 has shape (3, 3)",
            lambda: cr.concatenate([cr.ones(2, 3), cr.ones(2, 1), cr.ones(3, 3)], axis=1))
    _raises(ValueError, "concatenate: need at least one tensor", lambda: cr.concatenate([]))
    _raises(ValueError, "concatenate: zero-dimensional tensors cannot be concatenated",
            lambda: cr.concatenate([cr.tensor(1.0), cr.tensor(2.0)]))
    _raises(ValueError, "stack: all input tensors must have the same shape, got [(2,), (3,)]",
            lambda: cr.stack([cr.ones(2), cr.ones(3)]))


def test_broadcast_to_transpose_split_pad_tile_repeat():
    _raises(ValueError, "broadcast_to: cannot broadcast a tensor of shape (2, 3) to shape (3, 3)",
            lambda: cr.broadcast_to(cr.ones(2, 3), (3, 3)))
    _raises(ValueError, "transpose: axes (0, 0) don't match a tensor of shape (2, 3)",
            lambda: cr.transpose(cr.ones(2, 3), (0, 0)))
    _raises(ValueError, "split: array split does not result in an equal division: axis of length "
            "5 into 3 sections", lambda: cr.split(cr.ones(5), 3))
    _raises(ValueError, "pad: pad_width ((1, 1), (1, 1), (1, 1)) does not fit a tensor of shape "
            "(2, 3)", lambda: cr.pad(cr.ones(2, 3), ((1, 1), (1, 1), (1, 1))))
    _raises(ValueError, "pad: pad_width must be non-negative", lambda: cr.pad(cr.ones(2), -1))
    _raises(ValueError, "pad: unsupported mode 'mean'", lambda: cr.pad(cr.ones(2), 1, mode="mean"))
    _raises(ValueError, "tile: reps must be non-negative", lambda: cr.tile(cr.ones(2), -1))
    _raises(ValueError, "repeat: repeats of shape (2,) do not match axis 0 of length 3",
            lambda: cr.repeat(cr.ones(3), [1, 2]))
    _raises(ValueError, "squeeze: cannot select an axis to squeeze out which has size not equal "
            "to one (axis 1 of shape (1, 3))", lambda: cr.squeeze(cr.ones(1, 3), axis=1))
    _raises(ValueError, "trace: input must have at least 2 dimensions, got shape (3,)",
            lambda: cr.trace(cr.ones(3)))
    _raises(ValueError, "diagonal: axis1 and axis2 cannot be the same",
            lambda: cr.diagonal(cr.ones(3, 3), axis1=1, axis2=-1))
    _raises(ValueError, "diag: input must be 1-D or 2-D, got shape (2, 2, 2)",
            lambda: cr.diag(cr.ones(2, 2, 2)))


# --------------------------------------------------------------------------- axes
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std", "logsumexp",
                                  "cumsum", "cumprod", "flip", "argmax", "argmin", "norm",
                                  "softmax", "log_softmax", "squeeze", "take", "repeat",
                                  "expand_dims", "concatenate_", "stack_", "swapaxes", "moveaxis"])
def test_axis_out_of_range_names_the_op(name):
    x = cr.ones(2, 3)
    calls = {
        "concatenate_": ("concatenate", lambda: cr.concatenate([x, x], axis=2)),
        "stack_": ("stack", lambda: cr.stack([x, x], axis=3)),
        "take": ("take", lambda: cr.take(x, [0], axis=2)),
        "repeat": ("repeat", lambda: cr.repeat(x, 2, axis=2)),
        "expand_dims": ("expand_dims", lambda: cr.expand_dims(x, 3)),
        "swapaxes": ("swapaxes", lambda: cr.swapaxes(x, 0, 2)),
        "moveaxis": ("moveaxis", lambda: cr.moveaxis(x, 2, 0)),
    }
    op, call = calls.get(name, (name, lambda: getattr(cr, name)(x, axis=2)))
    with pytest.raises(ValueError) as info:   # AxisError is a ValueError (and an IndexError)
        call()
    msg = str(info.value)
    assert msg.startswith(op), msg
    assert "out of bounds" in msg and "dimension" in msg, msg
    assert isinstance(info.value, IndexError)


def test_axis_type_and_repeats():
    _raises(TypeError, "sum: axis must be None, an int or a tuple of ints",
            lambda: cr.sum(cr.ones(2, 3), axis=1.0))
    _raises(ValueError, "sum: repeated axis in (0, 0)", lambda: cr.sum(cr.ones(2, 3), axis=(0, 0)))
    _raises(TypeError, "argmax: axis must be None or an int", lambda: cr.argmax(cr.ones(2, 3), axis=(0, 1)))
    _raises(ValueError, "max: zero-size array (shape (0,))", lambda: cr.max(cr.ones(0)))


# --------------------------------------------------------------------------- indices
def test_index_out_of_range():
    _raises(IndexError, "getitem: index 5 is out of bounds for axis 0 with size 2 (tensor of "
            "shape (2, 3), index [5])", lambda: cr.ones(2, 3)[5])
    _raises(IndexError, "getitem:", lambda: cr.ones(2, 3)[0, [1, 7]])
    _raises(IndexError, "take: index 7 is out of bounds for axis 0 with size 2 (tensor of shape "
            "(2, 3))", lambda: cr.take(cr.ones(2, 3), [7], axis=0))
    _raises(IndexError, "take: index -7 is out of bounds for the flattened tensor with size 6",
            lambda: cr.take(cr.ones(2, 3), [-7]))
    _raises(IndexError, "take_along_axis: index 3 is out of bounds for axis 1 with size 3",
            lambda: cr.take_along_axis(cr.ones(2, 3), np.array([[3], [0]]), axis=1))
    _raises(IndexError, "take: indices must be integers, got dtype float64",
            lambda: cr.take(cr.ones(3), np.array([0.0, 1.0])))
    _raises(IndexError, "tensors used as indices must be integer or bool, got dtype float32",
            lambda: cr.ones(3)[cr.ones(2)])


# --------------------------------------------------------------------------- types
def test_requires_grad_on_an_integer_tensor_is_a_type_error():
    _raises(TypeError, "only Tensors of floating point dtype can require gradients, got dtype int64",
            lambda: cr.tensor([1, 2], requires_grad=True))
    _raises(TypeError, "got dtype int64", lambda: cr.arange(3).requires_grad_())
    _raises(TypeError, "got dtype bool", lambda: cr.tensor([True]).requires_grad_())
