"""The encrypted store: files, keys, records, git plumbing, and checks of its soundness."""
