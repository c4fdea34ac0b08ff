"""Global autodiff state and the modes that change it: no_grad, enable_grad, detect_anomaly."""
import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
           "is_anomaly_enabled", "raw_rules", "general_path", "add_observer", "remove_observer"]


# STATE.mode: what the dispatcher must do, as one number read once per op.
RAW = 0      # inside a no-record backward: rules run on ndarrays
SLOW = 1     # forward-mode tangents, anomaly checks or observers are active: the general path
PLAIN = 2    # grad mode off: compute, record nothing
RECORD = 3   # grad mode on: record a node when an input requires grad


class _State(threading.local):
    """Everything the dispatcher and the engine read on every call, in one place.

    grad_enabled  record graph nodes (reverse mode)?
    raw           inside a backward pass that records nothing: derivative rules run
                  directly on ndarrays (no Tensor wrapping, no nodes)
    levels        number of forward-mode levels currently open (0: no tangents anywhere)
    anomaly       detect_anomaly is on
    watch         anomaly or observers: the dispatcher's one check for both
    observers     objects told about every apply and every backward step (explain, viz)
    backward_node the node whose rules are running (set only under detect_anomaly)
    transforms    number of function transforms (grad, jvp, ...) currently running
    mode          RAW, SLOW, PLAIN or RECORD, derived from the above: setting
                  grad_enabled, raw, levels or watch updates it
    """

    def __init__(self):
        self._grad_enabled = True
        self._raw = False
        self._levels = 0
        self._watch = False
        self.mode = RECORD
        self.anomaly = False
        self.observers = []
        self.backward_node = None
        self.transforms = 0

    def _sync(self):
        if self._raw:
            self.mode = RAW
        elif self._levels or self._watch:
            self.mode = SLOW
        else:
            self.mode = RECORD if self._grad_enabled else PLAIN

    def _field(name):  # noqa: N805 (a helper run at class creation)
        private = "_" + name

        def get(self):
            return getattr(self, private)

        def set(self, value):
            setattr(self, private, value)
            self._sync()
        return property(get, set)

    grad_enabled = _field("grad_enabled")
    raw = _field("raw")
    levels = _field("levels")
    watch = _field("watch")
    del _field


STATE = _State()


class _GradMode:
    """Context manager and decorator that sets grad mode for its extent."""

    enabled = True

    def __enter__(self):
        self._prev = STATE.grad_enabled
        self._prev_raw = STATE.raw
        STATE.grad_enabled = self.enabled
        STATE.raw = False
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self._prev
        STATE.raw = self._prev_raw
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class _NoArgGradMode(_GradMode):
    """A mode that also decorates without parentheses: ``@cr.no_grad`` as ``@cr.no_grad()``."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is not None:
            if not callable(fn):
                raise TypeError(f"{cls.__name__}() takes no arguments (or a function to "
                                f"decorate), got {type(fn).__name__}")
            return self(fn)
        return self

    def __init__(self, fn=None):
        pass


class no_grad(_NoArgGradMode):
    """Record no graph inside the block: ``with cr.no_grad(): ...``, ``@cr.no_grad()`` or ``@cr.no_grad``."""

    enabled = False


class enable_grad(_NoArgGradMode):
    """Record the graph inside the block, even within ``no_grad`` (also a decorator)."""

    enabled = True


class set_grad_enabled(_GradMode):
    """Grad mode on or off: ``with cr.set_grad_enabled(flag):`` for a block, or a plain call
    ``cr.set_grad_enabled(False)`` to switch it from now on (as PyTorch: the call itself sets
    the mode; leaving a ``with`` block restores the previous one)."""

    def __init__(self, mode):
        self.enabled = bool(mode)
        self._prev = STATE.grad_enabled
        self._prev_raw = STATE.raw
        STATE.grad_enabled = self.enabled
        STATE.raw = False

    def __enter__(self):
        return self

    def __call__(self, fn):
        STATE.grad_enabled = self._prev  # used as a decorator: the mode applies inside fn only
        STATE.raw = self._prev_raw
        mode = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


def is_grad_enabled():
    """True when operations on tensors that require grad are recorded."""
    return STATE.grad_enabled


class detect_anomaly:
    """Check every forward output for NaN and every backward gradient for NaN/Inf.

    The ``FloatingPointError`` raised names the op and the file and line of user
    code that created it. Slows everything down: a debugging tool.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = STATE.anomaly
        STATE.anomaly = self.check_nan
        refresh_watch()
        return self

    def __exit__(self, *exc):
        STATE.anomaly = self._prev
        refresh_watch()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def is_anomaly_enabled():
    return STATE.anomaly


def refresh_watch():
    """Recompute STATE.watch after anomaly mode or the observer list changed."""
    STATE.watch = bool(STATE.anomaly or STATE.observers)


def add_observer(observer):
    """Tell ``observer`` about every apply (``on_apply``) and backward step (``on_backward``)."""
    STATE.observers.append(observer)
    refresh_watch()


def remove_observer(observer):
    observers = STATE.observers
    for i in range(len(observers) - 1, -1, -1):
        if observers[i] is observer:
            del observers[i]
            break
    refresh_watch()


class raw_rules:
    """Run derivative rules on ndarrays, recording nothing, as a plain backward does
    (``cr.explain`` evaluates a primitive's local derivative this way)."""

    def __enter__(self):
        self._prev = STATE.raw
        STATE.raw = True
        return self

    def __exit__(self, *exc):
        STATE.raw = self._prev
        return False


class general_path:
    """Send every op through ``apply``'s general path inside the block, as an observer does
    (the fast paths step aside whenever ``STATE.watch`` is set): a check that both paths agree
    (``tests/ops/test_fastpath_table.py``), or a measurement of what the fast paths save."""

    def on_apply(self, prim, args, params, out):
        pass

    def on_backward(self, node, grad, grads):
        pass

    def __enter__(self):
        add_observer(self)
        return self

    def __exit__(self, *exc):
        remove_observer(self)
        return False
