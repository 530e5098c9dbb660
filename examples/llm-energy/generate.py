"""Stand-in for an LLM inference benchmark (one process per GPU under `accelerate launch`):
generates `batch_size × new_tokens` tokens with a model at a precision, and reports them with the
expctl metrics protocol. Replace `generate` with a real model call (transformers' `generate`) to
measure real models; energy comes from the GPUs' counters through expctl's telemetry either way.

Simulated: time per token grows with the model's size, shrinks with bf16/fp16 (vs no mixed
precision) and with the batch; the 13B model at batch 32 runs out of GPU memory, as it would on
a 40 GB card — expctl retries it with half the batch (on_oom) after a 2 s backoff.
"""
import argparse
import json
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--batch-size", type=int, required=True)
p.add_argument("--new-tokens", type=int, default=64)
a = p.parse_args()

# accelerate launch sets this from --mixed_precision (expctl passes launcher.mixed_precision).
precision = os.environ.get("ACCELERATE_MIXED_PRECISION", "no")
params_b = {"llama-1b": 1.2, "llama-7b": 6.7, "llama-13b": 13.0}[a.model]
if params_b > 10 and a.batch_size >= 32:
    print("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.50 GiB", file=sys.stderr)
    sys.exit(1)

speedup = {"no": 1.0, "fp16": 1.8, "bf16": 1.7, "fp8": 2.4}[precision]
tokens = a.batch_size * a.new_tokens
seconds = tokens * params_b * 2e-4 / speedup / (a.batch_size ** 0.5)
time.sleep(seconds)
print("@expctl " + json.dumps({"tokens": tokens, "tokens_per_s": round(tokens / seconds, 3), "latency_s": round(seconds, 4)}), flush=True)
