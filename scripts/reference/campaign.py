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
  gpu_efficiency      sum(exec s * GPUs * GPU Utilization / 100) / sum(exec s * GPUs), rows with a utilisation
  gpu_memory_utilization  GPU Memory Used MB / GPU Memory MB per row (both present, total != 0)
  transfer_share      sum(transfer s) / (sum(transfer s) + sum(exec s)), rows with a transfer time
  transfer_rate       sum(Total Bytes Received) / sum(transfer s), rows with both and transfer s > 0
  usage               requested vs used memory / CPUs / disk, rows with both: n, means, used > requested, used / requested
  job types           the job type rule of core/src/report/values.ts jobType, ported below
  daily               bytes received and sent, transfer hours per UTC day of Start Time (else Submit Time)

Usage (from the repository root):
  .cache/pyref/bin/python scripts/reference/campaign.py \
      [examples/campaign-report/job_summary.csv] [test/fixtures/report/campaign-reference.json]
"""
import json
import re
import sys

import numpy as np
import pandas as pd

SUCCESS = {"completed", "checkpointed"}
PENDING = {"queued", "running", "idle", "submitted", "pending"}


def rate(num, den):
    return float(num / den) if den > 0 else None


def dist(values) -> dict | None:
    a = values.dropna().to_numpy(dtype=float)
    if a.size == 0:
        return None
    return {
        "count": int(a.size), "min": float(a.min()), "mean": float(a.mean()),
        "median": float(np.quantile(a, 0.5, method="linear")), "p95": float(np.quantile(a, 0.95, method="linear")), "max": float(a.max()),
    }


EPOCH = re.compile(r"[-_.\s]?epoch[-_]?\d+", re.I)
COUNTER = re.compile(r"(^|[-_.\s])(?:run|seed|trial|fold|rep|repeat|iter|step|shard|part|chunk|job|node|r|s|e|ep)?\d+(?=$|[-_.\s])", re.I)
SQUEEZE = re.compile(r"([-_.\s])[-_.\s]+")
TRIM = re.compile(r"^[-_.\s]+|[-_.\s]+$")


def job_type(name: str) -> str:
    t = TRIM.sub("", SQUEEZE.sub(r"\1", COUNTER.sub(r"\1", EPOCH.sub("", name))))
    if t == "":
        t = TRIM.sub("", SQUEEZE.sub(r"\1", re.sub(r"\d+", "", name))) or name
    return t


def usage(req, used) -> dict | None:
    both = req.notna() & used.notna()
    if not both.any():
        return None
    r, u = req[both], used[both]
    pos = r > 0
    return {
        "attempts": int(both.sum()), "requested_mean": float(r.mean()), "used_mean": float(u.mean()),
        "over_request": int((u > r).sum()), "used_share": dist(u[pos] / r[pos]),
    }


def efficiency(d: pd.DataFrame) -> dict:
    util = d.util.notna()
    alloc = util & d.gpus.notna()
    exec0 = d.exec_s.fillna(0)
    transfer = d.transfer_s.notna()
    rated = transfer & (d.transfer_s > 0) & d.received.notna()
    mem_share = d.gpu_used.notna() & d.gpu_total.notna() & (d.gpu_total != 0)
    t_sum = d.transfer_s[transfer].sum()
    return {
        "gpu_utilization": dist(d.util),
        "gpu_efficiency": rate((exec0 * d.gpus * d.util / 100)[alloc].sum(), (exec0 * d.gpus)[alloc].sum()),
        "busy_gpu_hours": float((exec0 * d.gpus * d.util / 100)[alloc].sum() / 3600),
        "gpu_memory_used_mb": dist(d.gpu_used),
        "gpu_memory_utilization": dist((d.gpu_used / d.gpu_total)[mem_share]),
        "transfer_share": rate(t_sum, t_sum + exec0[transfer].sum()) if transfer.any() else None,
        "transfer_rate": rate(d.received[rated].sum(), d.transfer_s[rated].sum()),
        "usage": {
            "memory": usage(d.req_mem, d.used_mem),
            "cpus": usage(d.req_cpus, d.used_cpus),
            "disk": usage(d.req_disk, d.used_disk),
        },
    }


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
        **efficiency(d),
    }


def reference(src: str) -> dict:
    """Reads the CSV with pandas and computes the figures, overall and per resource."""
    text_cols = ["Job Name", "Final Status", "Targeted Resource", "GPU Device Name"]
    df = pd.read_csv(src, dtype={c: str for c in text_cols})
    num = lambda col: df[col].astype(float) if col in df else pd.Series(np.nan, index=df.index)  # noqa: E731
    when = pd.to_datetime(df["Start Time"], utc=True).fillna(pd.to_datetime(df["Submit Time"], utc=True))

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
        "gpus": df["Number of GPUs"].astype(float),
        "util": num("GPU Utilization (%)"),
        "gpu_used": num("GPU Memory Used MB"),
        "gpu_total": num("GPU Memory MB"),
        "req_mem": num("Request Memory MB"), "used_mem": num("Memory Usage MB"),
        "req_cpus": num("Request CPUs"), "used_cpus": num("CPUs Usage"),
        "req_disk": num("Request Disk MB"), "used_disk": num("Disk Usage MB"),
        "job_type": df["Job Name"].fillna("").str.strip().map(job_type),
        "day": when.dt.strftime("%Y-%m-%d"),
    })
    daily = d.assign(transfer_h=d.transfer_s.fillna(0) / 3600).dropna(subset=["day"]).groupby("day").agg(
        bytes_received=("received", "sum"), bytes_sent=("sent", "sum"), transfer_hours=("transfer_h", "sum"))
    return {
        "source": src,
        "generated_by": "scripts/reference/campaign.py",
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "rows": int(len(df)),
        "overall": figures(d),
        "resources": {res: figures(g) for res, g in d.groupby("resource", sort=True)},
        "job_types": {jt: {"attempts": int(len(g)), **efficiency(g)} for jt, g in d.groupby("job_type", sort=True)},
        "daily": {day: {k: float(v) for k, v in r.items()} for day, r in daily.iterrows()},
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
