#!/usr/bin/env python3
"""A CPU-only, training-like script (standard library only) for expctl's quickstart.

It fits y = 3x + 1 with SGD on synthetic data, prints `@expctl {json}` metric lines that expctl
parses, and finishes in a couple of seconds. Parameters come from the command line.
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
    ap.add_argument("--flaky-lr", type=float, default=None,
                    help="fail the first attempt (EXPCTL_ATTEMPT=1) when --learning-rate equals this")
    args = ap.parse_args()

    if args.flaky_lr is not None and args.learning_rate == args.flaky_lr and os.environ.get("EXPCTL_ATTEMPT") == "1":
        print("simulated transient failure: connection to rank 1 lost", file=sys.stderr, flush=True)
        sys.exit(3)

    rng = random.Random(args.seed)
    data = [(x, 3 * x + 1 + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(2048))]
    w, b = 0.0, 0.0
    step = 0
    start = time.time()
    for epoch in range(args.epochs):
        rng.shuffle(data)
        for i in range(0, len(data), args.batch_size):
            batch = data[i:i + args.batch_size]
            gw = sum(2 * (w * x + b - y) * x for x, y in batch) / len(batch)
            gb = sum(2 * (w * x + b - y) for x, y in batch) / len(batch)
            w -= args.learning_rate * gw
            b -= args.learning_rate * gb
            step += 1
        loss = sum((w * x + b - y) ** 2 for x, y in data) / len(data)
        print("@expctl " + json.dumps({"step": step, "epoch": epoch, "loss": loss}), flush=True)
    print("@expctl " + json.dumps({"val_loss": loss, "train_time_s": time.time() - start, "w": w, "b": b}), flush=True)


if __name__ == "__main__":
    main()
