"""The benchmark workloads, each as a one-training-step closure for chainrule and for PyTorch.

W1 MLP 784-512-512-10, ReLU, softmax cross-entropy, batch 128, one SGD step (float32)
W2 LeNet-like CNN, batch 64x1x28x28: conv 1->16 5x5 pad 2, ReLU, maxpool 2, conv 16->32 5x5,
   ReLU, maxpool 2, linear 800->128, ReLU, linear 128->10, one SGD step
W3 nn.LSTM seq 32, batch 32, input 64, hidden 128 -> last hidden -> linear 10, one SGD step
W6 GEMM-bound MLP 4096-4096-4096-10, batch 512, one SGD step, against the NumPy matmul floor
"""
import numpy as np

WORKLOADS = {
    "W1": "MLP 784-512-512-10 step, batch 128",
    "W2": "LeNet-like CNN step, batch 64",
    "W3": "LSTM(64->128) seq 32 batch 32 step",
    "W6": "MLP 4096-4096-4096-10 step, batch 512",
}


def _data(workload, seed=0):
    rng = np.random.default_rng(seed)
    if workload == "W1":
        return rng.standard_normal((128, 784)).astype(np.float32), rng.integers(0, 10, 128)
    if workload == "W2":
        return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)
    if workload == "W3":
        return rng.standard_normal((32, 32, 64)).astype(np.float32), rng.integers(0, 10, 32)
    if workload == "W6":
        return rng.standard_normal((512, 4096)).astype(np.float32), rng.integers(0, 10, 512)
    raise ValueError(workload)


def chainrule_step(workload):
    """A closure doing one forward, loss, backward and SGD update in chainrule."""
    import chainrule as cr
    import chainrule.nn as nn
    import chainrule.nn.functional as F
    cr.manual_seed(0)
    x_np, y_np = _data(workload)
    if workload == "W1":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
    elif workload == "W2":
        model = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(800, 128), nn.ReLU(), nn.Linear(128, 10))
    elif workload == "W3":
        class LSTMHead(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(64, 128)
                self.head = nn.Linear(128, 10)

            def forward(self, x):
                _, (h, _) = self.lstm(x)
                return self.head(h[-1])
        model = LSTMHead()
    else:
        model = nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
                              nn.Linear(4096, 10))
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    x, y = cr.tensor(x_np), cr.tensor(y_np)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def torch_step(workload, threads):
    import torch
    import torch.nn as tnn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x_np, y_np = _data(workload)
    if workload == "W1":
        model = tnn.Sequential(tnn.Linear(784, 512), tnn.ReLU(), tnn.Linear(512, 512), tnn.ReLU(),
                               tnn.Linear(512, 10))
    elif workload == "W2":
        model = tnn.Sequential(tnn.Conv2d(1, 16, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Conv2d(16, 32, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                               tnn.Linear(800, 128), tnn.ReLU(), tnn.Linear(128, 10))
    elif workload == "W3":
        class LSTMHead(tnn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = tnn.LSTM(64, 128)
                self.head = tnn.Linear(128, 10)

            def forward(self, x):
                _, (h, _) = self.lstm(x)
                return self.head(h[-1])
        model = LSTMHead()
    else:
        model = tnn.Sequential(tnn.Linear(4096, 4096), tnn.ReLU(), tnn.Linear(4096, 4096),
                               tnn.ReLU(), tnn.Linear(4096, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.tensor(x_np), torch.tensor(y_np)

    def step():
        loss = tnn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def numpy_floor_w6():
    """The plain NumPy matmuls one W6 step must do (forward, backward for inputs and weights)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 4096)).astype(np.float32)
    w1 = rng.standard_normal((4096, 4096)).astype(np.float32)
    w2 = rng.standard_normal((4096, 4096)).astype(np.float32)
    w3 = rng.standard_normal((4096, 10)).astype(np.float32)
    g = rng.standard_normal((512, 10)).astype(np.float32)

    def step():
        h1 = x @ w1
        h2 = h1 @ w2
        h2 @ w3
        g2 = g @ w3.T
        h2.T @ g
        g1 = g2 @ w2.T
        h1.T @ g2
        x.T @ g1
    return step


def group(lib, workload, threads=2):
    """{name: step} for benchmarks/_common.measure_isolated."""
    if lib == "chainrule":
        return {f"chainrule {workload}": chainrule_step(workload)}
    if lib == "torch":
        return {f"torch {workload}": torch_step(workload, threads)}
    return {f"numpy floor {workload}": numpy_floor_w6()}
