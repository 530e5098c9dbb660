"""Placeholder for the training script run in the PyTorchJob (validated for existence only)."""
