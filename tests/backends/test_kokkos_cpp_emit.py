"""Kokkos C++ emitter without a compiler: target spellings, policies, reducers, literals, errors."""
from __future__ import annotations

import re
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects.builtin import f32, f64, i1, i32, i64
from xdsl.parser import Parser

from hpcir.backends.kokkos_cpp import emit_module
from hpcir.backends.kokkos_cpp.expr import literal
from hpcir.dialects import context
from hpcir.core.errors import PolicyError, UnsupportedOpError

from kokkos_cpp_support import emit_kernels


def parse(text: str):
    m = Parser(context(), text).parse_module()
    m.verify()
    return m


@pytest.fixture(scope="module")
def cpu():
    return emit_kernels("cpu")


@pytest.mark.parametrize("target,exec_space", [("cpu", "Kokkos::OpenMP"), ("serial", "Kokkos::Serial"),
                                               ("cuda", "Kokkos::Cuda"), ("hip", "HPCIR_HIP_EXEC")])
def test_target_spaces_and_portability(target, exec_space):
    em = emit_kernels(target, "device" if target in ("cuda", "hip") else "host")
    hpp, cpp = em.files["kk_test.hpp"], em.files["kk_test.cpp"]
    assert f"using exec_space = {exec_space};" in hpp
    for text in (hpp, cpp):
        # Named functors only (nvcc needs no extended lambdas) and no API that moved between 3.4 and 4.x
        # outside the version-guarded prelude aliases.
        assert "KOKKOS_LAMBDA" not in text
        unguarded = re.sub(r"#if KOKKOS_VERSION >= (30700|40000)\n.*?#endif", "", text, flags=re.S)
        assert "Experimental::" not in unguarded
    if target == "hip":
        assert "Kokkos::Experimental::HIPSpace" in hpp and "Kokkos::HIPSpace" in hpp
    assert ("create_mirror_view_and_copy" in cpp) == (target in ("cuda", "hip"))


def test_device_targets_copy_back_only_written_views():
    cpp = emit_kernels("cuda", "device").files["kk_test.cpp"]
    axpy = cpp[cpp.index('extern "C" int hpcir_axpy('):]
    axpy = axpy[: axpy.index("\n}\n")]
    assert "Kokkos::deep_copy(a4_h, a4);" in axpy  # y is written
    assert "deep_copy(a3_h" not in axpy  # x is only read
    assert "create_mirror_view_and_copy(kk_test::device_space(), a3_h)" in axpy
    device = cpp[cpp.index('extern "C" int hpcir_axpy_device('):]
    assert "create_mirror_view_and_copy" not in device[: device.index("\n}\n")]  # device pointers: no copies
    host = emit_kernels("cuda", "host").files["kk_test.cpp"]
    assert "create_mirror_view_and_copy" not in host and "hpcir_axpy_device" not in host


def test_policies(cpu):
    cpp = cpu.files["kk_test.cpp"]
    assert ("Kokkos::MDRangePolicy<exec_space, Kokkos::Rank<3, Kokkos::Iterate::Right, Kokkos::Iterate::Right>, "
            "Kokkos::IndexType<int64_t>>") in cpp
    assert "{int64_t(2), int64_t(4), int64_t(8)}" in cpp
    assert "Kokkos::Rank<2, Kokkos::Iterate::Left, Kokkos::Iterate::Left>" in cpp
    assert "Kokkos::RangePolicy<exec_space, Kokkos::IndexType<int64_t>>" in cpp
    assert "hpcir::team_policy<Kokkos::TeamPolicy<exec_space>>(league, ts, vl, \"rowsum2\")" in cpp
    assert re.search(r"set_scratch_size\(0, Kokkos::PerTeam\(Kokkos::View<double\*, Kokkos::LayoutRight, "
                     r"rowsum2_functor::scratch_space, Kokkos::MemoryUnmanaged>::shmem_size\(n\)\)\)", cpp)
    assert "Kokkos::ThreadVectorRange(" in cpp and "Kokkos::single(Kokkos::PerThread(" in cpp


def test_reducers(cpu):
    cpp = cpu.files["kk_test.cpp"]
    assert "Kokkos::Sum<double>(dot_result)" in cpp
    assert "Kokkos::BAnd<int64_t>" in cpp and "Kokkos::BOr<int32_t>" in cpp
    assert "struct stats_reducer" in cpp and "struct argmax_reducer" in cpp
    # Kokkos 3 needs volatile joins, Kokkos 4 removed them: guarded by version.
    assert cpp.count("#if KOKKOS_VERSION < 40000") >= 4
    # A non-identity init of a built-in reducer is folded in once after the launch.
    assert "(init + sum_init_result)" in cpp
    # Scans: a runtime init shifts the prefix; a max scan gets functor init/join.
    assert "const double prefix = update + init;" in cpp
    assert re.search(r"struct runmax_functor \{.*void init\(value_type& v\) const \{ v = int64_t\(-1000000000LL\); \}",
                     cpp, re.S)


def test_c_abi_and_manifest(cpu):
    cpp = cpu.files["kk_test.cpp"]
    for name in cpu.entries:
        assert f'extern "C" int hpcir_{name}(void** args, void* results, char* err, int errlen)' in cpp
    assert 'extern "C" int hpcir_initialize(int num_threads)' in cpp
    assert "Kokkos::is_initialized()" in cpp
    assert 'extern "C" const char* hpcir_manifest(void)' in cpp
    stats = cpu.entries["stats"]
    assert stats.results == ["float64"] * 4
    assert "std::memcpy(static_cast<char*>(results) + 24, &r.r3, sizeof(r.r3));" in cpp
    assert cpu.entries["cumsum"].kind == "scan" and cpu.entries["prog"].kind == "host_program"
    assert [p.layout for p in cpu.entries["sq_strided"].params[-2:]] == ["stride", "right"]
    assert [p.layout for p in cpu.entries["affine_left"].params[-2:]] == ["left", "left"]


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_double_literals_round_trip(x):
    text = literal(x, f64)
    assert float(text) == x and (text.startswith("-") == (struct.pack(">d", x)[0] >= 0x80))


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_float_literals_round_trip(x):
    text = literal(x, f32)
    assert text.endswith("f") and np.float32(text[:-1]) == np.float32(x)


@given(st.integers(-(2**63), 2**63 - 1))
def test_int_literals(v):
    text = literal(v, i64)
    if v == -(2**63):
        assert text == "(-9223372036854775807LL - 1)"
    else:
        assert text == f"int64_t({v}LL)"


def test_special_literals():
    assert literal(float("inf"), f64) == "hpcir::bit_cast<double>(int64_t(9218868437227405312))"
    assert literal(float("nan"), f32).startswith("hpcir::bit_cast<float>(int32_t(")
    assert literal(1, i1) == "true" and literal(-1, i1) == "true" and literal(0, i1) == "false"
    assert literal(2**32 - 1, i32) == "int32_t(-1)"  # signless constants wrap to two's complement


HEAD = "!v = memref<?xf64, #kokkos.space<host>>\n"


def _kernel(body: str, policy: str = "#kokkos.range", bounds: str = "%lo, %hi", arg: str = "%i: index") -> str:
    return HEAD + f"""builtin.module {{
  func.func @k(%lo: index, %hi: index, %x: !v) attributes {{kokkos.entry = #kokkos.entry<for>}} {{
    kokkos.parallel_for "k" {policy} on <default>({bounds}) {{
    ^bb0({arg}):
{body}
      kokkos.yield
    }}
    func.return
  }}
}}"""


def test_launch_inside_kernel_is_rejected():
    inner = """      kokkos.parallel_for "inner" #kokkos.range on <default>(%lo, %hi) {
      ^bb0(%j: index):
        kokkos.yield
      }"""
    with pytest.raises(UnsupportedOpError, match="inside a kernel body"):
        emit_module(parse(_kernel(inner)), "bad")


def test_print_inside_kernel_is_rejected():
    with pytest.raises(UnsupportedOpError, match="kokkos.print inside a kernel"):
        emit_module(parse(_kernel('      kokkos.print "i = {}"(%i : index)')), "bad")


def test_unknown_op_names_the_op():
    body = "      %t = tensor.empty() : tensor<4xf64>"
    with pytest.raises(UnsupportedOpError, match="'tensor.empty'"):
        emit_module(parse(_kernel(body)), "bad")


def test_scratch_sized_inside_the_team_needs_scratch_bytes():
    body = """      %r = kokkos.league_rank %m
      %s = kokkos.scratch_alloc %m(%r) level 0 : memref<?xf64, #kokkos.space<scratch>>"""
    text = _kernel(body, "#kokkos.team<scratch_bytes = 0>", "%lo, %hi, %hi", "%m: !kokkos.team_member")
    with pytest.raises(PolicyError, match="scratch_bytes"):
        emit_module(parse(text), "bad")
    ok = emit_module(parse(text.replace("scratch_bytes = 0", "scratch_bytes = 4096")), "ok")
    assert "set_scratch_size(0, Kokkos::PerTeam(4096))" in ok.files["ok.cpp"]


def test_unsupported_print_spec():
    text = HEAD + """builtin.module {
  func.func @p(%x: f64) attributes {kokkos.host_program} {
    kokkos.print "{:>10}"(%x : f64)
    func.return
  }
}"""
    with pytest.raises(UnsupportedOpError, match="format spec"):
        emit_module(parse(text), "bad")


def test_main_only_for_an_argument_free_host_program(cpu):
    assert "kk_test_main.cpp" not in cpu.files  # prog takes an argument
    text = HEAD + """builtin.module {
  func.func @run() attributes {kokkos.host_program} {
    func.return
  }
}"""
    files = emit_module(parse(text), "app").files
    assert "run();" in files["app_main.cpp"] and "Kokkos::initialize(argc, argv);" in files["app_main.cpp"]


SLOT = HEAD + """builtin.module {
  func.func @k(%lo: index, %hi: index, %x: !v) attributes {kokkos.entry = #kokkos.entry<for>} {
    %slot = memref.alloca() : memref<f64>
    %two = arith.constant 2.0 : f64
    memref.store %two, %slot[] : memref<f64>
    kokkos.parallel_for "k" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %s = memref.load %slot[] : memref<f64>
      memref.store %s, %x[%i] : !v
      BODY
      kokkos.yield
    }
    func.return
  }
}"""


def test_host_scalar_slots_are_captured_by_value():
    from hpcir.backends.kokkos_cpp.context import ModuleState
    if "scalar_slots" not in ModuleState.__dataclass_fields__:
        pytest.skip("rank-0 allocas are not emitted as scalar slots")
    cpp = emit_module(parse(SLOT.replace("BODY", "")), "slot").files["slot.cpp"]
    assert re.search(r"struct k_functor \{[^}]*\n  double slot;", cpp)
    with pytest.raises(UnsupportedOpError, match="assigns a variable of the enclosing host code"):
        emit_module(parse(SLOT.replace("BODY", "memref.store %s, %slot[] : memref<f64>")), "bad")
