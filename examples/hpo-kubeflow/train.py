#!/usr/bin/env python3
"""A stand-in for training an MNIST MLP, for expctl's hpo-kubeflow example (Python 3 standard library only).

It takes a learning rate, a hidden size and a number of layers, "trains" for five epochs — sleeping
longer for bigger models, 0.3 s for 64 x 2 up to 0.6 s for 256 x 3 — and prints one
`@expctl {json}` metric line per epoch. The losses are a deterministic function of the parameters
(best at lr 5e-4, 256 hidden, 3 layers), so every run of the grid, here or on a cluster, agrees on
the best configuration.
"""
import argparse
import json
import math
import time

EPOCHS = 5
SMALLEST, LARGEST = 64 * 2, 256 * 3


def final_val_loss(lr: float, hidden: int, layers: int) -> float:
    """Where training ends: a bowl in log(lr) around 5e-4; wider and deeper help a little."""
    return 0.05 + 0.08 * math.log10(lr / 5e-4) ** 2 + 0.02 * 128 / hidden + (0.012 if layers < 3 else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lr", type=float, required=True, help="learning rate")
    ap.add_argument("--hidden", type=int, required=True, help="hidden units per layer")
    ap.add_argument("--layers", type=int, required=True, help="hidden layers")
    args = ap.parse_args()
    if args.lr <= 0 or args.hidden < 1 or args.layers < 1:
        ap.error("--lr must be > 0, --hidden and --layers ≥ 1")

    size = args.hidden * args.layers
    seconds = 0.3 + 0.3 * min(max((size - SMALLEST) / (LARGEST - SMALLEST), 0.0), 1.0)
    final = final_val_loss(args.lr, args.hidden, args.layers)
    print(f"training lr={args.lr} hidden={args.hidden} layers={args.layers} for {EPOCHS} epochs", flush=True)
    for epoch in range(1, EPOCHS + 1):
        time.sleep(seconds / EPOCHS)
        # From ln(10) (chance on 10 classes) down to `final` at the last epoch.
        val_loss = final + (math.log(10) - final) * (1 - epoch / EPOCHS) ** 2
        train_loss = 0.9 * val_loss
        print("@expctl " + json.dumps({"epoch": epoch, "train_loss": round(train_loss, 6), "val_loss": round(val_loss, 6)}), flush=True)


if __name__ == "__main__":
    main()
