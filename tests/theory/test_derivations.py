"""Derivations as objects (theory/derivations): every step checks; every wrong step is caught;
the LaTeX appendix compiles; docs/derivations.md is up to date."""

import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp

from numerics.cli.commands.derivations import write_derivations
from theory.derivations import (
    Derivation,
    Identity,
    Inequality,
    all_derivations,
    get_derivation,
    latex_appendix,
)
from theory.derivations.docs import derivations_markdown

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"R1", "R1.sphere", "R2", "R2.C_delta", "R2.C_delta.sharp", "R3", "R4", "R4.ball",
            "lipsdp", "S4", "S1.normalization"}


def test_every_required_statement_has_a_derivation():
    keys = {d.key for d in all_derivations()}
    assert REQUIRED <= keys


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_every_step_checks(key):
    der = get_derivation(key)
    assert len(der.steps) >= 2
    assert der.check(rng=1) == []


def _wrong_versions(der: Derivation):
    """For each step, deliberately wrong versions: an identity's right side with a changed
    constant (times 3/2) and with a dropped term; an inequality claimed the other way round
    (caught unless the random instances were degenerate, which would make the check vacuous)."""
    for i, s in enumerate(der.steps):
        if isinstance(s, Identity):
            rhs = sp.sympify(s.rhs)
            yield i, der.with_step(i, rhs=sp.Rational(3, 2) * rhs if rhs != 0 else sp.Integer(1))
            if isinstance(rhs, sp.Add):
                yield i, der.with_step(i, rhs=rhs - rhs.args[0])
        else:
            yield i, der.with_step(i, relation="ge" if s.relation == "le" else "le")


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_every_wrong_step_is_caught(key):
    der = get_derivation(key)
    n_wrong = 0
    for i, wrong in _wrong_versions(der):
        failures = wrong.check(rng=2)
        assert [j for j, _ in failures] == [i], (key, i)
        n_wrong += 1
    assert n_wrong >= len(der.steps)


def test_a_wrong_constant_in_c_delta_is_caught():
    der = get_derivation("R2.C_delta")
    last = der.steps[-1]
    wrong = der.with_step(len(der.steps) - 1, rhs=last.rhs + 1)   # C_delta + 1
    assert wrong.check() and wrong.check()[0][0] == len(der.steps) - 1


def test_rendering_names_every_step():
    for der in all_derivations():
        tex = der.latex()
        assert tex.count(r"\intertext{Step") == len(der.steps)
        assert r"\begin{align*}" in tex and der.anchor in tex
        md = der.markdown()
        assert md.count("$$") == 2 * len(der.steps)
        for s in der.steps:
            if isinstance(s, Inequality):
                assert s.name in tex and s.name in md


def test_docs_derivations_md_is_up_to_date():
    assert (ROOT / "docs" / "derivations.md").read_text(encoding="utf-8") == \
        derivations_markdown(all_derivations())


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_appendix_compiles_without_overfull_boxes(tmp_path):
    result = write_derivations(tmp_path)
    assert result["compiled"] is True
    log = (tmp_path / "derivations.log").read_text(encoding="latin-1")
    assert [line for line in log.splitlines() if line.startswith(("Overfull", "! "))] == []
    text = subprocess.run(["pdftotext", str(tmp_path / "derivations.pdf"), "-"],
                          capture_output=True, check=True).stdout.decode()
    for der in all_derivations():
        assert der.title.split(":")[0].replace("$", "") in text


def test_cli_refuses_a_derivation_with_a_failing_step(monkeypatch, tmp_path):
    import theory.derivations as td

    bad = get_derivation("R3").with_step(0, rhs=sp.Integer(1))
    monkeypatch.setattr(td, "all_derivations", lambda: (bad,))
    with pytest.raises(ValueError, match="R3 step 1"):
        write_derivations(tmp_path)
    assert not (tmp_path / "derivations.tex").exists()


def test_appendix_is_a_complete_document():
    doc = latex_appendix(all_derivations())
    assert doc.startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")
    assert doc.count(r"\subsection{") == len(all_derivations())
