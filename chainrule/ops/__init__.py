"""Every differentiable function, by NumPy name. Rules live beside each primitive."""
from .elementwise import (abs, absolute, add, arccos, arccosh, arcsin, arcsinh, arctan, arctan2,
                          arctanh, around, ceil, clamp, clip, cos, cosh, deg2rad, degrees, divide,
                          exp, exp2, expm1, fabs, floor, floor_divide, fmax, fmin, log, log1p,
                          log2, log10, maximum, minimum, mod, multiply, nan_to_num, negative,
                          positive, pow, power, rad2deg, radians, reciprocal, remainder, rint,
                          round, sign, sin, sinh, sqrt, square, subtract, tan, tanh, true_divide,
                          trunc, where)
from .special import (erf, log_softmax, logaddexp, logaddexp2, logistic, relu, sigmoid, softmax,
                      softplus)
from .reductions import (amax, amin, cumprod, cumsum, logsumexp, max, mean, min, prod, std,
                         sum, trace, var)
from .shape import (append, array, array_split, astype, atleast_1d, atleast_2d, atleast_3d,
                    broadcast_arrays, broadcast_to, cat, column_stack, concat, concatenate, copy,
                    diag, diagonal, diff, dsplit, dstack, expand_dims, flatten, flip, fliplr,
                    flipud, hsplit, hstack, meshgrid, moveaxis, pad, permute_dims, ravel, repeat,
                    reshape, roll, rot90, row_stack, sort, split, squeeze, stack, sum_to,
                    swapaxes, take, take_along_axis, tile, transpose, tril, triu,
                    unsqueeze, vsplit, vstack)
from .indexing import getitem, index_put, scatter_add, unwrap_index
from .norms import norm
from .products import cross, dot, einsum, inner, kron, matmul, outer, tensordot, vdot
from .nondifferentiable import (allclose, argmax, argmin, argsort, array_equal, equal, greater,
                                greater_equal, isclose, isfinite, isinf, isnan, less, less_equal,
                                logical_and, logical_not, logical_or, logical_xor, nonzero,
                                not_equal, signbit)

__all__ = ['abs', 'absolute', 'add', 'allclose', 'amax', 'amin', 'append', 'arccos', 'arccosh',
           'arcsin', 'arcsinh', 'arctan', 'arctan2', 'arctanh', 'argmax', 'argmin', 'argsort',
           'around', 'array', 'array_equal', 'array_split', 'astype', 'atleast_1d', 'atleast_2d',
           'atleast_3d', 'broadcast_arrays', 'broadcast_to', 'cat', 'ceil', 'clamp', 'clip',
           'column_stack', 'concat', 'concatenate', 'copy', 'cos', 'cosh', 'cross', 'cumprod',
           'cumsum', 'deg2rad', 'degrees', 'diag', 'diagonal', 'diff', 'divide', 'dot', 'dsplit',
           'dstack', 'einsum', 'equal', 'erf', 'exp', 'exp2', 'expand_dims', 'expm1', 'fabs',
           'flatten', 'flip', 'fliplr', 'flipud', 'floor', 'floor_divide', 'fmax', 'fmin',
           'greater', 'greater_equal', 'hsplit', 'hstack', 'inner', 'isclose', 'isfinite',
           'isinf', 'isnan', 'kron', 'less', 'less_equal', 'log', 'log10', 'log1p', 'log2',
           'log_softmax', 'logaddexp', 'logaddexp2', 'logical_and', 'logical_not', 'logical_or',
           'logical_xor', 'logistic', 'logsumexp', 'matmul', 'max', 'maximum', 'mean',
           'meshgrid', 'min', 'minimum', 'mod', 'moveaxis', 'multiply', 'nan_to_num', 'negative',
           'nonzero', 'norm', 'not_equal', 'outer', 'pad', 'permute_dims', 'positive', 'pow',
           'power', 'prod', 'rad2deg', 'radians', 'ravel', 'reciprocal', 'relu', 'remainder',
           'repeat', 'reshape', 'rint', 'roll', 'rot90', 'round', 'row_stack', 'sigmoid', 'sign',
           'signbit', 'sin', 'sinh', 'softmax', 'softplus', 'sort', 'split', 'sqrt', 'square',
           'squeeze', 'stack', 'std', 'subtract', 'sum', 'sum_to', 'swapaxes', 'take',
           'take_along_axis', 'tan', 'tanh', 'tensordot', 'tile', 'trace', 'transpose', 'tril',
           'triu', 'true_divide', 'trunc', 'unsqueeze', 'var', 'vdot', 'vsplit', 'vstack',
           'where']
