"""The generated LaTeX typesets: compile ``all_tables.tex``, read the log and the PDF.

Fails on ``Float too large``, on any overfull box, on any registered bound whose key is
missing from the PDF's text (``pdftotext``, poppler-utils), and on a forbidden pattern in
any generated ``.tex`` (code-level subscripts such as ``n_{minus}``, ``<=``/``>=``,
e-notation, resize wrappers).

The document is built from ``robustlaw tables`` plus every other table fragment of the
directory named by ``ROBUSTLAW_REPRODUCE_DIR`` (the output of ``robustlaw reproduce``),
when that variable is set; CI sets it after running ``reproduce``. Without pdflatex the
compile tests are skipped; the pattern tests always run.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from numerics.cli.commands.tables import write_tables
from theory.bounds import all_bounds
from theory.latex import Measured, render_table, standalone_document

#: Patterns no generated .tex may contain, with what each catches.
FORBIDDEN = {
    "code-level subscript": re.compile(
        r"_\{(?:minus|plus|op|dist|inf|iso|params|diam|min|max|width|pieces|univ)\}"),
    "code-level symbol name": re.compile(r"\b(?:n_plus|n_minus|X_op|M_op|P_dist|x_inf|c_iso|"
                                         r"n_params|W_diam|E_min|ybar)\b"),
    "ASCII relation": re.compile(r"<=|>=|!="),
    "e-notation": re.compile(r"(?<![A-Za-z\\])\d(?:\.\d+)?[eE][+-]?\d+\b"),
    "resize wrapper": re.compile(r"\\resizebox|\\sbox|\\scalebox"),
    "double escape": re.compile(r"\\\\[%&#_]"),
}
HAVE_TEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None


def forbidden_hits(tex: str) -> list[tuple[str, str]]:
    """``(what, match)`` for every forbidden pattern in ``tex`` (comments ignored)."""
    text = "\n".join(line.split("%")[0] if not re.search(r"\\%", line) else line
                     for line in tex.splitlines())
    return [(what, m.group(0)) for what, pat in FORBIDDEN.items() for m in pat.finditer(text)]


def log_problems(log: str) -> list[str]:
    """The lines of a pdflatex log that report a float too large or an overfull box."""
    return [line for line in log.splitlines()
            if "Float too large" in line or line.startswith(("Overfull", "! "))]


def _sample_fragment() -> str:
    """A results table of the kind experiments write: integers, reals across scales,
    measured means with standard errors, missing cells."""
    rows = [{"n": 64, "lip": 1.23456, "big": 1520.0, "small": 0.00123, "m": Measured(2.345, 0.12)},
            {"n": 1024, "lip": 12.5, "big": 110.0, "small": None, "m": Measured(17.2, 1.4)}]
    return render_table(rows, [("n", "$n$"), ("lip", r"$\mathrm{Lip}$"), ("big", "big"),
                               ("small", "small"), ("m", r"mean $\pm$ s.e.")],
                        caption=r"Sample: $n$ points; Lip the certified constant; big and small "
                                r"two scales; mean $\pm$ standard error over 5 seeds.",
                        label="tab:sample", align="rrrrr")


@pytest.fixture(scope="module")
def tables_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tables")
    files = write_tables(out)
    (out / "sample.tex").write_text(_sample_fragment(), encoding="utf-8")
    fragments = [f.name for f in files if f.name != "tables.tex"] + ["sample.tex"]
    extra = os.environ.get("ROBUSTLAW_REPRODUCE_DIR")
    if extra:
        root = Path(extra)
        for f in sorted(root.rglob("*.tex")):
            if "\\documentclass" not in f.read_text(encoding="utf-8"):
                dest = out / "reproduce" / f.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, dest)
                fragments.append(dest.relative_to(out).as_posix())
    (out / "all_tables.tex").write_text(standalone_document(fragments, title="all tables"),
                                        encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def compiled(tables_dir) -> tuple[str, str]:
    if not HAVE_TEX:
        pytest.skip("pdflatex/pdftotext not installed (.ci/run installs texlive, poppler-utils)")
    for _ in range(2):      # twice: longtable column widths settle on the second run
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                               "all_tables.tex"], cwd=tables_dir, capture_output=True,
                              timeout=300)
    log = (tables_dir / "all_tables.log").read_text(encoding="latin-1")
    assert proc.returncode == 0, log[-3000:]
    text = subprocess.run(["pdftotext", "-layout", "all_tables.pdf", "-"], cwd=tables_dir,
                          capture_output=True, timeout=120, check=True).stdout.decode()
    return log, text


def test_no_forbidden_pattern_in_any_generated_tex(tables_dir):
    hits = {f.name: forbidden_hits(f.read_text(encoding="utf-8"))
            for f in tables_dir.rglob("*.tex")}
    assert {k: v for k, v in hits.items() if v} == {}


def test_every_fragment_has_a_label_and_a_caption(tables_dir):
    for f in tables_dir.rglob("*.tex"):
        tex = f.read_text(encoding="utf-8")
        if "\\documentclass" in tex:
            continue
        envs = len(re.findall(r"\\begin\{(?:table|longtable)\}", tex))
        assert envs >= 1, f.name
        assert len(re.findall(r"\\label\{", tex)) == envs, f.name
        assert len(re.findall(r"\\caption\{", tex)) == envs, f.name


def test_compiles_without_overfull_boxes_or_large_floats(compiled):
    log, _ = compiled
    assert log_problems(log) == []


def test_every_registered_bound_is_in_the_pdf(compiled):
    _, text = compiled
    words = set(re.findall(r"[A-Za-z0-9.]+", text))
    missing = [b.key for b in all_bounds() if b.key not in words]
    assert missing == []


def test_numbers_are_decimal_aligned_siunitx_columns(tables_dir):
    tex = (tables_dir / "sample.tex").read_text(encoding="utf-8")
    spec = re.search(r"\\begin\{tabular\}\{(.*)\}\n", tex).group(1)
    assert spec.count("S[table-format=") == 5
    assert "1520" in tex and "0.00123" in tex and "2.35 +- 0.12" in tex and "17.2 +- 1.4" in tex


# -- the checks catch planted errors ------------------------------------------------------
@pytest.mark.parametrize("bad, what", [
    (r"$\sqrt{n_{minus}}$", "code-level subscript"),
    (r"$\|X\|_{op}$", "code-level subscript"),
    (r"rho_ij <= rho", "ASCII relation"),
    (r"value 1.1e+02", "e-notation"),
    (r"1.52e3 points", "e-notation"),
    (r"{\sbox0{$x$}\resizebox{\linewidth}{!}{\usebox0}}", "resize wrapper"),
    (r"20\\% of the points", "double escape"),
    (r"the E_min of the instance", "code-level symbol name"),
])
def test_planted_forbidden_pattern_is_caught(bad, what):
    assert what in {w for w, _ in forbidden_hits("ok text " + bad)}


def test_clean_text_passes_the_pattern_check():
    assert forbidden_hits(r"$E_{\min} \le \|X\|_{\mathrm{op}}^2$, 20\% of $n_\pm$, "
                          r"$\rho_{ij} \le \rho$, $3\times 10^{-7}$") == []


@pytest.mark.skipif(not HAVE_TEX, reason="pdflatex not installed")
def test_a_planted_overfull_table_is_caught(tmp_path):
    wide = render_table([{"x": "$" + " ".join(["x_{1}x_{2}x_{3}"] * 30) + "$"}], [("x", "x")],
                        caption="A formula that cannot break.", label="tab:wide",
                        align="p{3cm}")
    (tmp_path / "wide.tex").write_text(wide, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(standalone_document(["wide.tex"]), encoding="utf-8")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "doc.tex"], cwd=tmp_path,
                   capture_output=True, timeout=300)
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert any(line.startswith("Overfull") for line in log_problems(log))
