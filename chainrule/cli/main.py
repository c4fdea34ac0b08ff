"""``chainrule`` command line: ``train`` (the main job), ``eval``, ``--version``."""
import argparse
import os
import sys
import tempfile

__all__ = ["main", "build_parser"]

DATASETS = ("digits", "mnist", "fashion-mnist")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def build_parser():
    from .. import __version__
    from .models import MODELS
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Train and evaluate small networks with chainrule (differentiable "
                    "programming on NumPy).")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{train,eval}")

    train = sub.add_parser(
        "train", help="train a model on a dataset (the main job)",
        description="Train a model; writes DIR/checkpoint.safetensors every epoch, "
                    "DIR/metrics.csv and DIR/curves.png.")
    train.add_argument("--model", choices=MODELS, default=None,
                       help="mlp (default), cnn (LeNet-like) or lstm (image rows as a sequence)")
    train.add_argument("--dataset", choices=DATASETS, default=None,
                       help="digits (bundled, default), mnist or fashion-mnist (downloaded once)")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="total number of epochs, the length of the cosine lr schedule "
                            "(default depends on the model). With --resume: omitted, the run "
                            "continues to the total its checkpoint records, on the same "
                            "schedule (bit-identical to an uninterrupted run); at most that "
                            "total, it stops at N on the same schedule; larger, it extends the "
                            "run: the cosine schedule is re-stretched to N epochs, the lr "
                            "jumping to the value a run started with --epochs N would have at "
                            "that epoch")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="minibatch size (default 32)")
    train.add_argument("--optimizer", choices=("sgd", "adam"), default=None,
                       help="adam (default) or sgd (with momentum 0.9)")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default depends on the model and optimizer)")
    train.add_argument("--seed", type=_int, default=None, help="random seed (default 0)")
    train.add_argument("--out", default=None,
                       help="output directory (default: a new runs/MODEL-DATASET[-N])")
    train.add_argument("--resume", action="store_true",
                       help="continue from DIR/checkpoint.safetensors (see --epochs)")
    train.add_argument("--data-dir", default=None,
                       help="where MNIST files are cached (default $CHAINRULE_DATA or "
                            "~/.cache/chainrule)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    ev = sub.add_parser("eval", help="evaluate a checkpoint on a dataset's test split",
                        description="Print the test loss and accuracy of a checkpoint.")
    ev.add_argument("--checkpoint", required=True,
                    help="a checkpoint.safetensors, or the run directory that holds one")
    ev.add_argument("--dataset", choices=DATASETS, default=None,
                    help="dataset (default: the one the checkpoint was trained on)")
    ev.add_argument("--batch-size", type=_positive_int, default=256)
    ev.add_argument("--data-dir", default=None)
    return parser


def _check_out_dir(parser, out, resume=False):
    """Fail early (exit 2) when the output directory cannot be created or written."""
    path = os.path.abspath(out)
    if resume and not os.path.isdir(path):
        return          # train says there is no checkpoint to resume (and creates nothing)
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if os.path.exists(path) and not os.path.isdir(path):
        parser.error(f"argument --out: {out!r} exists and is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        parser.error(f"argument --out: {out!r} is not writable (no write permission on {probe!r})")
    # os.access says yes for root even where nothing can be created (/sys, /proc): try it
    created = []
    try:
        missing = path
        while not os.path.exists(missing):
            created.append(missing)
            missing = os.path.dirname(missing)
        os.makedirs(path, exist_ok=True)
        fd, probe_file = tempfile.mkstemp(prefix=".chainrule-probe.", dir=path)
        os.close(fd)
        os.remove(probe_file)
    except (OSError, ValueError) as e:
        failed = e
    else:
        failed = None
    for directory in created:   # train creates the directory when it writes; leave none empty
        try:
            os.rmdir(directory)
        except OSError:
            pass
    if failed is not None:
        e = failed
        reason = getattr(e, "strerror", None) or str(e)
        parser.error(f"argument --out: cannot write to {out!r} ({reason})")


def main(argv=None):
    """Entry point of the ``chainrule`` program (also ``python -m chainrule``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "train":
        sub = _subparser(parser, "train")
        if args.out is not None:
            _check_out_dir(sub, args.out, resume=args.resume)
        from .train import describe_interrupted, train
        try:
            return train(args, error=sub.error)
        except KeyboardInterrupt:
            # say what is on disk now (train sets args.out once it has chosen the directory)
            print("\n" + describe_interrupted(args.out), file=sys.stderr)
            return 130
    if args.command == "eval":
        from .train import evaluate_checkpoint
        return evaluate_checkpoint(args, error=_subparser(parser, "eval").error)
    parser.print_help()
    return 2


def _subparser(parser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    return parser


if __name__ == "__main__":
    sys.exit(main())
