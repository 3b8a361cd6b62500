"""Bottom layer, importable by every other: errors, targets, cache, machine facts, array interop, the upstream-MLIR bridge."""
