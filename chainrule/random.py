"""The one seeded NumPy Generator behind every random function and random layer."""
import numpy as np

__all__ = ["manual_seed", "get_rng_state", "set_rng_state", "generator"]

_gen = [np.random.default_rng()]


def generator():
    """The library's ``np.random.Generator`` (reseeded by ``manual_seed``)."""
    return _gen[0]


def manual_seed(seed):
    """Seed the generator behind rand, randn, randint, dropout and parameter initialisation."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: expected an int seed, got {type(seed).__name__}")
    _gen[0] = np.random.default_rng(int(seed))
    return _gen[0]


def get_rng_state():
    """The generator's state as a JSON-friendly dict (bit generator name and integers)."""
    return _gen[0].bit_generator.state


def set_rng_state(state):
    """Restore a state returned by ``get_rng_state``."""
    bitgen_name = state["bit_generator"]
    bitgen = getattr(np.random, bitgen_name)()
    bitgen.state = state
    _gen[0] = np.random.Generator(bitgen)
