"""hpcir.mdft_case: the MDFT reference port (NumPy) — physics, hot kernels, checks and the `hpcir mdft` CLI."""
