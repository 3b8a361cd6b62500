"""The GPU entries that run on the caller's stream (hpcir_NAME_stream, for as_jax / as_torch):
FileCheck over the C++ emitted for cuda and hip; host targets keep their entries unchanged."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kokkos_cpp_support import emit_kernels

# The stream becomes one cached instance, every launch of the entry runs on it, and nothing
# synchronises the device (no fence); the plain overload runs on the default instance.
CHECKS = r"""
// CHECK-LABEL: void axpy(const exec_space& space, int64_t b, int64_t e, double a,
// CHECK-NEXT:    const Kokkos::RangePolicy<[[EXEC:.+]], Kokkos::IndexType<int64_t>> axpy_policy(space, b, e);
// CHECK-NEXT:    Kokkos::parallel_for("axpy", axpy_policy, axpy_functor{{[{][^}]*[}]}});
// CHECK-NEXT:  }
// CHECK-EMPTY:
// CHECK-NEXT:  void axpy(int64_t b, int64_t e, double a,
// CHECK-NEXT:    axpy(exec_space(), b, e, a, x, y);
// CHECK-NEXT:  }
// CHECK-LABEL: double dot(const exec_space& space,
// CHECK:         dot_policy(space, b, e);
// CHECK-LABEL: extern "C" int hpcir_axpy_stream(void* stream, void** args, void* results, char* err, int errlen) {
// CHECK-NEXT:    return hpcir::guarded(err, errlen, [&] {
// CHECK-NEXT:      const auto space = hpcir::stream_instance<kk_test::exec_space>(stream);
// CHECK-NOT:       create_mirror_view_and_copy
// CHECK:           const auto y = hpcir::view_arg<kk_test::{{.+}}>(args[4], "y");
// CHECK-NEXT:      kk_test::axpy(space, b, e, a, x, y);
// CHECK-NEXT:    });
// CHECK-LABEL: extern "C" int hpcir_dot_stream(void* stream,
// CHECK:           const double r = kk_test::dot(space, b, e, x, y);
// CHECK-NEXT:      std::memcpy(results, &r, sizeof(r));
// CHECK-NEXT:    });
"""


def _filecheck() -> str:
    exe = Path(sys.executable).with_name("filecheck")
    if exe.exists():
        return str(exe)
    found = shutil.which("filecheck")
    if found is None:
        pytest.skip("filecheck (the PyPI FileCheck of the test extra) is not installed")
    return found


@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_gpu_entries_launch_on_the_callers_stream(tmp_path, target):
    cpp = emit_kernels(target, "device").files["kk_test.cpp"]
    checks = tmp_path / "checks.txt"
    checks.write_text(CHECKS)
    stream_part = cpp[cpp.index('extern "C" int hpcir_axpy_stream('):]
    assert "fence" not in stream_part[: stream_part.index("// Kokkos is initialized")]  # no device sync
    proc = subprocess.run([_filecheck(), str(checks)], input=cpp, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_host_entries_take_no_instance():
    em = emit_kernels("cpu")
    cpp = em.files["kk_test.cpp"]
    assert "_stream(" not in cpp and "stream_instance" not in cpp
    assert "void axpy(int64_t b, int64_t e, double a," in cpp and "exec_space& space" not in cpp
