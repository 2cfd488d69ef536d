"""LaTeX rendering (theory/latex.py), including a pdflatex compile when available."""

import re
import shutil
import subprocess

import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory.bounds import Bound, all_bounds, n, register
from theory.bounds import core as tb
from theory.latex import (
    Raw,
    bounds_table,
    escape,
    format_cell,
    regimes_table,
    render_table,
    standalone_document,
    text_with_math,
)
from theory.symbols import latex as sym_latex

BARE = re.compile(r"(?<!\\)[&%$#_]")


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
@example("\\&%$#_{}~^")
def test_escape_leaves_no_bare_specials(s):
    out = escape(s)
    assert not BARE.search(out)
    # braces only appear escaped or as the {} of \textbackslash{} etc.
    assert not re.search(r"(?<![\\}a-z]){|(?<![\\{])}", out.replace("{}", ""))


def test_escape_and_math():
    assert escape("a_b") == r"a\_b"
    assert text_with_math(r"x_1 and $x_1^2$") == r"x\_1 and $x_1^2$"
    with pytest.raises(ValueError, match="text"):
        text_with_math("one $ dollar")
    with pytest.raises(ValueError, match="text"):
        escape(3)


def test_format_cell():
    assert format_cell(float("nan")) == "--"
    assert format_cell(float("inf")) == r"$\infty$"
    assert format_cell(Raw(r"\alpha")) == r"\alpha"
    assert format_cell(1.23456, "{:.2f}") == "1.23"
    with pytest.raises(ValueError, match="value"):
        format_cell(object())


def test_render_table_shapes_and_errors():
    tex = render_table([[1, 2.5], {"a": 3, "b": None}][:1] + [[3, None]], ["a", "b"],
                       caption="c_1 & $x$", label="tab:x")
    assert tex.count(r"\\") == 3
    assert r"\caption{c\_1 \& $x$}" in tex
    assert "--" in tex
    with pytest.raises(ValueError, match="rows"):
        render_table([[1]], ["a", "b"], "c", "tab:x")
    with pytest.raises(ValueError, match="rows"):
        render_table([{"a": 1}], ["a", "b"], "c", "tab:x")
    with pytest.raises(ValueError, match="label"):
        render_table([], ["a"], "c", "bad label!")
    with pytest.raises(ValueError, match="columns"):
        render_table([], [], "c", "tab:x")
    with pytest.raises(ValueError, match="size"):
        render_table([], ["a"], "c", "tab:x", size="\\huge")
    with pytest.raises(ValueError, match="inputs"):
        standalone_document(["a b.tex"])


def test_tables_render_every_registered_bound(monkeypatch):
    all_bounds()  # import every theory module first, so the test bound comes last
    monkeypatch.setattr(tb, "_REGISTRY", dict(tb._REGISTRY))
    register(Bound(key="ZZ.test", name="A test bound with 100% & _", statement="s",
                   quantity=r"\mathrm{Lip}(f)", expr=sp.sqrt(n), status="heuristic",
                   relation="approx", anchor="notation",
                   regimes={"linear": {}}))
    bounds = all_bounds()
    tex = bounds_table(bounds)
    for b in bounds:
        assert escape(b.key) in tex
    assert r"100\% \& \_" in tex
    reg = regimes_table(bounds)
    assert "ZZ.test" in reg
    test_bound = next(b for b in bounds if b.key == "ZZ.test")
    assert sym_latex(test_bound.regime("linear").leading) in reg


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine")
def test_tables_compile_with_pdflatex(tmp_path):
    bounds = all_bounds()
    (tmp_path / "bounds.tex").write_text(bounds_table(bounds))
    (tmp_path / "regimes.tex").write_text(regimes_table(bounds))
    (tmp_path / "results.tex").write_text(render_table(
        [{"name": "odd_name & 50%", "v": 1.5, "x": sp.sqrt(2)}],
        [("name", "Name"), ("v", "$v$"), ("x", "x")], "Escaping check", "tab:esc"))
    (tmp_path / "tables.tex").write_text(
        standalone_document(["bounds.tex", "regimes.tex", "results.tex"]))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "tables.tex"], cwd=tmp_path, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stdout.decode("latin-1")[-3000:]
    assert (tmp_path / "tables.pdf").stat().st_size > 0


# -- one precision rule, siunitx columns, long tables -------------------------------------
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda v: v != 0))
@example(1.1e2)
@example(1.52e3)
@example(6e-6)
@example(-0.000123456)
def test_format_number_never_uses_e_notation_and_keeps_four_figures(v):
    from theory.latex import format_number

    s = format_number(v)
    assert not re.search(r"\de[+-]?\d", s)
    if "times" in s:
        mant, e = re.fullmatch(r"\$(-?[\d.]+)\\times 10\^\{(-?\d+)\}\$", s).groups()
        back = float(mant) * 10.0 ** int(e)
    else:
        back = float(s)
    assert abs(back - v) <= 5e-4 * abs(v) + 1e-300


def test_measured_values_round_to_the_uncertainty():
    from theory.latex import Measured

    assert str(Measured(1.23456, 0.0345)) == r"1.23 \pm 0.03"
    assert str(Measured(1.23456, 0.0145)) == r"1.235 \pm 0.015"
    assert str(Measured(152.3, 14.2)) == r"152 \pm 14"
    assert str(Measured(17.26, 1.4)) == r"17.3 \pm 1.4"
    with pytest.raises(ValueError, match="err"):
        Measured(1.0, -0.1)


def test_numeric_columns_become_decimal_aligned_s_columns():
    from theory.latex import Measured

    tex = render_table([{"a": 1.5, "b": "x", "m": Measured(2.0, 0.31)},
                        {"a": 12.25, "b": "y", "m": None}],
                       [("a", "$a$"), ("b", "b"), ("m", "m")], caption="c", label="t:x",
                       align="rlr")
    assert r"S[table-format=2.2]" in tex and "l" in tex
    assert "S[table-format=1.1(1),separate-uncertainty" in tex
    assert "{$a$}" in tex and "2.0 +- 0.3" in tex and "{--}" in tex


def test_long_tables_repeat_the_header_and_keep_one_label():
    tex = render_table([[i] for i in range(3)], [("i", "$i$")], caption="c", label="t:long",
                       long=True)
    assert tex.count(r"\label{t:long}") == 1 and r"\endhead" in tex and r"\endfirsthead" in tex
    assert r"\resizebox" not in tex and r"\sbox" not in tex


def test_bounds_tables_split_by_status():
    tex = bounds_table(all_bounds())
    for status in ("proved", "cited", "heuristic"):
        assert rf"\label{{tab:bounds:{status}}}" in tex
    assert r"\resizebox" not in tex and "<=" not in tex
