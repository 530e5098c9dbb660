"""Placeholder for the user's accelerate training script (validated for existence only)."""
