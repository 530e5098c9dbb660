#!/usr/bin/env python3
"""A CPU-only, training-like script (standard library only) for expctl's quickstart.

It fits y = 3x + 1 with SGD on synthetic data and prints `@expctl {json}` metric lines that expctl
parses: the batch loss every few steps (`train_loss`), the loss on the training data and on a
held-out set (`val_loss`) after each epoch, all with their `step` — so the Run panel draws live
curves and the Compare panel overlays them — and finishes in a couple of seconds. Parameters come
from the command line.
"""
import argparse
import json
import os
import random
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learning-rate", type=float, default=0.01)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=8, help="report the batch loss every N steps")
    ap.add_argument("--epoch-pause", type=float, default=0.1,
                    help="seconds to wait after each epoch (as loading data would), so the curves grow visibly")
    ap.add_argument("--flaky-lr", type=float, default=None,
                    help="fail the first attempt (EXPCTL_ATTEMPT=1) when --learning-rate equals this")
    args = ap.parse_args()

    if args.flaky_lr is not None and args.learning_rate == args.flaky_lr and os.environ.get("EXPCTL_ATTEMPT") == "1":
        print("simulated transient failure: connection to rank 1 lost", file=sys.stderr, flush=True)
        sys.exit(3)

    rng = random.Random(args.seed)
    data = [(x, 3 * x + 1 + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(2048))]
    # Held out from another generator, so that the training data and its order stay as they were.
    vrng = random.Random(args.seed + 1)
    held_out = [(x, 3 * x + 1 + vrng.gauss(0, 0.1)) for x in (vrng.uniform(-1, 1) for _ in range(512))]
    w, b = 0.0, 0.0
    step = 0
    start = time.time()
    for epoch in range(args.epochs):
        rng.shuffle(data)
        for i in range(0, len(data), args.batch_size):
            batch = data[i:i + args.batch_size]
            if step % args.log_every == 0:
                train_loss = sum((w * x + b - y) ** 2 for x, y in batch) / len(batch)
                print("@expctl " + json.dumps({"step": step, "train_loss": train_loss}), flush=True)
            gw = sum(2 * (w * x + b - y) * x for x, y in batch) / len(batch)
            gb = sum(2 * (w * x + b - y) for x, y in batch) / len(batch)
            w -= args.learning_rate * gw
            b -= args.learning_rate * gb
            step += 1
        loss = sum((w * x + b - y) ** 2 for x, y in data) / len(data)
        val_loss = sum((w * x + b - y) ** 2 for x, y in held_out) / len(held_out)
        print("@expctl " + json.dumps({"step": step, "epoch": epoch, "loss": loss, "val_loss": val_loss}), flush=True)
        time.sleep(args.epoch_pause)
    print("@expctl " + json.dumps({"train_time_s": time.time() - start, "w": w, "b": b}), flush=True)


if __name__ == "__main__":
    main()
