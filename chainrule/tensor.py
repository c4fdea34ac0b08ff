"""Tensor: an ndarray plus what autodiff needs (requires_grad, grad, node, version, tangents).

Operators and methods are one-line calls into ``chainrule.ops``.
"""
import html
import sys
import warnings
import weakref

import numpy as np

from . import dtypes
from .core.apply import user_site as _user_site
from .core.backward import backward as _backward
from .core.modes import STATE
from .core.numeric import ensure_quiet

__all__ = ["Tensor"]


def _no_out(out, name):
    """NumPy passes ``out=None`` when ``np.sum(t)`` and friends defer to the method."""
    if out is not None:
        raise TypeError(f"Tensor.{name}: out= is not supported (chainrule returns a new Tensor; "
                        "write it into an array with out[...] = result.data)")


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, dtype=None, requires_grad=False)``: floats become the default
    float dtype (float32), ints int64, bools bool; an ndarray keeps its dtype.

    In-place ops (``+=``, ``t[idx] = v``, ``fill_``, ...) bump a version counter. While
    autodiff records (grad mode on and something involved requires grad), they rebind the
    tensor to a fresh buffer: the graph keeps the old value, so gradients are always those
    of the values computed, but views of the old buffer (slices, reshapes) do not see the
    write. Otherwise they write into the buffer as NumPy does; a backward that still needs
    the overwritten value then raises ``RuntimeError`` naming the op and the versions.
    """

    # Class-level defaults: a new Tensor sets only ``data`` (cheap to create).
    _grad = None   # ``.grad`` (a property: reading it on a non-leaf warns, as PyTorch)
    _requires_grad = False   # the flag itself: the core reads and writes it directly (fast)
    node = None
    _version = 0
    name = None
    _tangents = None
    _hooks = None
    _detached_from = None  # weakref to the tensor this one is a .detach() of
    _last_write = None     # (in-place write's name, its user line under detect_anomaly, version)
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operator
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False, name=None):
        ensure_quiet()   # NumPy's warnings at singular points stay quiet (core/numeric.py)
        if isinstance(data, Tensor):
            data = data.data
        self.data = dtypes.array_from_data(data, dtype)
        if name is not None:
            self.name = name
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array):
        """A Tensor around ``array`` without copying or checking."""
        t = Tensor.__new__(Tensor)
        t.data = array
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return "cpu"

    @property
    def grad(self):
        """The gradient accumulated by backward (leaves, and non-leaves after ``retain_grad()``)."""
        g = self._grad
        if g is None and self.node is not None and self._requires_grad \
                and self.node.retained is None \
                and not sys._getframe(1).f_globals.get("__name__", "").startswith("chainrule."):
            warnings.warn(   # (user code only: cr.viz reads intermediates' .grad on purpose)
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead.", UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        self._grad = value

    @property
    def is_leaf(self):
        return self.node is None

    @property
    def grad_fn(self):
        return self.node

    @property
    def T(self):
        return _ops.transpose(self)

    @property
    def mT(self):
        return _ops.swapaxes(self, -1, -2)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype != dtypes.get_default_dtype() and self.data.dtype != np.int64 \
                and self.data.dtype != np.bool_:
            extras.append(f"dtype={self.data.dtype}")
        if self.node is not None:
            extras.append(f"grad_fn=<{self.node.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def _repr_html_(self):
        """Jupyter's rich display: a header (class, shape, dtype, grad_fn or requires_grad,
        name) over the values, truncated for large tensors as ``repr`` is (NumPy's print
        options); everything HTML-escaped."""
        esc = html.escape
        facts = [f"shape={tuple(self.data.shape)}", f"dtype={self.data.dtype}",
                 f"grad_fn=<{self.node.name}>" if self.node is not None
                 else f"requires_grad={self._requires_grad}"]
        if self.name:
            facts.append(f"name={self.name!r}")
        body = np.array2string(self.data, separator=", ")
        return ('<div class="chainrule-tensor">'
                f"<div><b>{esc(type(self).__name__)}</b> "
                + " &middot; ".join(f"<code>{esc(f)}</code>" for f in facts)
                + f'</div><pre style="margin:0.3em 0 0 0">{esc(body)}</pre></div>')

    def __format__(self, spec):
        """``f"{loss:.4f}"``: a 0-d tensor formats as its Python number (as PyTorch), and so
        does a one-element tensor given a spec; otherwise ``str(t)``."""
        if self.data.ndim == 0 or spec and self.data.size == 1:
            return format(self.data.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: a "
                            f"format spec needs a one-element tensor, got shape "
                            f"{tuple(self.data.shape)} (format t.item() for a scalar, or "
                            "np.array2string(t.numpy(), ...) for an array)")
        return str(self)

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data)

    # ------------------------------------------------------------------ conversion
    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)``: the backing array (NumPy's ``copy=`` protocol: True copies, False
        never copies and raises when a dtype conversion would need one)."""
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            if copy is False:
                raise ValueError(f"Tensor.__array__: converting {self.data.dtype} to "
                                 f"{np.dtype(dtype)} needs a copy, but copy=False")
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def numpy(self):
        """The backing ndarray (no copy). Raises if the tensor requires grad: use ``.detach().numpy()``."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): a Tensor with {self.data.size} elements cannot be converted "
                             "to a Python scalar")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """A new Tensor sharing the data, cut from the graph (no grad, no tangents).

        An in-place write through it counts as a write to this tensor (its version moves),
        so a backward that still needs this tensor's value raises instead of using it.
        """
        out = Tensor._wrap(self.data)
        if self._requires_grad:
            out._detached_from = weakref.ref(self)
        return out

    def detach_(self):
        self.node = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on a leaf in place (floating dtypes only)."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only Tensors of floating point dtype can require gradients, "
                            f"got dtype {self.data.dtype}")
        if not requires_grad and self.node is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; "
                               "use .detach() for a non-leaf")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def requires_grad(self):
        """Whether autodiff records ops on this tensor. Assigning it checks as
        ``requires_grad_`` does: only floating dtypes can require grad (``TypeError``), and
        only a leaf can be set to False (``RuntimeError``)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        self.requires_grad_(requires_grad)

    def __setstate__(self, state):
        # A Tensor pickled before ``requires_grad`` became a property kept the flag under
        # that name: a property shadows an instance attribute, so move it to the slot.
        state, slots = state if isinstance(state, tuple) else (state, None)
        if state and "requires_grad" in state:
            state = dict(state)
            state["_requires_grad"] = bool(state.pop("requires_grad"))
        self.__dict__.update(state or {})
        for key, value in (slots or {}).items():
            setattr(self, key, value)

    def clone(self):
        """A copy with its own data, differentiable (gradient flows back to ``self``)."""
        return _ops.copy(self)

    def astype(self, dtype):
        """Cast to ``dtype``; differentiable between floating dtypes."""
        return _ops.astype(self, dtype)

    def type(self, dtype):
        return _ops.astype(self, dtype)

    def float(self):
        return _ops.astype(self, np.float32)

    def double(self):
        return _ops.astype(self, np.float64)

    def long(self):
        return _ops.astype(self, np.int64)

    def int(self):
        return _ops.astype(self, np.int32)

    def bool(self):
        return _ops.astype(self, np.bool_)

    def to(self, dtype=None, *args, **kwargs):
        if dtype is None or isinstance(dtype, str) and dtype in ("cpu",):
            return self
        return _ops.astype(self, dtype)

    def cpu(self):
        return self

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def element_size(self):
        return self.data.itemsize

    def is_floating_point(self):
        return self.data.dtype.kind == "f"

    def contiguous(self):
        return self

    # ------------------------------------------------------------------ autodiff
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate from this tensor; gradients accumulate into the ``.grad`` of leaves.

        A non-scalar tensor needs ``gradient`` (same shape). The graph is freed
        unless ``retain_graph=True``; ``create_graph=True`` records the backward
        pass so it can be differentiated again.
        """
        if not self._requires_grad:
            raise RuntimeError(f"backward(): the tensor (shape {tuple(self.shape)}, dtype "
                               f"{self.dtype}) does not require grad and has no grad_fn; "
                               "backward() needs a tensor computed from tensors that require "
                               "grad (is grad mode off, or was it detached?)")
        if gradient is None:
            if self.data.size != 1:
                what = f"the output of {self.node.name}" if self.node is not None else "the leaf"
                raise RuntimeError(f"backward(): grad can be implicitly created only for scalar "
                                   f"outputs, but {what} has shape "
                                   f"{tuple(self.shape)}; pass gradient= (a tensor of that "
                                   "shape), or reduce it first (e.g. .sum())")
            gradient = np.ones(self.shape, dtype=self.dtype)
        gradient = _root_gradient(gradient, self, create_graph)
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            grads = _backward([self], [gradient], retain_graph, create_graph,
                                     inputs=inputs, allow_unused=True)
            for t, g in zip(inputs, grads):
                if g is not None:
                    t.grad = g if t.grad is None else t.grad + g
            return
        _backward([self], [gradient], retain_graph, create_graph)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a return value replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.node is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks = self._hooks
        else:
            if self.node.hooks is None:
                self.node.hooks = []
            self.node.hooks.append(hook)
            hooks = self.node.hooks
        return _HookHandle(hooks, hook)

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
        if self.node is not None:
            self.node.retained = weakref.ref(self)

    @property
    def retains_grad(self):
        return self.node is not None and self.node.retained is not None

    # ------------------------------------------------------------------ operators
    # __add__, __sub__, __mul__, __truediv__ and __matmul__ are the op functions themselves,
    # assigned at the bottom of this module (one Python frame less on the hottest path).
    def __radd__(self, other):
        return _ops.add(other, self)

    def __rsub__(self, other):
        return _ops.subtract(other, self)

    def __rmul__(self, other):
        return _ops.multiply(other, self)

    def __rtruediv__(self, other):
        return _ops.divide(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.mod(self, other)

    def __rmod__(self, other):
        return _ops.mod(other, self)

    def __pow__(self, other):
        return _ops.power(self, other)

    def __rpow__(self, other):
        return _ops.power(other, self)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.logical_not(self)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    def __xor__(self, other):
        return _ops.logical_xor(self, other)

    def __lt__(self, other):
        return _ops.less(self, other)

    def __le__(self, other):
        return _ops.less_equal(self, other)

    def __gt__(self, other):
        return _ops.greater(self, other)

    def __ge__(self, other):
        return _ops.greater_equal(self, other)

    def __eq__(self, other):
        return _ops.equal(self, other)

    def __ne__(self, other):
        return _ops.not_equal(self, other)

    def __getitem__(self, key):
        return _ops.getitem(self, key)

    # ------------------------------------------------------------------ in place
    # Two paths (every in-place op bumps ``_version``):
    # - recording (grad mode on and this tensor or the operand requires grad, or carries
    #   tangents): the op is applied out of place to an alias of the current value, and this
    #   tensor is *rebound* to the result's fresh buffer and node. A buffer the graph has
    #   seen is never overwritten, so saved values and views of the old buffer stay valid
    #   and gradients are always those of the values computed. (Unlike NumPy and PyTorch,
    #   other tensors that view the old buffer -- slices, reshapes -- do not see the write;
    #   ``t[idx] op= v`` on the tensor itself works as usual.)
    # - not recording (no_grad, or nothing requires grad): a plain NumPy write into the
    #   buffer, visible through views. If a pending backward kept this tensor (or its node's
    #   output buffer), that backward raises, naming the op and the versions (as PyTorch).
    def _check_inplace(self, what, written=None):
        # Noted for the version error a later backward may raise: the write (``written``: the
        # operator form, e.g. "+="), the version it makes, and (under detect_anomaly) the line.
        self._last_write = (what if written is None else f"{written} ({what})",
                            _user_site() if STATE.anomaly else None, self._version + 1)
        if self._requires_grad and self.node is None and STATE.grad_enabled:
            raise RuntimeError(f"{what}: a leaf Variable that requires grad (shape "
                               f"{tuple(self.data.shape)}, dtype {self.data.dtype}) is being used "
                               "in an in-place operation; wrap it in `with cr.no_grad():` to "
                               "update parameters, or use an out-of-place op")

    def _alias(self):
        """The current value as a separate graph value (same buffer, node and tangents)."""
        alias = Tensor._wrap(self.data)
        alias.node, alias._requires_grad, alias._tangents = self.node, self._requires_grad, \
            self._tangents
        return alias

    def _rebind(self, result, what):
        """Recording path: make ``result`` (computed out of place) this tensor's value and history."""
        value = result.data
        if value.shape != self.data.shape:
            raise ValueError(f"{what}: the result of shape {value.shape} cannot be written in "
                             f"place into a tensor of shape {self.data.shape}")
        if value.dtype != self.data.dtype:
            if not np.can_cast(value.dtype, self.data.dtype, casting="same_kind"):
                raise TypeError(f"{what}: result type {value.dtype} can't be cast to the "
                                f"tensor's dtype {self.data.dtype} in place")
            result = _ops.astype(result, self.data.dtype)  # recorded: float casts differentiate
            value = result.data
        node = result.node
        old = self.node
        if old is not None and old.retained is not None and old.retained() is self:
            old.retained = None  # retain_grad follows the tensor to its new value (as PyTorch)
            if node is not None:
                node.retained = weakref.ref(self)
        if not (value.flags.owndata and value.flags.writeable):
            value = value.copy()  # never alias another tensor's buffer (or a read-only view)
            if node is not None and node.out_data is result.data:
                node.out_data = value
        self.data = value
        self._version += 1
        self.node = node
        self._requires_grad = node is not None
        if node is not None and node.out_data is value:
            node.out_version = self._version  # later plain writes into it are then detected
        self._tangents = result._tangents
        return self

    def _write(self, result, what):
        """Not recording: a plain write of ``result`` into this tensor's buffer."""
        value = result.data
        if value.shape != self.data.shape:
            raise ValueError(f"{what}: the result of shape {value.shape} cannot be written in "
                             f"place into a tensor of shape {self.data.shape}")
        if value.dtype != self.data.dtype and \
                not np.can_cast(value.dtype, self.data.dtype, casting="same_kind"):
            raise TypeError(f"{what}: result type {value.dtype} can't be cast to the tensor's "
                            f"dtype {self.data.dtype} in place")
        self._mark_written()
        np.copyto(self.data, value, casting="same_kind")
        self._version += 1
        return self

    def _mark_written(self):
        """Before a plain write into the buffer: tell the node that kept it (backward will raise)."""
        old = self.node
        if old is not None and old.out_data is self.data:
            old.out_modified = self._version + 1
            old.out_write = self._last_write
        if self._detached_from is not None:  # the same buffer as a graph tensor's
            source = self._detached_from()
            if source is not None and source.data is self.data:
                if self._last_write is not None:
                    what, site, _ = self._last_write
                    source._last_write = (f"{what} through a .detach() of it", site,
                                          source._version + 1)
                source._mark_written()
                source._version += 1

    def _recording(self, other=None):
        if not STATE.grad_enabled:
            return False
        return self._requires_grad or (isinstance(other, Tensor) and other._requires_grad) \
            or bool(STATE.levels and (self._tangents or isinstance(other, Tensor) and other._tangents))

    def _inplace(self, op, other, what, written=None):
        self._check_inplace(what, written)
        if self._recording(other):
            return self._rebind(op(self._alias(), other), what)
        with _no_record():
            return self._write(op(self, other), what)

    def __iadd__(self, other):
        return self._inplace(_ops.add, other, "add_", "+=")

    def __isub__(self, other):
        return self._inplace(_ops.subtract, other, "sub_", "-=")

    def __imul__(self, other):
        return self._inplace(_ops.multiply, other, "mul_", "*=")

    def __itruediv__(self, other):
        return self._inplace(_ops.divide, other, "div_", "/=")

    def __ipow__(self, other):
        return self._inplace(_ops.power, other, "pow_", "**=")

    def add_(self, other, alpha=1):
        return self._inplace(_ops.add, other if alpha == 1 else other * alpha, "add_")

    def sub_(self, other, alpha=1):
        return self._inplace(_ops.subtract, other if alpha == 1 else other * alpha, "sub_")

    def mul_(self, other):
        return self._inplace(_ops.multiply, other, "mul_")

    def div_(self, other):
        return self._inplace(_ops.divide, other, "div_")

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda x, _: _ops.clip(x, min, max), None, "clamp_")

    def copy_(self, src):
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor, in place."""
        return self._inplace(lambda x, y: _ops.broadcast_to(_ops.astype(y, x.dtype), x.shape)
                             if isinstance(y, Tensor) else Tensor._wrap(np.broadcast_to(np.asarray(y, x.dtype), x.shape)),
                             src, "copy_")

    def __setitem__(self, key, value):
        self._check_inplace("__setitem__")
        if self._recording(value):
            self._rebind(_ops.index_put(self._alias(), key, value), "__setitem__")
        else:
            self._mark_written()
            self.data[_ops.unwrap_index(key)] = value.data if isinstance(value, Tensor) else value
            self._version += 1

    def zero_(self):
        """Fill with zeros in place."""
        return self.fill_(0)

    def fill_(self, value):
        """Fill with ``value`` (a number or a one-element tensor) in place."""
        self._check_inplace("fill_")
        if isinstance(value, Tensor) and value.size != 1:
            raise ValueError(f"fill_: expected a value with one element, got a tensor of shape "
                             f"{tuple(value.shape)}")
        if self._recording(value):
            if isinstance(value, Tensor):
                new = _ops.broadcast_to(_ops.reshape(value, ()), self.data.shape)
            else:
                new = Tensor._wrap(np.full(self.data.shape, value, dtype=self.data.dtype))
            return self._rebind(new, "fill_")
        self._mark_written()
        self.data[...] = value.data.reshape(()) if isinstance(value, Tensor) else value
        self._version += 1
        return self

    # ------------------------------------------------------------------ methods (NumPy names)
    def sum(self, axis=None, keepdims=False, dtype=None, dim=None, keepdim=None, *, initial=None,
            where=True, out=None):
        _no_out(out, "sum")
        return _ops.sum(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim), dtype=dtype,
                        initial=initial, where=where)

    def mean(self, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None, where=True,
                out=None):
        _no_out(out, "mean")
        return _ops.mean(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim),
                         dtype=dtype, where=where)

    def var(self, axis=None, ddof=0, keepdims=False, dim=None, keepdim=None, *, dtype=None,
            correction=None, out=None):
        _no_out(out, "var")
        return _ops.var(self, axis=_axis(axis, dim), ddof=ddof, keepdims=_keep(keepdims, keepdim),
                        dtype=dtype, correction=correction)

    def std(self, axis=None, ddof=0, keepdims=False, dim=None, keepdim=None, *, dtype=None,
            correction=None, out=None):
        _no_out(out, "std")
        return _ops.std(self, axis=_axis(axis, dim), ddof=ddof, keepdims=_keep(keepdims, keepdim),
                        dtype=dtype, correction=correction)

    def prod(self, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None, initial=None,
             where=True, out=None):
        _no_out(out, "prod")
        return _ops.prod(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim),
                         dtype=dtype, initial=initial, where=where)

    def max(self, axis=None, keepdims=False, dim=None, keepdim=None, *, initial=None, where=True,
               out=None):
        _no_out(out, "max")
        return _ops.max(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim),
                        initial=initial, where=where)

    def min(self, axis=None, keepdims=False, dim=None, keepdim=None, *, initial=None, where=True,
               out=None):
        _no_out(out, "min")
        return _ops.min(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim),
                        initial=initial, where=where)

    def amax(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return _ops.max(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))

    def amin(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return _ops.min(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))

    def logsumexp(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return _ops.logsumexp(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))

    def norm(self, ord=None, axis=None, keepdims=False, dim=None, keepdim=None):
        return _ops.norm(self, ord=ord, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))

    def cumsum(self, axis=None, dim=None, *, dtype=None, out=None):
        _no_out(out, "cumsum")
        return _ops.cumsum(self, axis=_axis(axis, dim), dtype=dtype)

    def argmax(self, axis=None, keepdims=False, dim=None, keepdim=None, *, out=None):
        _no_out(out, "argmax")
        return _ops.argmax(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))

    def argmin(self, axis=None, keepdims=False, dim=None, keepdim=None, *, out=None):
        _no_out(out, "argmin")
        return _ops.argmin(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))

    def all(self, axis=None, keepdims=False, *, out=None):
        _no_out(out, "all")
        return Tensor._wrap(np.asarray(self.data.all(axis=axis, keepdims=keepdims)))

    def any(self, axis=None, keepdims=False, *, out=None):
        _no_out(out, "any")
        return Tensor._wrap(np.asarray(self.data.any(axis=axis, keepdims=keepdims)))

    def reshape(self, *shape):
        return _ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        return _ops.reshape(self, _shape_args(shape))

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _ops.transpose(self, axes if axes else None)

    def permute(self, *axes):
        return _ops.transpose(self, _shape_args(axes))

    def swapaxes(self, axis1, axis2):
        return _ops.swapaxes(self, axis1, axis2)

    def moveaxis(self, source, destination):
        return _ops.moveaxis(self, source, destination)

    def squeeze(self, axis=None, dim=None):
        """``np.squeeze`` (an ``axis`` of length != 1 raises); with PyTorch's ``dim=`` such an
        axis is left alone, as ``torch.squeeze`` does."""
        if dim is not None and axis is None:
            dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
            kept = tuple(d for d in dims if self.data.shape[d] == 1)  # IndexError if out of range
            if not kept:
                return self
            return _ops.squeeze(self, axis=kept)
        return _ops.squeeze(self, axis=axis)

    def expand_dims(self, axis):
        return _ops.expand_dims(self, axis)

    def unsqueeze(self, dim):
        return _ops.expand_dims(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def ravel(self):
        return _ops.ravel(self)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, shape)

    def expand(self, *shape):
        shape = _shape_args(shape)
        shape = tuple(s if n == -1 else n for n, s in
                      zip(shape, (1,) * (len(shape) - self.ndim) + self.shape))
        return _ops.broadcast_to(self, shape)

    def flip(self, axis=None, dims=None):
        return _ops.flip(self, _axis(axis, dims))

    def repeat(self, repeats, axis=None):
        return _ops.repeat(self, repeats, axis=axis)

    def take(self, indices, axis=None, mode="raise"):
        return _ops.take(self, indices, axis=axis, mode=mode)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _ops.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None):
        return _ops.trace(self, offset=offset, axis1=axis1, axis2=axis2, dtype=dtype)

    def dot(self, other):
        return _ops.dot(self, other)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def clip(self, a_min=None, a_max=None, min=None, max=None, *, out=None):
        _no_out(out, "clip")
        return _ops.clip(self, a_min if a_min is not None else min,
                         a_max if a_max is not None else max)

    def clamp(self, min=None, max=None):
        return _ops.clip(self, min, max)

    def split(self, indices_or_sections, axis=0):
        return _ops.split(self, indices_or_sections, axis=axis)

    def sort(self, axis=-1, dim=None, *, kind=None, stable=None):
        return _ops.sort(self, axis=_axis(axis, dim), kind=kind, stable=stable)

    def round(self, decimals=0, *, out=None):
        _no_out(out, "round")
        return _ops.round(self, decimals=decimals)

    def pow(self, exponent):
        return _ops.power(self, exponent)

    def add(self, other):
        return _ops.add(self, other)

    def sub(self, other):
        return _ops.subtract(self, other)

    def mul(self, other):
        return _ops.multiply(self, other)

    def div(self, other):
        return _ops.divide(self, other)

    def softmax(self, axis=-1, dim=None):
        return _ops.softmax(self, axis=_axis(axis, dim))

    def log_softmax(self, axis=-1, dim=None):
        return _ops.log_softmax(self, axis=_axis(axis, dim))

    def isnan(self):
        return _ops.isnan(self)

    def isfinite(self):
        return _ops.isfinite(self)


def _elementwise_method(name):
    def method(self):
        return getattr(_ops, name)(self)
    method.__name__ = name
    method.__doc__ = f"``cr.{name}(self)``"
    return method


for _name in ("exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "square", "reciprocal",
              "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "abs",
              "sign", "sigmoid", "relu", "erf", "negative", "floor", "ceil", "arcsinh", "arccosh",
              "arctanh", "exp2", "softplus"):
    setattr(Tensor, _name, _elementwise_method(_name))
Tensor.neg = Tensor.negative
Tensor.rsqrt = lambda self: _ops.reciprocal(_ops.sqrt(self))


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class _no_record:
    def __enter__(self):
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = False

    def __exit__(self, *exc):
        STATE.grad_enabled = self._prev


def _axis(axis, dim):
    return dim if dim is not None else axis


def _keep(keepdims, keepdim):
    return keepdim if keepdim is not None else keepdims


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _root_gradient(gradient, root, create_graph):
    if isinstance(gradient, Tensor):
        if gradient.shape != root.shape:
            raise RuntimeError(f"backward: gradient has shape {tuple(gradient.shape)} but the "
                               f"tensor has shape {tuple(root.shape)}; they must match")
        return gradient if create_graph else gradient.data
    gradient = np.asarray(gradient)
    if gradient.shape != root.shape:
        raise RuntimeError(f"backward: gradient has shape {tuple(gradient.shape)} but the "
                           f"tensor has shape {tuple(root.shape)}; they must match")
    return Tensor._wrap(gradient) if create_graph else gradient


from .ops import plain as _ops  # noqa: E402  (operators call into ops at call time)

# The hottest operators are the op functions themselves (one Python frame less per call).
Tensor.__add__ = _ops.add
Tensor.__sub__ = _ops.subtract
Tensor.__mul__ = _ops.multiply
Tensor.__truediv__ = _ops.divide
Tensor.__matmul__ = _ops.matmul
Tensor.__pow__ = _ops.power
