"""The recurrent scans, one concept a file: ``rnn.py``, ``lstm.py`` and ``gru.py`` (each scan's
forward, vjp and jvp side by side), ``gates.py`` (the math they share) and ``buffers.py`` (their
scratch memory). Shapes: x (seq_len, batch, I), states (batch, H) (an LSTM's h (batch, P) with
a projection), weights (G*H, n) for G gates of size H.

How the work is laid out (the speed is measured against PyTorch's fused kernels):

* One layer in one direction is ONE primitive (a *scan*). Its forward is NumPy:
  the input projection of every time step as one GEMM, ``(seq*batch, input) @
  W_ih^T``, then a lean loop with one small GEMM and a few in-place ufuncs per
  step. Its VJP and JVP are written with chainrule ops, so they run on ndarrays
  when nothing is recorded and build a graph under ``create_graph=True`` (double
  backward, forward-over-reverse). Whatever does not depend on the recurrence
  (weight gradients, the input's gradient) is one GEMM over all steps; the
  per-step loop only carries the state's gradient.
* The forward keeps each step's gates as G contiguous (batch, H) blocks, (seq_len, G,
  batch, H) (NumPy is about 3x slower on the strided column blocks of a (batch, G*H)
  layout); the pass that adds the bias after the projection GEMM also reorders it.
  The LSTM's backward works batch-major, (batch, 4H) per step, so that each step's
  carry is one GEMM with W_hh as stored; the GRU's is gate-major (its gate gradients
  are one broadcast product per step, its weight gradients batched GEMMs per gate).
* When the call is recorded, the forward also leaves the activated gates and the
  derivative factors the backward loop needs in a workspace (cuDNN's "reserve
  space"), computed in place while each step's values are in cache. The first
  reverse pass that records nothing uses it once; any other pass (a second
  backward, ``create_graph``, forward mode) recomputes those values from the
  inputs with differentiable ops.
* Sigmoids are computed as ``0.5 * tanh(0.5 a) + 0.5`` (no overflow; one ufunc
  for all gates), with the 0.5 folded into the weights.
* Scratch arrays (the workspace, the per-step gradients gathered by an unrecorded
  backward) are recycled through a small pool, and so is an output array once
  nothing refers to it any more (CPython's reference count): a fresh multi-megabyte
  array costs a page fault per 4 KiB on first touch, which measured as much as the
  arithmetic of the step it holds.
"""
from .buffers import _Workspace
from .gru import _GRU_SCAN
from .lstm import _LSTM_SCAN, _unpack_lstm
from .rnn import _RNN_RELU_SCAN, _RNN_TANH_SCAN

__all__ = ["_RNN_TANH_SCAN", "_RNN_RELU_SCAN", "_LSTM_SCAN", "_GRU_SCAN", "_Workspace",
           "_unpack_lstm"]
