"""IR of every differential kernel at every level: verified by xDSL and by upstream MLIR 22, and the
L3 text round-trips through hpcir's parser."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
from hpcir.api import build_module, lower_to_l3
from hpcir.dialects import context
from hpcir.frontends.python.policies import MDRangePolicy, TeamPolicy
from hpcir.frontends.python.signature import bind_launch
from hpcir.frontends.python.types import ViewType
from hpcir.dialects.upstream import verify_upstream
from hpcir.core.targets import get_target
from xdsl.parser import Parser

from kernel_cases import CASES, RNG_SEED, Case


def spec_for(case: Case, target: str):
    """The LaunchSpec of a case, with views in the target's memory space."""
    policy = case.policy(hpcir)
    shape, rank = ("team", 0) if isinstance(policy, TeamPolicy) else (
        ("mdrange", policy.rank) if isinstance(policy, MDRangePolicy) else ("range", 1))
    args = case.args(np.random.default_rng(RNG_SEED))
    spec, _ = bind_launch(hpcir.kernel(case.fn), case.kind, shape, rank, args, None, case.reducer or "sum")
    space = get_target(target).memory_space
    spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t for n, t in spec.param_types.items()}
    if isinstance(policy, MDRangePolicy) and policy.tile:
        spec.tile = policy.tile
    spec.name = case.name
    return spec


@pytest.mark.parametrize("target", ["cpu", "cuda", "hip"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ir_verifies_upstream_at_l2_and_l3(case: Case, target: str):
    l2 = build_module([spec_for(case, target)], target)
    l2.verify()
    verify_upstream(l2)
    l3 = lower_to_l3(l2.clone(), target)
    verify_upstream(l3)
    assert not any(op.name.startswith("scf.parallel") for op in l3.walk()), "L3 still has scf.parallel"
    assert any(op.name.startswith("kokkos.parallel_") for op in l3.walk())
    text = str(l3)
    reparsed = Parser(context(), text).parse_module()
    reparsed.verify()
    assert str(reparsed) == text


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_only_scans_and_team_policies_start_at_l3(target: str):
    from hpcir.pipeline import run_pipeline
    """Range/MDRange for and reduce kernels, a user's MDRange tile included, are L2 loops; the tile
    rides on the loop and convert-scf-to-kokkos gives it to the launch as the user's."""
    for case in CASES:
        spec = spec_for(case, target)
        l2 = build_module([spec], target)
        at_l3 = [op.name for op in l2.walk() if op.name.startswith("kokkos.parallel_")]
        if spec.kind == "scan" or spec.policy == "team":
            assert at_l3, case.name
            continue
        assert not at_l3, (case.name, at_l3)
        if spec.tile:
            par = next(op for op in l2.walk() if op.name == "scf.parallel")
            assert [a.value.data for a in par.attributes["kokkos.tile"].data] == list(spec.tile)
            converted = run_pipeline(l2, "kokkos-memory-spaces,convert-scf-to-kokkos")
            launch = next(op for op in converted.walk() if op.name.startswith("kokkos.parallel_"))
            assert "kokkos.user_tile" in launch.attributes and list(launch.policy.tile_sizes) == list(spec.tile)
