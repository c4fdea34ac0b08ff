"""The training loop of ``chainrule train`` and the evaluation of ``chainrule eval``.

For each epoch, for each minibatch: forward, loss, backprop, update. After each epoch:
evaluate training and test cross-entropy and accuracy, append a row to metrics.csv, write
checkpoint.safetensors (atomically: a crash or Ctrl-C never leaves a broken one) and
redraw curves.png.
"""
import csv
import io as _io
import json
import os
import re
import sys
import time

import numpy as np

from .. import random as cr_random
from ..core.modes import no_grad
from ..io import load, save
from ..nn.summary import summary
from .models import build_model

__all__ = ["train", "evaluate_checkpoint", "DEFAULTS"]

CHECKPOINT = "checkpoint.safetensors"
METRICS = "metrics.csv"
CURVES = "curves.png"
COLUMNS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")
FORMAT = "chainrule-train-checkpoint/1"

# Per-model defaults, chosen so that `chainrule train --model M` alone learns the bundled digits.
DEFAULTS = {
    "mlp": {"epochs": 15, "batch_size": 32, "adam": 1e-3, "sgd": 0.05},
    "cnn": {"epochs": 20, "batch_size": 32, "adam": 3e-3, "sgd": 0.05},
    "lstm": {"epochs": 20, "batch_size": 32, "adam": 3e-3, "sgd": 0.1},
}


# --------------------------------------------------------------------------- data
def load_dataset(name, data_dir=None):
    """(train, test) datasets for the CLI's dataset names."""
    from ..data import datasets
    if name == "digits":
        return datasets.digits()
    if name == "mnist":
        return datasets.mnist(root=data_dir)
    if name == "fashion-mnist":
        return datasets.fashion_mnist(root=data_dir)
    raise ValueError(f"unknown dataset {name!r}")


def _image_shape(dataset):
    x, _ = dataset[0]
    return tuple(int(n) for n in x.shape)


# --------------------------------------------------------------------------- pieces
def _make_optimizer(name, params, lr):
    from .. import optim
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.SGD(params, lr=lr, momentum=0.9)


def _evaluate(model, dataset, batch_size=512):
    """(mean cross-entropy, accuracy) of ``model`` on ``dataset`` in eval mode."""
    from ..data import DataLoader
    from ..nn import functional as F
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size):
            logits = model(x)
            total_loss += float(F.cross_entropy(logits, y, reduction="sum").item())
            correct += int((logits.data.argmax(axis=1) == y.data).sum())
            count += len(y.data)
    model.train()
    return total_loss / max(count, 1), correct / max(count, 1)


def _optimizer_to_saveable(state):
    return {
        "state": {str(k): dict(v) for k, v in state["state"].items()},
        "param_groups": json.dumps(state["param_groups"]),
    }


def _optimizer_from_saved(saved):
    return {
        "state": {int(k): dict(v) for k, v in saved["state"].items()},
        "param_groups": json.loads(saved["param_groups"]),
    }


def _write_text_atomic(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_metrics(path, history):
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in history:
        writer.writerow([row["epoch"]] + [f"{row[c]:.6f}" for c in COLUMNS[1:5]] +
                        [f"{row['seconds']:.3f}"])
    _write_text_atomic(path, buf.getvalue())


def _plot_curves(path, history, title):
    """Loss and accuracy per epoch; returns False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = [r["epoch"] for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [r["train_loss"] for r in history], "o-", label="train")
    ax_loss.plot(epochs, [r["test_loss"] for r in history], "o-", label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy")
    ax_loss.legend()
    ax_acc.plot(epochs, [r["train_acc"] for r in history], "o-", label="train")
    ax_acc.plot(epochs, [r["test_acc"] for r in history], "o-", label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    fig.suptitle(title)
    fig.tight_layout()
    tmp = f"{path}.tmp-{os.getpid()}.png"
    try:
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
    return True


def _progress(iterable, total, desc, quiet):
    if quiet or not sys.stderr.isatty():
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, unit="batch", dynamic_ncols=True)


def _resolve_out(args):
    """The output directory: --out, or a fresh runs/<model>-<dataset>[-N] (the latest one on --resume)."""
    if args.out is not None:
        return args.out
    base = os.path.join("runs", f"{args.model or 'mlp'}-{args.dataset or 'digits'}")
    candidates = [base] + [f"{base}-{n}" for n in range(2, 1000)]
    if args.resume:
        existing = [c for c in candidates if os.path.exists(os.path.join(c, CHECKPOINT))]
        return existing[-1] if existing else base
    for c in candidates:
        if not os.path.exists(os.path.join(c, CHECKPOINT)):
            return c
    return candidates[-1]


# --------------------------------------------------------------------------- train
def train(args, error):
    """Run ``chainrule train``; returns the process exit status."""
    from ..data import DataLoader
    from ..nn import functional as F

    out = args.out = _resolve_out(args)
    ckpt_path = os.path.join(out, CHECKPOINT)
    metrics_path = os.path.join(out, METRICS)
    explicit = {k: getattr(args, k) for k in ("model", "dataset", "batch_size", "optimizer", "lr",
                                               "seed") if getattr(args, k) is not None}
    checkpoint = None
    if args.resume:
        if not os.path.exists(ckpt_path):
            error(f"--resume: no checkpoint at {ckpt_path}")
        checkpoint = _load_checkpoint(ckpt_path, "--resume", error)
        config = dict(checkpoint["config"])
        for key, value in explicit.items():
            if config.get(key) != value:
                error(f"--resume: the checkpoint was trained with --{key.replace('_', '-')} "
                      f"{config.get(key)}, not {value}; drop the option or use another --out")
        # The run's total and its cosine schedule's length, as recorded (checkpoints written
        # before "epochs" was recorded keep it as the schedule's T_max).
        schedule = checkpoint["scheduler"]
        recorded = config.get("epochs", schedule.get("T_max") if isinstance(schedule, dict)
                              else None)
        if isinstance(recorded, bool) or not isinstance(recorded, int) or recorded < 1:
            error(f"--resume: {ckpt_path} does not record its run's number of epochs")
        if args.epochs is None or args.epochs <= recorded:
            epochs, schedule_length = args.epochs or recorded, recorded   # the same schedule
        else:
            epochs = schedule_length = args.epochs                      # extended: re-stretched
        config["epochs"] = max(recorded, epochs)
    else:
        if os.path.exists(ckpt_path):
            error(f"argument --out: {out} already holds a checkpoint; continue it with --resume "
                  "or choose another --out (nothing was overwritten)")
        model_name = args.model or "mlp"
        defaults = DEFAULTS[model_name]
        optimizer_name = args.optimizer or "adam"
        config = {
            "model": model_name,
            "dataset": args.dataset or "digits",
            "batch_size": args.batch_size or defaults["batch_size"],
            "optimizer": optimizer_name,
            "lr": args.lr if args.lr is not None else defaults[optimizer_name],
            "seed": args.seed if args.seed is not None else 0,
        }
        epochs = schedule_length = args.epochs or DEFAULTS[config["model"]]["epochs"]
        config["epochs"] = epochs

    try:
        train_set, test_set = load_dataset(config["dataset"], args.data_dir)
    except (OSError, RuntimeError, ValueError) as e:
        print(f"chainrule train: error: {e}", file=sys.stderr)
        return 1
    image_shape = _image_shape(train_set)
    num_classes = 10
    config["image_shape"] = list(image_shape)
    config["num_classes"] = num_classes

    cr_random.manual_seed(config["seed"])
    model = build_model(config["model"], image_shape, num_classes)
    optimizer = _make_optimizer(config["optimizer"], model.parameters(), config["lr"])
    # Cosine annealing of the learning rate over the run: steady final epochs.
    from ..optim.lr_scheduler import CosineAnnealingLR
    scheduler = CosineAnnealingLR(optimizer, T_max=schedule_length)
    history = []
    start_epoch = 0
    if checkpoint is not None:
        try:
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(_optimizer_from_saved(checkpoint["optimizer"]))
            saved_schedule = dict(checkpoint["scheduler"])
            scheduler.load_state_dict(saved_schedule)
            rng = json.loads(checkpoint["rng"])
            history = json.loads(checkpoint["history"])
            start_epoch = int(checkpoint["epoch"])
            if scheduler.T_max != schedule_length:
                _stretch_schedule(scheduler, schedule_length)
            cr_random.set_rng_state(rng)
        except (AttributeError, KeyError, TypeError, ValueError, RuntimeError) as e:
            error(f"--resume: {ckpt_path} cannot be resumed: {_one_line(e)}")
        if start_epoch >= epochs:
            print(f"{ckpt_path} already has {start_epoch} epochs (--epochs {epochs}); nothing to "
                  "do (a larger --epochs extends the run)")
            return 0

    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        error(f"argument --out: cannot create the directory {out!r}: {e.strerror or e}")
    loader = DataLoader(train_set, batch_size=config["batch_size"], shuffle=True,
                        seed=config["seed"])
    n_params = sum(int(np.prod(p.shape)) for p in model.parameters())
    print(f"chainrule train: {config['model']} on {config['dataset']} "
          f"({len(train_set)} train / {len(test_set)} test images, {n_params:,} parameters), "
          f"{config['optimizer']} lr={config['lr']:g}, batch {config['batch_size']}, "
          f"epochs {start_epoch + 1}..{epochs} -> {out}")
    print(f"model: {summary(model).line}")
    print(f"{'epoch':>5} {'train_loss':>10} {'train_acc':>9} {'test_loss':>9} {'test_acc':>8} "
          f"{'seconds':>7}")
    for row in history:
        _print_row(row)
    plotted = True
    for epoch in range(start_epoch + 1, epochs + 1):
        started = time.perf_counter()
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch - 1)
        model.train()
        batches = _progress(loader, len(loader), f"epoch {epoch}/{epochs}", args.quiet)
        for x, y in batches:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if hasattr(batches, "set_postfix"):
                batches.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        scheduler.step()
        train_loss, train_acc = _evaluate(model, train_set)
        test_loss, test_acc = _evaluate(model, test_set)
        row = {"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc,
               "test_loss": test_loss, "test_acc": test_acc,
               "seconds": time.perf_counter() - started}
        history.append(row)
        # Save first, then print: a printed row always has its checkpoint on disk.
        writing = ckpt_path
        try:
            if epoch == start_epoch + 1:
                _remove_stale_temporaries(out)
            save({"format": FORMAT, "config": config, "epoch": epoch,
                  "model": model.state_dict(),
                  "optimizer": _optimizer_to_saveable(optimizer.state_dict()),
                  "scheduler": scheduler.state_dict(),
                  "rng": json.dumps(cr_random.get_rng_state()), "history": json.dumps(history)},
                 ckpt_path)
            writing = metrics_path
            _write_metrics(metrics_path, history)
            writing = os.path.join(out, CURVES)
            plotted = _plot_curves(writing, history,
                                   f"{config['model']} on {config['dataset']}") and plotted
        except OSError as e:
            print(f"chainrule: error: could not write {writing} after epoch {epoch}: "
                  f"{e.strerror or e}", file=sys.stderr)
            return 2
        _print_row(row)
    print(f"done: test accuracy {history[-1]['test_acc']:.4f}; wrote {ckpt_path}, {metrics_path}"
          + (f", {os.path.join(out, CURVES)}" if plotted else
             " (curves.png needs matplotlib: pip install 'chainrule[train]')"))
    return 0


def _stretch_schedule(scheduler, length):
    """Re-stretch a cosine schedule to ``length`` epochs from its current epoch on.

    The lr becomes the one a run started with ``--epochs length`` would have now
    (closed form), and later steps follow that longer schedule.
    """
    scheduler.T_max = length
    lrs = scheduler._get_closed_form_lr()
    for group, lr in zip(scheduler.optimizer.param_groups, lrs):
        group["lr"] = lr
    scheduler._last_lr = list(lrs)


def _one_line(err):
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _load_checkpoint(path, option, error):
    """The checkpoint at ``path`` (a train checkpoint), or exit 2 with one sentence."""
    try:
        checkpoint = load(path)
    except ValueError as e:
        error(f"{option}: {e}")
    except OSError as e:
        error(f"{option}: cannot read {path}: {e.strerror or e}")
    required = ("config", "epoch", "model", "optimizer", "scheduler", "rng", "history")
    if checkpoint.get("format") != FORMAT or not all(k in checkpoint for k in required) \
            or not isinstance(checkpoint["config"], dict):
        error(f"{option}: {path} is not a chainrule train checkpoint")
    return checkpoint


_STALE = re.compile(r"^(\.checkpoint\.safetensors\.[A-Za-z0-9_]+\.tmp"
                    r"|metrics\.csv\.tmp-[0-9]+|curves\.png\.tmp-[0-9]+\.png)$")


def _remove_stale_temporaries(out):
    """Remove temporary files that killed earlier runs left in ``out`` (only those names)."""
    try:
        names = os.listdir(out)
    except OSError:
        return
    for name in names:
        if _STALE.match(name):
            path = os.path.join(out, name)
            try:
                if os.path.isfile(path) and not os.path.islink(path):
                    os.remove(path)
            except OSError:
                pass


def describe_interrupted(out):
    """One true sentence about what an interrupted run left on disk in ``out``."""
    if out is None:
        return "interrupted before any output directory was chosen; nothing was written"
    path = os.path.join(out, CHECKPOINT)
    if not os.path.exists(path):
        return f"interrupted: no checkpoint was saved yet (nothing at {path}); nothing to resume"
    try:
        checkpoint = load(path)
        epoch = int(checkpoint["epoch"])
        total = checkpoint["config"].get("epochs")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return f"interrupted: {path} exists but cannot be read ({_one_line(e)})"
    of = f" of {total}" if isinstance(total, int) else ""
    return (f"interrupted: {path} holds epoch {epoch}{of}; continue with "
            f"chainrule train --out {out} --resume")


def _print_row(row):
    print(f"{row['epoch']:>5} {row['train_loss']:>10.4f} {row['train_acc']:>9.4f} "
          f"{row['test_loss']:>9.4f} {row['test_acc']:>8.4f} {row['seconds']:>7.2f}", flush=True)


# --------------------------------------------------------------------------- eval
def evaluate_checkpoint(args, error):
    """Run ``chainrule eval``: print the test loss and accuracy of a checkpoint."""
    path = args.checkpoint
    if os.path.isdir(path):   # the run directory `chainrule train` prints
        path = os.path.join(path, CHECKPOINT)
        if not os.path.isfile(path):
            error(f"argument --checkpoint: the directory {args.checkpoint} holds no {CHECKPOINT}")
    if not os.path.exists(path):
        error(f"argument --checkpoint: no such file: {path}")
    checkpoint = _load_checkpoint(path, "argument --checkpoint", error)
    config = checkpoint["config"]
    if not all(k in config for k in ("model", "dataset", "image_shape", "num_classes")):
        error(f"argument --checkpoint: {path} is not a chainrule train checkpoint")
    dataset = args.dataset or config["dataset"]
    try:
        _, test_set = load_dataset(dataset, args.data_dir)
    except (OSError, RuntimeError, ValueError) as e:
        print(f"chainrule eval: error: {e}", file=sys.stderr)
        return 1
    image_shape = _image_shape(test_set)
    if list(image_shape) != list(config["image_shape"]):
        error(f"--dataset {dataset}: images of shape {image_shape} do not fit a model trained "
              f"on {config['dataset']} images of shape {tuple(config['image_shape'])}")
    try:
        model = build_model(config["model"], tuple(config["image_shape"]), config["num_classes"])
        model.load_state_dict(checkpoint["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        error(f"argument --checkpoint: {path} does not hold a usable model: {_one_line(e)}")
    loss, acc = _evaluate(model, test_set, batch_size=args.batch_size)
    print(f"{config['model']} (epoch {checkpoint['epoch']}) on {dataset} test: "
          f"loss {loss:.4f}, accuracy {acc:.4f}")
    return 0
