"""The presets of ``chainrule train``: mlp, cnn (LeNet-like), lstm (image rows as a sequence)."""
import numpy as np

from .. import nn
from ..ops import reshape

__all__ = ["build_model", "MODELS"]

MODELS = ("mlp", "cnn", "lstm")


class RowLSTM(nn.Module):
    """An LSTM that reads an image row by row and classifies from its last hidden state.

    Shape: input (N, 1, H, W) -> logits (N, num_classes).
    """

    def __init__(self, width, num_classes, hidden_size=128):
        super().__init__()
        self.lstm = nn.LSTM(width, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        n, _, h, w = x.shape
        _, (h_n, _) = self.lstm(reshape(x, (n, h, w)))
        return self.head(h_n[-1])


def build_model(name, image_shape, num_classes):
    """A fresh model for images of ``image_shape`` (C, H, W) and ``num_classes`` classes."""
    channels, height, width = image_shape
    if name == "mlp":
        hidden = 256 if height * width <= 64 else 512
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * height * width, hidden), nn.ReLU(),
            nn.Linear(hidden, 128), nn.ReLU(),
            nn.Linear(128, num_classes))
    if name == "cnn":
        if height >= 20:  # LeNet-like on 28x28: conv5 pad2, pool, conv5, pool -> 32x5x5
            k1, p1, k2, p2 = 5, 2, 5, 0
        else:             # small images (8x8 digits): 3x3 convolutions that keep the size
            k1, p1, k2, p2 = 3, 1, 3, 1
        h = (height + 2 * p1 - k1 + 1) // 2
        h = (h + 2 * p2 - k2 + 1) // 2
        w = (width + 2 * p1 - k1 + 1) // 2
        w = (w + 2 * p2 - k2 + 1) // 2
        return nn.Sequential(
            nn.Conv2d(channels, 16, k1, padding=p1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, k2, padding=p2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * h * w, 128), nn.ReLU(),
            nn.Linear(128, num_classes))
    if name == "lstm":
        return RowLSTM(width * channels, num_classes)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def count_parameters(model):
    return int(sum(np.prod(p.shape) for p in model.parameters()))
