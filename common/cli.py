"""The command line every script shares: the same flags, defaults shown in --help."""

import argparse
import math
from pathlib import Path

from common.data import DATASETS


def whole_number_from(minimum):
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


positive_int = whole_number_from(1)
non_negative_int = whole_number_from(0)


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text}")
    return value


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake in a flag is one line rather than the whole usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def make_parser(script_path, doc, lr):
    """The parser for one script: its name sets the default --out-dir, ``lr`` the default --lr."""
    name = Path(script_path).stem
    parser = Parser(
        prog=Path(script_path).name,
        description=doc.strip().splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--steps", type=positive_int, default=5000, help="training iterations")
    parser.add_argument("--batch-size", type=positive_int, default=100, help="images per training batch")
    parser.add_argument(
        "--display-step",
        type=positive_int,
        default=100,
        help="record train/test loss and accuracy every this many iterations",
    )
    parser.add_argument("--lr", type=positive_float, default=lr, help="learning rate")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (weights, batches, dropout)")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist", help="which digits to learn")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the four IDX files or mnist.npz / fashion_mnist.npz "
        "(default: $MNIST_DATA_DIR or $FASHION_MNIST_DATA_DIR, else download)",
    )
    parser.add_argument("--out-dir", default=str(Path("runs") / name), help="where the history and plots go")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier run in --out-dir")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out-dir from its last checkpoint")
    parser.add_argument("--show", action="store_true", help="open the plot window at the end")
    parser.set_defaults(script=name)
    return parser


def parse_args(script_path, doc, lr, argv=None):
    """Parse the command line of the script at ``script_path``."""
    parser = make_parser(script_path, doc, lr)
    args = parser.parse_args(argv)
    if args.resume and args.overwrite:
        parser.error("--resume and --overwrite contradict each other; choose one")
    return args
