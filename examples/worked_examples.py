"""The backprop lectures' worked examples, computed by chainrule.

Run: python examples/worked_examples.py
"""
import numpy as np

import chainrule as cr


def main():
    # f = (x + y) z at (-2, 5, -4): df/dx = df/dy = z = -4, df/dz = x + y = 3
    x, y, z = (cr.tensor(v, dtype=np.float64, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    f = (x + y) * z
    f.backward()
    print(f"(x+y)*z = {f.item():g};  df/dx = {x.grad.item():g}, df/dy = {y.grad.item():g}, "
          f"df/dz = {z.grad.item():g}")

    # The sigmoid neuron 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at w = (2, -3, -3), x = (-1, -2)
    w = cr.tensor([2.0, -3.0, -3.0], dtype=np.float64, requires_grad=True)
    xs = cr.tensor([-1.0, -2.0], dtype=np.float64, requires_grad=True)
    out = 1 / (1 + cr.exp(-(w[0] * xs[0] + w[1] * xs[1] + w[2])))
    out.backward()
    print(f"sigmoid neuron = {out.item():.4f};  dw = {np.round(w.grad.numpy(), 4).tolist()}, "
          f"dx = {np.round(xs.grad.numpy(), 4).tolist()}")

    # f = ||W x||^2: grad_W = 2 q x^T, grad_x = 2 W^T q with q = W x
    W = cr.tensor([[0.1, 0.5], [-0.3, 0.8]], dtype=np.float64, requires_grad=True)
    v = cr.tensor([0.2, 0.4], dtype=np.float64, requires_grad=True)
    q = W @ v
    loss = (q * q).sum()
    loss.backward()
    print(f"||Wx||^2 = {loss.item():.4f};  grad_W = {np.round(W.grad.numpy(), 4).tolist()}, "
          f"grad_x = {np.round(v.grad.numpy(), 4).tolist()}")


if __name__ == "__main__":
    main()
