# %% [markdown]
# # chainrule tutorial: backpropagation, lecture by lecture
#
# This tutorial walks the steps of a backpropagation lecture in order, each one computed
# by chainrule: a circuit of two gates, a sigmoid neuron, a longer expression where
# gradients add at branches, a matrix layer `z = Wu + b` by hand and by autodiff, a custom
# operator, gradient checking, a small network trained by a hand-written SGD loop, and the
# same network with `chainrule.nn` and `chainrule.optim`.
#
# The source is `examples/tutorial.py` (cells marked `# %%`); `python docs/make_tutorial.py`
# writes the notebook `examples/tutorial.ipynb` and its rendering `docs/tutorial.md`.
# Every number below is what the code printed.

# %%
import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

# %% [markdown]
# ## 1. The circuit `f = (x + y) z`
#
# The forward pass computes `q = x + y = 3` and `f = q z = -12`. The backward pass starts
# from `∂f/∂f = 1` and multiplies, at each gate, the upstream gradient by the gate's local
# gradient: the multiply gate sends `z = -4` to `q` and `q = 3` to `z`; the add gate
# passes its upstream gradient `-4` unchanged to both `x` and `y`.
# `cr.explain` prints both tables.

# %%
def circuit(x, y, z):
    q = x + y
    f = q * z
    return f


ex = cr.explain(circuit, -2.0, 5.0, -4.0)
assert ex.grads == {"x": -4.0, "y": -4.0, "z": 3.0}

# %% [markdown]
# The same with tensors: `backward()` fills each leaf's `.grad`.

# %%
x = cr.tensor(-2.0, requires_grad=True)
y = cr.tensor(5.0, requires_grad=True)
z = cr.tensor(-4.0, requires_grad=True)
f = (x + y) * z
f.backward()
print(x.grad, y.grad, z.grad)

# %% [markdown]
# ## 2. A sigmoid neuron
#
# `f(w, x) = σ(w0 x0 + w1 x1 + w2)` at `w = (2, -3, -3)`, `x = (-1, -2)`: the dot product
# is 1 and `f = σ(1) = 0.7311`. The sigmoid gate's local gradient is `(1 - f) f = 0.1966`;
# the multiply gates then give `∂f/∂w = (x0, x1, 1) · 0.1966` and `∂f/∂x = (w0, w1) · 0.1966`.
# The table shows the sigmoid written out as its gates (`negative`, `exp`, `add`, `divide`):
# their local gradients multiply to `(1 - f) f`, the gradient that reaches `dot`.

# %%
def neuron(w, x):
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    return 1 / (1 + cr.exp(-dot))


ex = cr.explain(neuron, [2.0, -3.0, -3.0], [-1.0, -2.0])
s = float(ex.value)
print(f"(1 - f) f = {(1 - s) * s:.4f}")
np.testing.assert_allclose(ex.grads["w"], np.array([-1.0, -2.0, 1.0]) * (1 - s) * s)
np.testing.assert_allclose(ex.grads["x"], np.array([2.0, -3.0]) * (1 - s) * s)

# %% [markdown]
# ## 3. Gradients add at branches
#
# `f(x, z) = exp(xz) + xz / log(x) + sin(log(x)) / (xz)` at `x = 2`, `z = 3`. The value
# `xz` is used three times and `x` three times (twice through `log x`): the backward pass
# sends a contribution along every use, and the `accumulated` column shows them being
# summed. The result is checked against the derivative taken by hand,
# `∂f/∂x = z e^{xz} + z/log x - z/log²x + cos(log x)/(x² z) - sin(log x)/(x² z)`.

# %%
def g(x, z):
    xz = x * z
    return cr.exp(xz) + xz / cr.log(x) + cr.sin(cr.log(x)) / xz


ex = cr.explain(g, 2.0, 3.0)
X, Z = 2.0, 3.0
L = np.log(X)
dgdx = (Z * np.exp(X * Z) + Z / L - Z / L**2
        + np.cos(L) / (X**2 * Z) - np.sin(L) / (X**2 * Z))
dgdz = X * np.exp(X * Z) + X / L - np.sin(L) / (X * Z**2)
print(f"by hand: ∂f/∂x = {dgdx:.7f}, ∂f/∂z = {dgdz:.7f}")
np.testing.assert_allclose([ex.grads["x"], ex.grads["z"]], [dgdx, dgdz], rtol=1e-12)

# %% [markdown]
# ## 4. A matrix layer `z = W u + b`, by hand and by autodiff
#
# With an upstream gradient `δ = ∂L/∂z`, the chain rule gives `∂L/∂W = δ uᵀ` (an outer
# product), `∂L/∂u = Wᵀ δ` and `∂L/∂b = δ`. Here `L = Σ z²/2`, so `δ = z`. Each gradient
# has the shape of its input; the hand-derived ones equal autodiff's.

# %%
rng = np.random.default_rng(0)
W = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)   # float64 arrays stay float64
u = cr.tensor(rng.standard_normal(4), requires_grad=True)
b = cr.tensor(rng.standard_normal(3), requires_grad=True)
zl = W @ u + b
loss = (zl * zl).sum() / 2
loss.backward()

delta = zl.data                              # ∂L/∂z
dW, du, db = np.outer(delta, u.data), W.data.T @ delta, delta
for name, hand, auto in (("W", dW, W.grad), ("u", du, u.grad), ("b", db, b.grad)):
    np.testing.assert_allclose(auto.data, hand, rtol=1e-13, atol=1e-15)
    print(f"∂L/∂{name}: shape {auto.shape}, max |autodiff - by hand| = "
          f"{np.abs(auto.data - hand).max():.1e}")

# %% [markdown]
# ## 5. A custom operator
#
# A `cr.Function` has a `forward` (run without recording a graph) and a `backward`
# (upstream gradient in, one gradient per input out). Here `softplus(x) = log(1 + eˣ)`,
# whose derivative is `σ(x)`. `backward` recomputes `σ(x)` from the *saved input*, with
# chainrule ops: that keeps the backward pass differentiable, so second derivatives are
# right too. (Saving `eˣ` computed in `forward` would make it a constant to a double backward.)

# %%
class Softplus(cr.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cr.log(1 + cr.exp(x))

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy / (1 + cr.exp(-x))


x = cr.tensor(1.5, dtype=np.float64, requires_grad=True)
(dx,) = cr.autograd.grad(Softplus.apply(x), x, create_graph=True)
(ddx,) = cr.autograd.grad(dx, x)
sig = 1 / (1 + np.exp(-1.5))
print(f"softplus'(1.5) = {dx.item():.6f}  σ(1.5) = {sig:.6f}")
print(f"softplus''(1.5) = {ddx.item():.6f}  σ(1.5)(1 - σ(1.5)) = {sig * (1 - sig):.6f}")

# %% [markdown]
# ## 6. Gradient checking
#
# `cr.gradcheck` compares the analytic gradient (reverse mode, element by element, and
# forward mode along a random direction) with central finite differences in float64;
# `cr.gradgradcheck` does the same for second derivatives. A wrong `backward` fails with
# the Jacobian entry that disagrees.

# %%
xs = cr.tensor(np.linspace(-3, 3, 5), requires_grad=True)
print("gradcheck:", cr.gradcheck(Softplus.apply, (xs,)))
print("gradgradcheck:", cr.gradgradcheck(Softplus.apply, (xs,)))


class WrongSoftplus(Softplus):
    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy / (1 + cr.exp(x))          # the sign of x is wrong


try:
    cr.gradcheck(WrongSoftplus.apply, (xs,), check_forward=False)
except Exception as err:
    print(type(err).__name__ + ":", str(err).splitlines()[0])

# %% [markdown]
# ## 7. A two-layer network, trained by hand
#
# The bundled 8×8 digits (1,438 training and 359 test images). The network is
# `scores = W2 relu(W1 x + b1) + b2` with a softmax cross-entropy loss. Each step of
# minibatch SGD is the lecture's loop: forward, backward, update every parameter by
# `p ← p - lr ∂L/∂p` (outside the graph, under `cr.no_grad()`), and zero the gradients.

# %%
train, test = cr.data.datasets.digits()
x_test, y_test = test.tensors


def accuracy(scores, labels):
    return float((scores.data.argmax(axis=1) == labels.data).mean())


cr.manual_seed(0)
W1 = (cr.randn(64, 32) * (2 / 64) ** 0.5).requires_grad_()
b1 = cr.zeros(32, requires_grad=True)
W2 = (cr.randn(32, 10) * (1 / 32) ** 0.5).requires_grad_()
b2 = cr.zeros(10, requires_grad=True)
params = [W1, b1, W2, b2]


def mlp(x):
    h = cr.maximum(x.reshape(len(x), 64) @ W1 + b1, 0)
    return h @ W2 + b2


lr = 0.1
for epoch in range(1, 6):
    for xb, yb in cr.data.DataLoader(train, batch_size=32, shuffle=True, seed=epoch):
        loss = F.cross_entropy(mlp(xb), yb)
        loss.backward()
        with cr.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    with cr.no_grad():
        scores = mlp(x_test)
        print(f"epoch {epoch}: test loss {F.cross_entropy(scores, y_test).item():.4f}, "
              f"test accuracy {accuracy(scores, y_test):.4f}")
hand_accuracy = accuracy(mlp(x_test), y_test)
assert hand_accuracy > 0.8

# %% [markdown]
# ## 8. The same with `nn` and `optim`
#
# `nn.Linear` holds its weight and bias as `nn.Parameter`s, `model.parameters()` finds
# them, and `optim.SGD` does the update and the zeroing. The loop is the same.

# %%
cr.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
opt = cr.optim.SGD(model.parameters(), lr=0.1)
print(model)
for epoch in range(1, 6):
    model.train()
    for xb, yb in cr.data.DataLoader(train, batch_size=32, shuffle=True, seed=epoch):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with cr.no_grad():
        scores = model(x_test)
        print(f"epoch {epoch}: test loss {F.cross_entropy(scores, y_test).item():.4f}, "
              f"test accuracy {accuracy(scores, y_test):.4f}")
nn_accuracy = accuracy(model(x_test), y_test)
assert nn_accuracy > 0.8
