"""nn.Module and nn.Parameter: parameters and child modules register themselves by assignment.

State-dict keys are the dotted attribute paths PyTorch uses (``0.weight``,
``features.1.running_mean``), so weights move between the two by name.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from .. import dtypes
from ..tensor import Tensor

__all__ = ["Module", "Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as a parameter (requires grad by default).

    ``Parameter(data)``: a Tensor's array is shared (as PyTorch's ``nn.Parameter(t)``);
    ndarrays are copied and keep their dtype; Python floats and lists become the
    default float dtype (``cr.get_default_dtype()``), Python ints int64.
    Non-floating data cannot require grad (``TypeError``).
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=dtypes.get_default_dtype())
        elif isinstance(data, Tensor):
            array = data.data
        else:
            array = dtypes.array_from_data(data)
        if array.dtype.kind != "f" and requires_grad:
            raise TypeError(f"Parameter: only floating-point data can require grad, got dtype "
                            f"{array.dtype} (pass requires_grad=False for integer data)")
        self.data = array
        self.requires_grad = bool(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __hash__ = Tensor.__hash__


class RemovableHandle:
    """Returned by ``register_forward_hook`` & co.; ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys that were missing and unexpected."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of layers and models.

    Assigning a ``Parameter`` or a ``Module`` to an attribute registers it; buffers
    (running statistics) via ``register_buffer``. ``state_dict`` keys are dotted
    paths exactly as PyTorch names them. Subclasses define ``forward``; calling the
    module runs forward pre-hooks, ``forward`` and forward hooks.
    """

    training = True
    _forward_hooks = None
    _forward_pre_hooks = None

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called "
                                 f"(call super().__init__() first in {type(self).__name__})")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(nn.Parameter or None expected)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                "(nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                if not isinstance(value, np.ndarray):
                    raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                    "(Tensor, ndarray or None expected)")
                value = Tensor(value)
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        for store in (self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        self.__dict__.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    @staticmethod
    def _check_name(name, what):
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{what} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{what} name can\'t contain ".", got: {name}')

    def register_parameter(self, name, param):
        """Add a parameter (a ``Parameter`` or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} object to parameter {name!r} "
                            "(nn.Parameter or None required)")
        if name in self.__dict__ or name in self._buffers or name in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-parameter tensor (e.g. running statistics); saved in ``state_dict``
        unless ``persistent=False``. ``tensor`` may be a Tensor, an ndarray or None."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if name in self.__dict__ or name in self._parameters or name in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            if not isinstance(tensor, np.ndarray):
                raise TypeError(f"cannot assign {type(tensor).__name__} object to buffer {name!r} "
                                "(Tensor, ndarray or None required)")
            tensor = Tensor(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Add a child module (or None) under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``""`` is self)."""
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if item not in module._modules or module._modules[item] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {item!r} "
                                     f"(looking up {target!r})")
            module = module._modules[item]
        return module

    def get_parameter(self, target):
        """The parameter at dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r}")
        return module._parameters[name]

    def get_buffer(self, target):
        """The buffer at dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._buffers:
            raise AttributeError(f"{type(module).__name__} has no buffer {name!r}")
        return module._buffers[name]

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in list((self._forward_pre_hooks or {}).values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list((self._forward_hooks or {}).values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_pre_hook(self, hook):
        """``hook(module, args) -> None or new args``, called before ``forward``."""
        if self._forward_pre_hooks is None:
            object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook):
        """``hook(module, args, output) -> None or new output``, called after ``forward``."""
        if self._forward_hooks is None:
            object.__setattr__(self, "_forward_hooks", OrderedDict())
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for self and every submodule, depth first (self first)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name,
                                            remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a parameter shared by two modules is listed once."""
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for mod_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield mod_prefix + ("." if mod_prefix else "") + name, p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for mod_prefix, module in modules:
            for name, b in module._buffers.items():
                if b is None or (remove_duplicate and id(b) in seen):
                    continue
                seen.add(id(b))
                yield mod_prefix + ("." if mod_prefix else "") + name, b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ state
    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """An ordered dict of parameters and persistent buffers by dotted name.

        Values are detached Tensors sharing memory with the module (``keep_vars=True``:
        the Parameters themselves). Order: a module's parameters, its buffers, then
        its children, recursively -- PyTorch's order and keys.
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def _upgrade_state_dict(self, state_dict, prefix):
        """Hook for layers to fill in entries that older checkpoints lack (default: none)."""

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy Tensors or ndarrays into the existing parameters and buffers (their dtype kept).

        ``assign=True`` gives each parameter/buffer a copy of the loaded array instead
        (taking the checkpoint's dtype); the Parameter objects stay the same.

        ``strict``: missing or unexpected keys raise ``RuntimeError`` listing them. A shape
        mismatch raises ``ValueError`` naming the key and both shapes; a value that is not
        numeric raises ``TypeError``. Nothing is modified unless every entry fits.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got "
                            f"{type(state_dict).__name__}.")
        state_dict = OrderedDict(state_dict)
        for prefix, module in self.named_modules(remove_duplicate=False):
            module._upgrade_state_dict(state_dict, prefix + "." if prefix else "")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if unexpected:
                parts.append("Unexpected key(s) in state_dict: " +
                             ", ".join(f'"{k}"' for k in unexpected))
            if missing:
                parts.append("Missing key(s) in state_dict: " +
                             ", ".join(f'"{k}"' for k in missing))
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" +
                               ".\n\t".join(parts) + ".")
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if isinstance(value, Tensor):
                array = value.data
            else:
                try:
                    array = np.asarray(value)
                except Exception as exc:  # e.g. a framework tensor that still requires grad
                    raise TypeError(f"load_state_dict: entry {key!r} of type "
                                    f"{type(value).__name__} cannot be read as an array "
                                    f"({exc})") from None
            if array.dtype.kind not in "fiub":
                raise TypeError(f"load_state_dict: entry {key!r} must be numeric (a Tensor or "
                                f"ndarray), got {type(value).__name__} of dtype {array.dtype}")
            if array.shape != target.shape:
                raise ValueError(f"load_state_dict: size mismatch for {key}: copying a param with "
                                 f"shape {array.shape} from checkpoint, the shape in current "
                                 f"model is {tuple(target.shape)}")
            updates.append((target, array))
        for target, array in updates:
            if assign:
                target.data = np.array(array, copy=True)
            elif target.data.flags.writeable:
                np.copyto(target.data, array, casting="unsafe")
            else:
                target.data = array.astype(target.dtype, copy=True)
            target._version += 1
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes and utilities
    def train(self, mode=True):
        """Training mode (dropout active, batch norm uses batch statistics), recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None by default, as PyTorch)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = Tensor._wrap(np.zeros_like(p.data))

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Cast floating parameters and buffers to a dtype (``.to(cr.float64)``); devices other
        than ``"cpu"`` are not available."""
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        for a in args:
            if isinstance(a, str) and a not in ("float32", "float64", "float16"):
                device = a
            else:
                dtype = a
        if device is not None and str(device) != "cpu":
            raise ValueError(f"Module.to: device {device!r} is not available (only 'cpu')")
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"Module.to only accepts floating point dtypes, got {dtype}")
            for m in self.modules():
                for store in (m._parameters, m._buffers):
                    for t in store.values():
                        if t is not None and t.dtype.kind == "f" and t.dtype != dtype:
                            t.data = t.data.astype(dtype)
                            if t.grad is not None:
                                t.grad = Tensor._wrap(t.grad.data.astype(dtype))
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def cpu(self):
        return self

    def num_parameters(self, trainable_only=False):
        """The number of scalar parameters (only those requiring grad with ``trainable_only``)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    def summary(self, input_shape=None, dtype=None, depth=3):
        """Print the table of ``nn.summary(self, input_shape, dtype, depth)`` and return it:
        each layer's output shape (with ``input_shape``, batch axis included) and
        parameters, then the totals (all, trainable, non-trainable, memory)."""
        from .summary import summary
        result = summary(self, input_shape, dtype=dtype, depth=depth)
        print(result)
        return result

    # ------------------------------------------------------------------ repr
    def extra_repr(self):
        """The layer's hyperparameters, shown inside its repr (override in layers)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(m), 2)}" for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def _repr_html_(self):
        """Jupyter's rich display: the class and parameter count, a table of the direct
        children (type, options, parameters) and one of the parameters (path, shape,
        dtype, requires grad, size). Plain HTML, no dependency."""
        from html import escape
        cell = "padding:1px 8px;text-align:left;border-bottom:1px solid #e5e7eb"

        def table(header, rows):
            def row(cells, tag):
                return "<tr>" + "".join(f'<{tag} style="{cell}">{escape(str(c))}</{tag}>'
                                        for c in cells) + "</tr>"
            return ('<table style="border-collapse:collapse;font-family:monospace;'
                    'font-size:12px;margin:0.3em 0">' + row(header, "th")
                    + "".join(row(r, "td") for r in rows) + "</table>")

        params = list(self.named_parameters())
        total = sum(int(p.size) for _, p in params)
        parts = [f"<div><b>{escape(self._get_name())}</b> &mdash; {total:,} parameters in "
                 f"{len(params)} tensor{'' if len(params) == 1 else 's'}</div>"]
        children = list(self.named_children())
        if children:
            parts.append(table(["child", "type", "options", "parameters"],
                               [[name, m._get_name(), m.extra_repr(),
                                 f"{sum(int(p.size) for p in m.parameters()):,}"]
                                for name, m in children]))
        elif self.extra_repr():
            parts.append(f"<div>{escape(self.extra_repr())}</div>")
        if params:
            parts.append(table(["parameter", "shape", "dtype", "requires grad", "size"],
                               [[path, str(tuple(int(n) for n in p.shape)),
                                 str(np.dtype(p.dtype)), "yes" if p.requires_grad else "no",
                                 f"{int(p.size):,}"] for path, p in params]))
        return '<div class="chainrule-module">' + "".join(parts) + "</div>"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])
