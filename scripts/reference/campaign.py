#!/usr/bin/env python3
"""Per-resource campaign figures computed with pandas, as the reference for core/src/report.

The same definitions as core/src/report/compute.ts, written the way a pandas user would:
  hours               sum of Execution Duration (seconds) / 3600
  gpu_hours           sum of Execution Duration (seconds) * Number of GPUs / 3600
  successful          Final Status (stripped, lowercased) in {completed, checkpointed};
                      pending: {queued, running, idle, submitted, pending}; anything else unsuccessful
  success_rate        successful hours / (successful + unsuccessful hours)
  attempt_success_rate successful attempts / (successful + unsuccessful attempts)
  epochs              sum of Epochs Completed over successful attempts
  transfer_input      Transfer Input Duration (seconds): count, mean, median, p95 (numpy 'linear'), max

Usage (from the repository root):
  .cache/pyref/bin/python scripts/reference/campaign.py \
      [examples/campaign-report/job_summary.csv] [test/fixtures/report/campaign-reference.json]
"""
import json
import sys

import numpy as np
import pandas as pd

SUCCESS = {"completed", "checkpointed"}
PENDING = {"queued", "running", "idle", "submitted", "pending"}


def rate(num, den):
    return float(num / den) if den > 0 else None


def figures(d: pd.DataFrame) -> dict:
    succ = d[d.outcome == "success"]
    fail = d[d.outcome == "failure"]
    succ_h = succ.exec_s.sum() / 3600
    fail_h = fail.exec_s.sum() / 3600
    mix = d.groupby("device", sort=True).agg(
        attempts=("exec_s", "size"), exec_s=("exec_s", "sum"), gpu_s=("gpu_s", "sum"))
    transfer = d.transfer_s.dropna().to_numpy(dtype=float)
    return {
        "attempts": int(len(d)),
        "successful_attempts": int(len(succ)),
        "unsuccessful_attempts": int(len(fail)),
        "epochs": float(succ.epochs.sum()),
        "hours": float(d.exec_s.sum() / 3600),
        "successful_hours": float(succ_h),
        "unsuccessful_hours": float(fail_h),
        "gpu_hours": float(d.gpu_s.sum() / 3600),
        "success_rate": rate(succ_h, succ_h + fail_h),
        "attempt_success_rate": rate(len(succ), len(succ) + len(fail)),
        "bytes_sent": float(d.sent.sum()),
        "bytes_received": float(d.received.sum()),
        "status_counts": {k: int(v) for k, v in d.status.value_counts().sort_index().items()},
        "gpu_mix": {
            dev: {"attempts": int(r.attempts), "hours": float(r.exec_s / 3600), "gpu_hours": float(r.gpu_s / 3600)}
            for dev, r in mix.iterrows()
        },
        "transfer_input": None if transfer.size == 0 else {
            "count": int(transfer.size),
            "mean": float(transfer.mean()),
            "median": float(np.quantile(transfer, 0.5, method="linear")),
            "p95": float(np.quantile(transfer, 0.95, method="linear")),
            "max": float(transfer.max()),
        },
    }


def reference(src: str) -> dict:
    """Reads the CSV with pandas and computes the figures, overall and per resource."""
    text_cols = ["Job Name", "Final Status", "Targeted Resource", "GPU Device Name"]
    df = pd.read_csv(src, dtype={c: str for c in text_cols})

    status = df["Final Status"].fillna("").str.strip().str.lower().replace("", "unknown")
    d = pd.DataFrame({
        "resource": df["Targeted Resource"].fillna("").str.strip().replace("", "(unknown)"),
        "status": status,
        "outcome": np.where(status.isin(SUCCESS), "success", np.where(status.isin(PENDING), "pending", "failure")),
        "exec_s": df["Execution Duration (seconds)"].astype(float),
        "gpu_s": df["Execution Duration (seconds)"].astype(float) * df["Number of GPUs"].astype(float),
        "epochs": df["Epochs Completed"].astype(float),
        "sent": df["Total Bytes Sent"].astype(float),
        "received": df["Total Bytes Received"].astype(float),
        "device": df["GPU Device Name"].fillna("").str.strip().replace("", "(none)"),
        "transfer_s": df["Transfer Input Duration (seconds)"].astype(float),
    })
    return {
        "source": src,
        "generated_by": "scripts/reference/campaign.py",
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "rows": int(len(df)),
        "overall": figures(d),
        "resources": {res: figures(g) for res, g in d.groupby("resource", sort=True)},
    }


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else "examples/campaign-report/job_summary.csv"
    out = sys.argv[2] if len(sys.argv) > 2 else "test/fixtures/report/campaign-reference.json"
    result = reference(src)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"{out}: {len(result['resources'])} resources, {result['rows']} rows")


if __name__ == "__main__":
    main()
