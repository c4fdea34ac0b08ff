"""Argument checks of the recurrent entry points (``recurrent.py``): dtypes, the shapes of the
input sequence (seq_len, batch, I) / (batch, seq_len, I) / (seq_len, I), of the states and of
the per-(layer, direction) weights (G*H, I), (G*H, P), (G*H,), (P, H); errors name the call
and say what to change.
"""
from ...creation import as_tensor_like

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _check_dtype(x, what, dtype, name):
    if x.dtype.kind != "f":
        hint = " (token ids go through nn.Embedding first)" if x.dtype.kind in "iu" else ""
        raise TypeError(f"{name}: expected a floating-point {what}, got dtype {x.dtype}{hint}")
    if x.dtype != dtype:
        raise TypeError(f"{name}: {what} dtype {x.dtype} does not match the parameters' dtype "
                        f"{dtype} (cast the {what} with .astype(np.{dtype}) or the module with "
                        f".to(np.{x.dtype}))")


def _check_sequence(x, input_size, batch_first, name):
    """Raise ValueError with a hint unless x is (seq, batch, in) / (batch, seq, in) / (seq, in)."""
    shape = tuple(x.shape)
    layout = f"(batch, seq_len, {input_size})" if batch_first else f"(seq_len, batch, {input_size})"
    expected = (f"{name}: expected input of shape {layout} (batch_first={batch_first}) or "
                f"(seq_len, {input_size}) unbatched, got {shape}")
    if len(shape) not in (2, 3):
        hint = f" — got a {len(shape)}-D input"
        if len(shape) == 4:
            hint = (" — images (N, C, H, W) must become sequences first, e.g. x.reshape(N, H, "
                    "C * W) with batch_first=True")
        raise ValueError(expected + hint)
    if shape[-1] != input_size:
        if len(shape) == 2:
            hint = " — did you forget the feature axis?"
            if input_size == 1:
                hint += " (x[..., None] adds it)"
        elif input_size in shape:
            axis = shape.index(input_size)
            hint = (f" — the features must be on the last axis, but axis {axis} has size "
                    f"{input_size}: move it last")
        else:
            hint = f" — the last axis has {shape[-1]} features, input_size is {input_size}"
        raise ValueError(expected + hint)
    time_axis = 1 if batch_first and len(shape) == 3 else 0
    if shape[time_axis] == 0:
        raise ValueError(f"{expected} — the sequence is empty (seq_len = 0)")


def _check_state(state, what, expected, axis_names, name):
    """Raise ValueError with a hint unless ``state`` has the ``expected`` shape (axes named)."""
    shape = tuple(state.shape)
    if shape == expected:
        return
    layout = "(" + ", ".join(axis_names) + ("," if len(axis_names) == 1 else "") + ")"
    message = f"{name}: expected {what} of shape {layout} = {expected}, got {shape}"
    if len(shape) != len(expected):
        if shape == expected[1:] and expected[0] == 1:
            hint = f"add the leading {axis_names[0]} axis: {what}[None]"
        elif shape == expected[1:]:
            hint = (f"{what} must be {len(expected)}-D here: one state per layer and direction, "
                    f"stacked on a leading axis of size {expected[0]}")
        elif shape[1:] == expected:
            hint = f"remove the leading axis of size {shape[0]}"
        else:
            hint = f"{what} must be {len(expected)}-D here"
        raise ValueError(f"{message} — {hint}")
    hints = [f"{axis} is {want}, not {got}"
             for axis, got, want in zip(axis_names, shape, expected) if got != want]
    raise ValueError(f"{message} — " + "; ".join(hints))


def _check_weights(mode, weights, num_layers, directions, name):
    """Normalise per-(layer, direction) weights to (w_ih, w_hh, b_ih, b_hh, w_hr) and check shapes."""
    gates = _GATES[mode]
    weights = list(weights)
    if len(weights) != num_layers * directions:
        raise ValueError(f"{name}: expected {num_layers * directions} weight groups "
                         f"(num_layers * num_directions), got {len(weights)}")
    normalised = []
    for k, group in enumerate(weights):
        group = tuple(group)
        if not 2 <= len(group) <= 5:
            raise ValueError(f"{name}: weights[{k}] must be (w_ih, w_hh[, b_ih, b_hh][, w_hr]), "
                             f"got {len(group)} entries")
        if len(group) == 3:
            group = (group[0], group[1], None, None, group[2])
        group = tuple(None if w is None else as_tensor_like(w) for w in group) \
            + (None,) * (5 - len(group))
        w_ih, w_hh, b_ih, b_hh, w_hr = group
        if w_hr is not None and mode != "lstm":
            raise ValueError(f"{name}: only LSTM takes a projection weight w_hr (weights[{k}])")
        width = w_hh.shape[0]
        hidden = width // gates
        proj = hidden if w_hr is None else w_hr.shape[0]
        layer = k // directions
        in_size = w_ih.shape[1] if w_ih.ndim == 2 else None
        if layer > 0:
            in_size = directions * proj
        checks = [("w_ih", w_ih, (gates * hidden, in_size)), ("w_hh", w_hh, (gates * hidden, proj)),
                  ("b_ih", b_ih, (gates * hidden,)), ("b_hh", b_hh, (gates * hidden,)),
                  ("w_hr", w_hr, (proj, hidden))]
        if width % gates or width == 0:
            raise ValueError(f"{name}: weights[{k}] w_hh has {width} rows, expected a positive "
                             f"multiple of {gates} ({gates} gates of hidden_size)")
        for label, w, want in checks:
            if w is not None and tuple(w.shape) != want:
                raise ValueError(f"{name}: weights[{k}] (layer {layer}, direction {k % directions}) "
                                 f"{label} has shape {tuple(w.shape)}, expected {want}")
        dtype = normalised[0][0].dtype if normalised else w_ih.dtype
        for label, w in zip(("w_ih", "w_hh", "b_ih", "b_hh", "w_hr"), group):
            if w is not None and (w.dtype.kind != "f" or w.dtype != dtype):
                raise TypeError(f"{name}: weights[{k}] {label} has dtype {w.dtype}; all weights "
                                f"must share one floating dtype ({dtype})")
        normalised.append(group)
    return normalised

