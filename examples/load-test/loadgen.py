"""Stand-in load generator for a serverless function: N requests at a given concurrency and input
size, against one of two schedulers. Replace `serve` with a real call (an HTTP request to your
endpoint) to test a real deployment; the reporting stays the same.

Reports, with the expctl metrics protocol (one JSON object per line after "@expctl "):
  latency_ms      once per successful request (a distribution: `--reduce all --percentiles 95`)
  requests, ok, failed, duration_s, throughput_rps, avg_ms   once at the end
The simulation is seeded by its parameters, so a re-run gives the same figures.
"""
import argparse
import json
import random

p = argparse.ArgumentParser()
p.add_argument("--mode", choices=["standard", "scale"], required=True)
p.add_argument("--scheduler", choices=["baseline", "ours"], required=True)
p.add_argument("--concurrency", type=int, required=True)
p.add_argument("--input-size", type=int, required=True)
p.add_argument("--requests", type=int, default=200)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

# The same request trace for both schedulers in a cell (the seed leaves the scheduler out), as when
# a recorded trace is replayed: a paired comparison then sees the scheduler, not the noise.
rng = random.Random(f"{a.mode}/{a.concurrency}/{a.input_size}/{a.seed}")
# Service time grows with the input; queueing grows with concurrency beyond the 8 warm instances
# (the "scale" mode adds instances as load grows, at a cold-start cost). Our scheduler places
# requests on warm instances with their data: 3% less service time, 8% less queueing.
ours = a.scheduler == "ours"
warm = 8 if a.mode == "standard" else max(8, a.concurrency)
service = (20 + a.input_size / 64) * (0.97 if ours else 1.0)
queue = max(0.0, a.concurrency / warm - 1) * service * (0.92 if ours else 1.0)
cold = 150 if a.mode == "scale" and a.concurrency > 8 else 0
timeout_ms = 2000

ok = failed = 0
busy_ms = 0.0
for i in range(a.requests):
    ms = rng.lognormvariate(0, 0.25) * (service + queue) + (cold if i < a.concurrency - 8 else 0)
    if ms > timeout_ms:
        failed += 1
        continue
    ok += 1
    busy_ms += ms
    print("@expctl " + json.dumps({"latency_ms": round(ms, 3)}))

duration_s = busy_ms / 1000 / a.concurrency if ok else 0.0
print("@expctl " + json.dumps({
    "requests": a.requests, "ok": ok, "failed": failed, "duration_s": round(duration_s, 6),
    "throughput_rps": round(ok / duration_s, 6) if duration_s else 0.0,
    "avg_ms": round(busy_ms / ok, 6) if ok else None,
}), flush=True)
