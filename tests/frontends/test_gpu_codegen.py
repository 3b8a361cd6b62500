"""The cuda and hip outputs of every differential kernel compile with nvcc / hipcc against Kokkos
CUDA / HIP builds (compile only: these machines have no GPU). Skipped where a toolchain is absent;
.ci/setup_gpu_toolchains.sh installs both for CI."""
from __future__ import annotations

import pytest

from hpcir.api import build_module, emit_cpp, lower_to_l3
from hpcir.backends.build import compile_only
from hpcir.core.errors import KokkosNotFoundError
from hpcir.backends.toolchain.kokkos_install import find_kokkos
from hpcir.core.targets import get_target

from kernel_cases import CASES
from test_kernel_ir import spec_for


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_all_kernels_compile_for_gpu(target: str):
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    module = lower_to_l3(build_module([spec_for(c, target) for c in CASES], target), target)
    sources = emit_cpp(module, target, f"gpu_{target}")
    # The module runs in the target's execution space (HIP's spelling for Kokkos 3 / 4: the prelude's macro).
    exec_space = {"cuda": "Kokkos::Cuda", "hip": "HPCIR_HIP_EXEC"}[target]
    assert f"using exec_space = {exec_space};" in sources[f"gpu_{target}.hpp"]
    assert f"Kokkos::RangePolicy<{exec_space}, " in sources[f"gpu_{target}.cpp"]
    if target == "hip":
        assert "#define HPCIR_HIP_EXEC Kokkos::HIP\n" in sources["hpcir_prelude.hpp"]
    compile_only(sources, get_target(target), install)
