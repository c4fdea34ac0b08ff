"""Optimizer: parameter groups, per-parameter state, and PyTorch-layout state dicts.

Subclasses implement ``_update(group, params, grads)`` (one NumPy update over a
group's parameters that have a gradient) and may declare the per-parameter state
keys they need (``_state_keys``), name the state keys that hold an array of the
parameter's shape (``_buffers``; checked on load and before each step) and validate
hyperparameters (``_check_group``).
Updates write ``p.data`` in place, outside any graph, in the parameter's dtype.
"""
import copy
import math
import numbers
from collections.abc import Iterable, Mapping

import numpy as np

from ..core.modes import enable_grad, no_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter that every parameter group must give."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _grad_array(opt_name, p, gi=None, pi=None):
    """The gradient of ``p`` as an ndarray (never written to), or None."""
    grad = p.grad
    if grad is None:
        return None
    where = "a parameter" if gi is None else f"parameter {pi} of group {gi}"
    array = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiub":
        kind = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
        raise TypeError(f"{opt_name}.step: {where} has a gradient of unsupported type {kind}; "
                        "expected a real numeric array")
    if array.shape != p.data.shape:
        raise ValueError(f"{opt_name}.step: {where} of shape {tuple(p.data.shape)} has a "
                         f"gradient of shape {tuple(array.shape)}; expected the same shape")
    return array


def _as_number(name, value):
    """A loaded scalar (Python number, 0-d array or one-element Tensor) as a Python number."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"{name}: expected a scalar, got an array of shape {value.shape}")
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a number, got {type(value).__name__}")
    return value


class Optimizer:
    """Base class of optimizers.

    ``params``: an iterable of Tensors, of ``(name, Tensor)`` pairs (as
    ``model.named_parameters()`` gives), or of dicts (parameter groups, each with a
    ``"params"`` entry and optional per-group hyperparameters that override
    ``defaults``).

    Attributes: ``param_groups`` (list of dicts), ``state`` (dict: parameter ->
    dict of its state), ``defaults``.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        if isinstance(params, Mapping):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts (parameter groups), but got a single mapping; "
                            "pass [group] or model.parameters()")
        if not isinstance(params, Iterable) or isinstance(params, (set, frozenset)):
            # (a set's order changes between runs, and with it the state dict's indices)
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ hooks for subclasses
    #: per-parameter state keys that hold an array of the parameter's shape (checked on load)
    _buffers = ()
    #: those of ``_buffers`` that may also be None (PyTorch's SGD saves momentum_buffer=None)
    _nullable_buffers = ()

    def _check_group(self, group):
        """Validate (and normalise) a group's hyperparameters; raise ValueError if invalid."""

    def _state_keys(self, group):
        """The keys a non-empty per-parameter state must hold for ``group``'s options."""
        return ()

    def _update(self, group, params, grads):
        """Update ``params`` in place given their gradient arrays (one group)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``"params"`` and optional hyperparameters).

        Hyperparameters it does not give are taken from ``defaults``. A parameter may
        belong to one group only.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs; "
                            "use a list instead")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with or without names; "
                             "some parameter names are missing")
        if names:
            params = [p[1] for p in params]
            group["param_names"] = names
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} of the "
                                f"group is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if p.data.dtype.kind != "f":
                raise TypeError(f"optimizer can only optimize floating-point Tensors, but "
                                f"parameter {i} of the group has dtype {p.data.dtype}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in group) != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with or without names")
        self._check_group(group)
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to ``None``, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif not isinstance(p.grad, Tensor) or p.grad.node is not None \
                        or p.grad.requires_grad or not p.grad.data.flags.writeable:
                    p.grad = Tensor._wrap(np.zeros_like(np.asarray(p.grad)))
                else:
                    p.grad.data[...] = 0
                    p.grad._version += 1

    def step(self, closure=None):
        """One optimization step over every parameter that has a gradient.

        ``closure``: optional callable that re-evaluates the model (zero grads,
        forward, backward) and returns the loss; it runs with grad mode on and its
        result is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        name = type(self).__name__
        # Validate every group's gradients before updating any parameter: a bad gradient
        # anywhere raises with all parameters and all state unchanged (all-or-nothing).
        work = []
        for gi, group in enumerate(self.param_groups):
            params, grads = [], []
            for pi, p in enumerate(group["params"]):
                grad = _grad_array(name, p, gi, pi)
                if grad is not None:
                    self._check_state(name, gi, pi, p)
                    params.append(p)
                    grads.append(grad)
            if params:
                work.append((group, params, grads))
        with no_grad():
            for group, params, grads in work:
                self._update(group, params, grads)
                for p in params:
                    p._version += 1
        return loss

    def _check_state(self, name, gi, pi, p):
        """Refuse (before any update) a state entry that the update could not use."""
        entry = self.state.get(p)
        if not entry:
            return
        for key in self._buffers:
            if key not in entry:
                continue
            buf = entry[key]
            if buf is None and key in self._nullable_buffers:
                continue
            if not isinstance(buf, np.ndarray) or buf.shape != p.data.shape \
                    or buf.dtype.kind != "f":
                what = (f"an array of shape {buf.shape} and dtype {buf.dtype}"
                        if isinstance(buf, np.ndarray) else type(buf).__name__)
                raise ValueError(f"{name}.step: the state {key!r} of parameter {pi} of group "
                                 f"{gi} is {what}; expected a float array of shape "
                                 f"{tuple(p.data.shape)}")
        step = entry.get("step", 0)
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise ValueError(f"{name}.step: the state 'step' of parameter {pi} of group {gi} is "
                             f"{step!r}; expected a whole number")

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """The optimizer state in PyTorch's layout (copies; later steps do not change it).

        ``{"state": {index: {key: value}}, "param_groups": [{..., "params": [indices]}]}``
        where indices number the parameters across groups in order; array state
        comes back as Tensors.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                entry = self.state.get(p)
                if entry:
                    state[index[id(p)]] = {k: _export(v) for k, v in entry.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state from ``state_dict()`` (of an optimizer of the same kind and layout).

        Hyperparameters are taken from the saved groups; array state is copied and
        cast to each parameter's dtype. A state dict that does not fit (group count,
        group sizes, state shapes, missing state keys, bad values) raises
        ``ValueError`` and leaves the optimizer unchanged.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}.load_state_dict: expected a mapping, got "
                            f"{type(state_dict).__name__}")
        missing = [k for k in ("state", "param_groups") if k not in state_dict]
        if missing:
            raise ValueError(f"{name}.load_state_dict: the state dict has no "
                             f"{' and '.join(repr(k) for k in missing)} entry")
        saved_groups = state_dict["param_groups"]
        saved_state = state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or \
                not all(isinstance(g, Mapping) for g in saved_groups):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list of dicts")
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}.load_state_dict: 'state' must be a mapping")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has a different number "
                             f"of parameter groups ({len(saved_groups)}) than the optimizer "
                             f"({len(self.param_groups)})")
        id_map = {}
        new_groups = []
        for gi, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            saved_ids = saved.get("params")
            if not isinstance(saved_ids, (list, tuple)):
                raise ValueError(f"{name}.load_state_dict: parameter group {gi} has no "
                                 "'params' list")
            if len(saved_ids) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: loaded state dict contains a parameter "
                                 f"group ({gi}) that doesn't match the size of optimizer's group "
                                 f"({len(saved_ids)} != {len(group['params'])} parameters)")
            for sid, p in zip(saved_ids, group["params"]):
                sid = _state_index(name, sid)
                if sid in id_map:
                    raise ValueError(f"{name}.load_state_dict: parameter index {sid} appears "
                                     "more than once in 'param_groups'")
                id_map[sid] = (p, gi)
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for key, default in self.defaults.items():
                if default is not required:
                    new_group.setdefault(key, default)
                elif key not in new_group:
                    raise ValueError(f"{name}.load_state_dict: parameter group {gi} has no "
                                     f"value for the required hyperparameter {key!r}")
            if "param_names" not in saved and "param_names" in group:
                new_group["param_names"] = list(group["param_names"])
            new_group["params"] = group["params"]
            checked = dict(new_group)
            lr = checked.get("lr")
            if isinstance(lr, float) and lr < 0:
                # A schedule may leave lr a rounding error below zero (PyTorch's OneCycleLR
                # with three_phase and linear annealing does): load it as saved, as PyTorch
                # does; the other hyperparameters are still checked.
                checked["lr"] = -lr
            try:
                self._check_group(checked)
            except (TypeError, ValueError) as err:
                raise ValueError(f"{name}.load_state_dict: parameter group {gi}: {err}") from None
            new_groups.append(new_group)
        new_state = {}
        for key, entry in saved_state.items():
            sid = _state_index(name, key)
            if sid not in id_map:
                raise ValueError(f"{name}.load_state_dict: state for parameter index {sid}, which "
                                 "no parameter group lists")
            p, gi = id_map[sid]
            if not isinstance(entry, Mapping):
                raise ValueError(f"{name}.load_state_dict: state of parameter {sid} must be a "
                                 f"dict, got {type(entry).__name__}")
            loaded = {}
            for k, v in entry.items():
                loaded[k] = _import(f"{name}.load_state_dict: parameter {sid}, state key {k!r}",
                                    k, v, p, self._buffers, self._nullable_buffers)
            if loaded:
                needed = [k for k in self._state_keys(new_groups[gi]) if k not in loaded]
                if needed:
                    raise ValueError(f"{name}.load_state_dict: state of parameter {sid} lacks "
                                     f"{', '.join(repr(k) for k in needed)} (needed with the "
                                     "loaded group's options)")
                new_state[p] = loaded
        self.param_groups = new_groups
        self.state = new_state

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _state_index(name, key):
    """A saved parameter index (an int; digit strings accepted from text formats)."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)):
        raise ValueError(f"{name}.load_state_dict: parameter indices must be ints, got {key!r}")
    return int(key)


def _export(value):
    """A state value for ``state_dict``: arrays become Tensors (copies)."""
    if isinstance(value, np.ndarray):
        return Tensor._wrap(value.copy())
    if isinstance(value, Tensor):
        return Tensor._wrap(value.data.copy())
    return copy.deepcopy(value)


def _import(where, key, value, p, buffers=(), nullable=()):
    """A loaded state value, validated: arrays copied into ndarrays (cast to the parameter's dtype).

    ``buffers``: the keys that must hold an array of the parameter's shape (``nullable``
    ones may also be None); their values must be finite floating-point numbers.
    """
    if key == "step":
        number = _as_number(where, value)
        if not math.isfinite(number) or number < 0 or number != int(number):
            raise ValueError(f"{where}: expected a non-negative whole number of steps, "
                             f"got {number}")
        return int(number)
    if key in buffers:
        if value is None and key in nullable:
            return None
        if not isinstance(value, (Tensor, np.ndarray)):
            raise ValueError(f"{where}: expected an array of the parameter's shape "
                             f"{tuple(p.data.shape)}, got {type(value).__name__}")
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.array(value.data if isinstance(value, Tensor) else value, copy=True)
        if array.shape != p.data.shape:
            raise ValueError(f"{where}: shape {array.shape} does not match the parameter's "
                             f"shape {p.data.shape}")
        if array.dtype.kind not in ("f" if key in buffers else "fiub"):
            raise ValueError(f"{where}: unsupported dtype {array.dtype}"
                             + (" (expected a floating-point array)" if key in buffers else ""))
        if array.dtype.kind == "f":
            array = array.astype(p.data.dtype, copy=False)
            if not np.isfinite(array).all():
                bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
                raise ValueError(f"{where}: holds {bad} non-finite value(s) (NaN or Inf); "
                                 "the saved optimizer state is corrupt")
        return array
    return copy.deepcopy(value)
