"""Fictional stores for training, tests and the benchmark."""
