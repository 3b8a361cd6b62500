"""Do the generated JAX / Torch programs of kernels_jax_torch.py compile to the same code as the
hand-written ones? Timing ratios on a loaded machine wander by +-40 %; this settles whether a
deviation is the code or the machine. For each kernel: XLA's optimized HLO (computations, names
and metadata aside) and Inductor's C++ kernels and wrapper `call` (buffer names aside), generated
vs hand-written.

    python benchmarks/kernels_jax_torch_code.py [--small]
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernels_jax_torch import hand_jax, hand_torch, ideal_fe, jacobi7, triad  # noqa: E402

import hpcir  # noqa: E402


def hlo(text: str) -> list[str]:
    """Optimized HLO computations without names' numbering, metadata and the module's tables."""
    text = text.split("FileNames")[0]
    text = re.sub(r", metadata=\{[^}]*\}", "", text)
    text = re.sub(r"\.\d+\b", "", text)
    text = re.sub(r"HloModule \S+.*", "", text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def inductor(code: list[str]) -> list[str]:
    """Inductor's C++ kernels and the wrapper's call(), buffer, argument and kernel names aside (a
    kernel's name lists the aten ops it fused, which differ with how the code was spelled)."""
    src = "\n".join(code)
    kernels = [re.sub(r"\s+", " ", k) for k in re.findall(r"= async_compile\.cpp_pybinding\((.*?)'''\)", src, re.S)]
    start = src.index("def call(")
    call = [re.sub(r"buf\d+|arg\d+_\d+", "X", re.sub(r"cpp_fused_\w+", "KERNEL", line.strip()))
            for line in src[start:src.index("\n\n", start)].splitlines()]
    # the hand-written triad / Jacobi return the buffer they wrote; the generated code returns nothing
    call = [line for line in call if not line.startswith(("return", "del X"))]
    return kernels + call


def cases(small: bool):
    """(name, kernel, policy, NumPy arguments) of the three benchmark kernels."""
    rng = np.random.default_rng(0)
    n, m, k = (2 ** 12, 12, 10) if small else (2 ** 22, 128, 96)
    yield "triad", triad, n, dict(s=3.0, a=np.zeros(n), b=rng.random(n), c=rng.random(n)), n
    yield "jacobi7", jacobi7, hpcir.MDRangePolicy([1] * 3, [m - 1] * 3), dict(u=rng.random((m, m, m)),
                                                                            out=np.zeros((m, m, m))), m
    yield "ideal_fe", ideal_fe, hpcir.MDRangePolicy([0] * 3, [k] * 3), dict(w=0.01, rho=rng.uniform(0.2, 2, (k,) * 3)), k


def compare(name: str, gen: list[str], hand: list[str]) -> bool:
    same = gen == hand
    print(f"  {name}: {'identical' if same else 'DIFFERENT'}")
    if not same:
        print("\n".join(list(difflib.unified_diff(gen, hand, "generated", "hand-written", lineterm=""))[:40]))
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true")
    args = ap.parse_args()
    import jax
    import torch
    from torch._inductor.utils import run_and_get_code
    jax.config.update("jax_enable_x64", True)
    ok = True
    for name, kern, policy, arrays, size in cases(args.small):
        keys = list(arrays)
        ja = [jax.device_put(v) if isinstance(v, np.ndarray) else v for v in arrays.values()]
        ta = [torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for v in arrays.values()]
        gj, gt = hpcir.compile(kern, target="jax"), hpcir.compile(kern, target="torch")
        gen_j = jax.jit(lambda *vals: gj(policy, **dict(zip(keys, vals))))  # noqa: B023 (used at once)
        hand_args = {"triad": [0, 2, 3], "jacobi7": [0, 1], "ideal_fe": [0, 1]}[name]
        print(name)
        ok &= compare("XLA HLO", hlo(gen_j.lower(*ja).compile().as_text()),
                      hlo(hand_jax(name, size).lower(*[ja[i] for i in hand_args]).compile().as_text()))
        _, gen_code = run_and_get_code(torch.compile(lambda *vals: gt(policy, **dict(zip(keys, vals)))),  # noqa: B023
                                       *[t.clone() if isinstance(t, torch.Tensor) else t for t in ta])
        hand_t = [t.clone() if isinstance(t, torch.Tensor) else t for t in ta]
        _, hand_code = run_and_get_code(hand_torch(name, size), *hand_t)
        ok &= compare("Inductor", inductor(gen_code), inductor(hand_code))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
