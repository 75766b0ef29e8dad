"""The wheel: the library and its figure scripts, no test support.

Builds the wheel with the project's build backend (hatchling, under a second), then checks what is
inside, and that an unpacked copy — no checkout in sight — loads every figure of ``slt-check report``
from the scripts it ships (``slt_check/_figures``, :data:`slt_check.experiments.plotting.SHIPPED_FIGURES`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from slt_check.experiments import plotting

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = ("slt_testing", "hypothesis", "strategies.py", "breaks.py")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    builders = pytest.importorskip("hatchling.builders.wheel", reason="the build backend (the test extra)")
    out = tmp_path_factory.mktemp("wheel")
    (path,) = builders.WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"])
    return Path(path)


def test_the_wheel_ships_every_figure_script_and_the_style(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    scripts = sorted(p.name for p in (ROOT / "plots").glob("fig_*.py"))
    assert scripts, "no plots/fig_*.py in the checkout"
    missing = [s for s in [*scripts, "slt.mplstyle"] if f"slt_check/_figures/{s}" not in names]
    assert not missing, f"add to [tool.hatch.build.targets.wheel.force-include] in pyproject.toml: {missing}"
    assert not any(n.startswith(("slt_check/_figures/data/", "slt_check/_figures/figures/")) for n in names)


def test_the_wheel_holds_the_library_and_no_test_support(wheel: Path) -> None:
    z = zipfile.ZipFile(wheel)
    names = set(z.namelist())
    library = {str(p.relative_to(ROOT)) for p in (ROOT / "slt_check").rglob("*.py")}
    assert library <= names, sorted(library - names)
    packaged = [n for n in names if n.endswith(".py") and n.startswith("slt_check/") and "/_figures/" not in n]
    leaks = [n for n in packaged if any(s in n for s in SUPPORT)]
    leaks += [n for n in packaged if b"import hypothesis" in z.read(n) or b"from hypothesis" in z.read(n)]
    assert not leaks, f"test support inside the installed package: {leaks}"


def test_an_installed_copy_loads_every_figure_without_a_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"  # not a checkout: no pyproject.toml, no plots/
    work.mkdir()
    code = (
        "import sys\n"
        "from slt_check.experiments import plotting as P\n"
        "assert P.__file__.startswith(sys.argv[1]), P.__file__\n"
        "assert not P.PLOTS_DIR.is_dir(), P.PLOTS_DIR\n"
        "assert P.STYLE == P.SHIPPED_FIGURES / 'slt.mplstyle', P.STYLE\n"
        "for name in P.FIGURES:\n"
        "    m = P.load_figure_module(name)\n"
        "    assert m.__file__.startswith(str(P.SHIPPED_FIGURES)), m.__file__\n"
        "    assert callable(m.compute) and callable(m.render) and callable(m.caption), name\n"
        "print('loaded', len(P.FIGURES))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SLT_CHECK_ROOT", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    res = subprocess.run([sys.executable, "-c", code, str(site)], cwd=work, env=env, capture_output=True,
                         text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"loaded {len(plotting.FIGURES)}" in res.stdout


def test_no_figure_scripts_anywhere_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(plotting, "PLOTS_DIR", tmp_path / "plots")
    monkeypatch.setattr(plotting, "SHIPPED_FIGURES", tmp_path / "_figures")
    with pytest.raises(ValueError, match="no figure scripts"):
        plotting.load_figure_module("width_vs_eps")
    (tmp_path / "_figures").mkdir()
    with pytest.raises(ValueError, match="no figure script fig_width_vs_eps.py"):
        plotting.load_figure_module("width_vs_eps")
