"""The ``chalkgrad`` command line (thin: parse, call the library, print).

Commands: ``train`` (train a small classifier; the logic is in :mod:`chalkgrad.train`),
``solve`` (the worked solution of a problem file), ``summary`` (shapes, parameters, MACs,
receptive field), ``graph`` (draw a computation graph) and ``demo`` (the worked
backpropagation of a 2-2-2 network, also shown when no command is given).

Output piped into a program that stops reading early (``chalkgrad train | head``) ends the
command quietly with exit status 141 (128 + SIGPIPE, what a shell reports for ``cat`` or
``yes`` in the same place, so ``set -o pipefail`` still sees that the command did not finish),
without a BrokenPipeError traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

#: Exit status when the reader of stdout went away (128 + SIGPIPE, as a shell reports for cat or yes).
EXIT_BROKEN_PIPE = 141


def _version() -> str:
    from . import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chalkgrad",
        description="Deep learning from first principles that shows its work.",
        epilog="Run without a command to see the worked backpropagation demo.",
    )
    parser.add_argument("--version", action="version", version=f"chalkgrad {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="print a worked backpropagation of a 2-2-2 network")
    demo.add_argument("--digits", type=int, default=9, help="decimal places shown (default 9)")

    from .train import DATASETS, MODELS, TrainConfig

    d = TrainConfig()
    train = sub.add_parser(
        "train", help="train a classifier on the bundled digits (or MNIST, Fashion-MNIST, CIFAR-10)",
        description="Train a small network, print the test accuracy and confusion matrix, and write a "
                    "checkpoint (every epoch), the model and a history plot to an output folder.")
    train.add_argument("--dataset", choices=DATASETS, default=d.dataset, help="default: digits (8x8, bundled)")
    train.add_argument("--data-root", default=None, metavar="DIR",
                       help="folder with the dataset files (mnist, fashion-mnist, cifar10; no downloading)")
    train.add_argument("--model", choices=MODELS, default=d.model, help=f"default: {d.model}")
    train.add_argument("--epochs", type=int, default=None, help=f"default: {d.epochs}")
    train.add_argument("--batch-size", type=int, default=d.batch_size, help=f"default: {d.batch_size}")
    train.add_argument("--optimizer", default=d.optimizer,
                       help=f"sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam (default: {d.optimizer})")
    train.add_argument("--lr", type=float, default=None,
                       help=f"learning rate (default: {d.lr} for the default optimizer, else its Keras default)")
    train.add_argument("--seed", type=int, default=d.seed, help=f"default: {d.seed}")
    train.add_argument("--out", default=None, metavar="DIR",
                       help="output folder (default: ./chalkgrad-runs/<timestamp>)")
    train.add_argument("--no-schedule", action="store_true", help="constant learning rate (no cosine decay)")
    train.add_argument("--resume", default=None, metavar="RUN",
                       help="continue the run in folder RUN (or from its checkpoint file) with its own settings; "
                            "--epochs may raise the total")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                       help="0 silent, 1 progress bar, 2 one line per epoch (default: 1)")
    from .explain.command import add_solve_parser
    from .explain.graph_command import add_graph_parser
    from .explain.summary_command import add_summary_parser

    add_solve_parser(sub)
    add_summary_parser(sub)
    add_graph_parser(sub)
    return parser


def _train(args) -> int:
    from .train import TrainConfig, TrainError, run

    lr = args.lr
    if lr is None:
        lr = TrainConfig.lr if args.optimizer == TrainConfig.optimizer else None
    config = TrainConfig(dataset=args.dataset, model=args.model, epochs=args.epochs, batch_size=args.batch_size,
                         optimizer=args.optimizer, lr=lr, seed=args.seed, out=args.out, data_root=args.data_root,
                         verbose=args.verbose, schedule="none" if args.no_schedule else "cosine", resume=args.resume)
    try:
        run(config)
    except TrainError as e:
        print(f"chalkgrad train: error: {e}", file=sys.stderr)
        return 2
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = _dispatch(parser, args)
        sys.stdout.flush()  # a broken pipe shows up here when the output was buffered
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced by an object without a file descriptor
        pass


def _dispatch(parser: argparse.ArgumentParser, args) -> int:
    if args.command in (None, "demo"):
        from .demo import worked_backprop

        digits = getattr(args, "digits", 9)
        if not 0 <= digits <= 17:
            parser.error(f"--digits must be between 0 and 17, got {digits}")
        print(worked_backprop(digits))
        return 0
    if args.command == "train":
        return _train(args)
    if hasattr(args, "func"):  # solve, summary, graph
        return args.func(args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return 2


if __name__ == "__main__":
    sys.exit(main())
