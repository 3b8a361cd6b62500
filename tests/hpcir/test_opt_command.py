"""`hpcir opt`: mlir-opt-like driver over the pass registry."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpcir.cli import main
from hpcir.dialects.upstream import verify_upstream

DATA = Path(__file__).parents[1] / "passes" / "data"


def test_list_passes(capsys):
    assert main(["opt", "--list-passes"]) == 0
    out = capsys.readouterr().out
    assert "convert-scf-to-kokkos" in out and "kokkos-layout" in out and "canonicalize" in out


def test_lowers_l2_file_to_l3(tmp_path, capsys):
    out_file = tmp_path / "out.mlir"
    rc = main(["opt", str(DATA / "l2_kernels.mlir"), "-p", "kokkos-memory-spaces,convert-scf-to-kokkos,kokkos-layout,cse",
               "--target", "cuda", "--dump-ir-after-all", "--verify-upstream", "-o", str(out_file)])
    assert rc == 0
    text = out_file.read_text()
    assert 'kokkos.parallel_for "axpy" #kokkos.range on <cuda>' in text
    assert 'kokkos.parallel_reduce "dot"' in text and "scf.parallel" not in text
    err = capsys.readouterr().err
    assert err.count("// -----// IR Dump After") == 4
    from xdsl.parser import Parser

    from hpcir.dialects import context
    verify_upstream(Parser(context(), text).parse_module())


def test_generic_output_and_stdin(monkeypatch, capsys):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO((DATA / "l2_kernels.mlir").read_text()))
    assert main(["opt", "-", "-p", "kokkos-set-target{target=cpu},convert-scf-to-kokkos", "--print-generic"]) == 0
    assert '"kokkos.parallel_for"' in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["opt", "missing.mlir"], "cannot read missing.mlir"),
    (["opt", str(DATA / "l2_kernels.mlir"), "-p", "nope"], "unknown pass 'nope'"),
    (["opt", str(DATA / "l2_kernels.mlir"), "--target", "fpga"], "unknown target 'fpga'"),
])
def test_errors_are_reported_not_raised(argv, message, capsys):
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_parse_error_names_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.mlir"
    bad.write_text("builtin.module {\n  func.func @f() {\n    %x = arith.constant : i32\n  }\n}\n")
    assert main(["opt", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.mlir:3" in err


def test_accepts_upstream_mlir_syntax(capsys):
    """scf.parallel in mlir-opt's custom syntax (which xDSL cannot parse) goes through the bridge."""
    assert main(["opt", str(DATA / "l2_upstream_syntax.mlir"), "-p", "kokkos-set-target{target=serial},kokkos-memory-spaces,convert-scf-to-kokkos"]) == 0
    assert 'kokkos.parallel_for "axpy" #kokkos.range on <serial>' in capsys.readouterr().out
