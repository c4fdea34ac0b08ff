"""Optimizers (PyTorch's update rules) and learning-rate schedulers.

``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``; ``optim.lr_scheduler``:
``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``,
``OneCycleLR``.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
