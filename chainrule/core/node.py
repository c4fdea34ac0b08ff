"""Node: one recorded application of a primitive. Knows nothing of any specific op."""
import itertools

_counter = itertools.count()


class Node:
    """A vertex of the computation graph: the primitive applied, to what, and what backward needs.

    inputs    the arguments as given (Tensors, ndarrays, Python scalars); the rules read them
    parents   per input: the producing Node, the leaf Tensor that requires grad, or None
    versions  per input: the Tensor's version when recorded (checked before the rules read it)
    out_data  the output array, kept only when the primitive's rules read the output
    out_version / out_modified  the output's version when kept, and its version after a
              plain (unrecorded) in-place write into that buffer (None while untouched)
    """

    # Rarely set fields are class-level defaults: recording a node assigns only what every
    # node has (per-op overhead is measured in benchmarks/overhead.py).
    out_data = None
    out_version = 0
    out_modified = None
    out_tangents = None
    hooks = None
    retained = None
    site = None
    freed = False

    def __init__(self, primitive, params, inputs, parents, versions, arrays=None, needs=None):
        self.primitive = primitive
        self.params = params
        self.inputs = inputs
        self.parents = parents
        self.versions = versions
        self.arrays = arrays      # the inputs' arrays as the forward saw them
        self.needs = needs        # per input: does it want a gradient (parents[i] is not None)
        self.seq = next(_counter)

    @property
    def name(self):
        return self.primitive.name

    def release(self):
        """Drop everything backward needed (after a backward without retain_graph)."""
        self.inputs = self.arrays = None
        if self.out_data is not None or self.out_tangents is not None:
            self.out_data = self.out_tangents = None
        self.freed = True
        if self.primitive.keeps_state:  # e.g. a cr.Function's ctx holds its saved tensors
            self.primitive.release(self.params)

    def __repr__(self):
        return f"<Node {self.primitive.name} #{self.seq}>"
