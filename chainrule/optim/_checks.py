"""Hyperparameter checks shared by the optimizers (errors name the optimizer and the value)."""
import numbers

__all__ = ["check_nonnegative", "check_bool", "check_betas"]


def _real(opt, what, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{opt}: {what} must be a real number, got {type(value).__name__}")


def check_nonnegative(opt, what, value, lower=0.0):
    """``value`` is a real number (and ``>= lower`` unless ``lower`` is None)."""
    _real(opt, what, value)
    if lower is not None and not value >= lower:
        raise ValueError(f"{opt}: Invalid {what}: {value}")


def check_bool(opt, what, value):
    if not isinstance(value, bool):
        raise TypeError(f"{opt}: {what} must be a bool, got {type(value).__name__}")


def check_betas(opt, group):
    """``group["betas"]`` is a pair of floats in [0, 1); a list is normalised to a tuple."""
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{opt}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        _real(opt, f"beta parameter at index {i}", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{opt}: Invalid beta parameter at index {i}: {beta}")
    group["betas"] = (float(betas[0]), float(betas[1]))
