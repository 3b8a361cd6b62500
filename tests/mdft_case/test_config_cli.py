"""Configuration readers (TOML, MDFT dft.in/solute.in, Mini-MDFT JSON) and the `hpcir mdft` CLI."""
import json
import textwrap

import pytest

from hpcir.cli import main
from hpcir.mdft_case import config, validate
from hpcir.mdft_case.config import ConfigError

TOML = """
[system]
temperature = 300.0
box = [12.0, 12.0, 12.0]
nodes = [16, 16, 16]
mmax = 0
[solvent]
model = "lj"
[[solute.site]]
sigma = 3.0
epsilon = 1.0
position = [0.5, 0.0, 0.0]
[[solute.site]]
charge = 0.5
sigma = 2.0
epsilon = 0.3
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_toml_round_trip(tmp_path):
    cfg = config.load(write(tmp_path, "c.toml", TOML))
    assert cfg.box == (12.0, 12.0, 12.0) and cfg.nodes == (16, 16, 16) and cfg.mmax == 0
    assert [s.sigma for s in cfg.solute] == [3.0, 2.0] and cfg.solute[0].position == (0.5, 0.0, 0.0)
    assert cfg.solvent.density == pytest.approx(0.7 / 3.405 ** 3)
    assert cfg.cutoff == 12.0


@pytest.mark.parametrize("edit,needle", [
    (("box = [12.0, 12.0, 12.0]\n", ""), "box"),
    (('model = "lj"', 'model = "spce"'), "unknown solvent"),
    (("mmax = 0", "mmax = 2"), "no orientations"),
    # a typo must not run with the default value; the error names the file, the table and the key
    (('model = "lj"', 'model = "lj"\ndipol = 0.2'), "unknown key `dipol` in [solvent]"),
    (('model = "lj"', 'model = "lj"\ndipol = 0.2'), "did you mean `dipole`?"),
    (("mmax = 0", "mmax = 0\ntemprature = 300"), "unknown key `temprature` in [system]"),
    (("charge = 0.5", "charge = 0.5\nsigmaa = 1"), "unknown key `sigmaa` in [[solute.site]]"),
    (("[solvent]", "[solvant]"), "unknown key `solvant` in the top level"),
    # physically impossible values
    (('model = "lj"', 'model = "lj"\nsigma = -3.4'), "solvent sigma = -3.4 must be positive"),
    (('model = "lj"', 'model = "lj"\nepsilon = -1.0'), "solvent epsilon = -1.0 cannot be negative"),
    (('model = "lj"', 'model = "lj"\ndensity = 0.0'), "solvent density = 0.0 must be positive"),
    (("nodes = [16, 16, 16]", "nodes = [16, 0, 16]"), "nodes[1] = 0 must be positive"),
    (("box = [12.0, 12.0, 12.0]", "box = [12.0, -12.0, 12.0]"), "box[1] = -12.0 must be positive"),
    (("sigma = 2.0", "sigma = -2.0"), "solute site 2 has sigma = -2.0"),
])
def test_toml_errors_say_what_to_fix(tmp_path, edit, needle):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, "c.toml", TOML.replace(*edit)))
    assert needle in str(err.value) and "c.toml" in str(err.value)


def test_mdft_text_formats(tmp_path):
    write(tmp_path, "solute.in", """\
        # two sites
        2
        # index charge sigma epsilon lambda1 lambda2 x y z Zatomic Name Surname
        1  0.4 3.1 0.6  0 0  0.1 0.2 0.3  8 O O1
        2 -0.4 2.1 0.2  0 0  -1.0 0.0 0.0 1 H H1
        """)
    dft = write(tmp_path, "dft.in", """\
        boxnod = 24            # nodes
        boxlen = 15. 15. 15.
        mmax = 0
        temperature = 298.15
        solvent = lj
        solute_charges_scale_factor = 0.5
        maximum_iteration_nbr = 77
        """)
    cfg = config.load(dft)
    assert cfg.nodes == (24, 24, 24) and cfg.box == (15.0, 15.0, 15.0) and cfg.max_iter == 77
    assert cfg.solute[0].charge == pytest.approx(0.2) and cfg.solute[1].position == (-1.0, 0.0, 0.0)
    assert cfg.solute[0].sigma == 3.1 and cfg.solute[1].epsilon == 0.2


def test_mini_mdft_json(tmp_path):
    (tmp_path / "solute.json").write_text(json.dumps({"nsite": 1, "charge": [1.0], "sigma": [2.93], "epsilon": [0.759],
                                                      "x": [0.0], "y": [0.0], "z": [0.0]}))
    (tmp_path / "dft.json").write_text(json.dumps({"boxnod": [16, 16, 16], "boxlen": [12, 12, 12], "solvent": "lj",
                                                   "mmax": 0, "temperature": 298}))
    cfg = config.load(str(tmp_path / "dft.json"))
    assert cfg.solute[0].charge == 1.0 and cfg.temperature == 298.0


def test_cli_run_json(tmp_path, capsys):
    rc = main(["mdft", "run", write(tmp_path, "c.toml", TOML), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["converged"]
    for key in ("free_energy", "pc", "pc_plus", "delta_n", "evaluations", "seconds"):
        assert key in out
    assert out["delta_n"] < 0 and out["free_energy"] > 0


def test_cli_reports_config_errors(tmp_path, capsys):
    rc = main(["mdft", "run", write(tmp_path, "c.toml", TOML.replace("[system]", "[sys]"))])
    err = capsys.readouterr().err
    assert rc == 1 and "unknown key `sys` in the top level" in err and "did you mean `system`?" in err


def test_validate_exits_nonzero_on_failure(monkeypatch, capsys):
    rows = [validate.Row("fine", 1.0, 1.0, 0.0, 1e-9), validate.Row("broken", 2.0, 1.0, 1.0, 1e-9)]
    monkeypatch.setattr(validate, "CHECKS", [("fake", lambda: rows)])
    assert main(["mdft", "validate", "--quick"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "1/2 checks passed" in out
    monkeypatch.setattr(validate, "CHECKS", [("fake", lambda: rows[:1])])
    assert main(["mdft", "validate", "--quick"]) == 0
