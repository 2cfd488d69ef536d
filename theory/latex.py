r"""LaTeX rendering: booktabs tables of bounds and of results, and a standalone wrapper.

Three layers:

- :func:`escape` (plain text) and :func:`text_with_math` (text with ``$...$``
  math kept verbatim, the rest escaped);
- :func:`render_table`: a generic booktabs ``table`` from rows (dicts or
  sequences) — the renderer other modules use for their result tables;
- :func:`bounds_table` / :func:`regimes_table`: the registered
  :class:`theory.bounds.Bound` objects as tables (statement, hypotheses,
  leading order in each regime, status, reference), and
  :func:`standalone_document`, a compilable document that ``\input``'s them.

Examples
--------
>>> escape("50% of n_+ & co")
'50\\% of n\\_+ \\& co'
>>> print(render_table([{"n": 10, "lip": 1.23456}], [("n", "$n$"), ("lip", "Lip")],
...                    caption="Demo", label="tab:demo"))
\begin{table}[htbp]
\centering
\caption{Demo}
\label{tab:demo}
\begin{tabular}{ll}
\toprule
$n$ & Lip \\
\midrule
10 & 1.235 \\
\bottomrule
\end{tabular}
\end{table}
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence

import sympy as sp

__all__ = [
    "Raw",
    "bounds_table",
    "escape",
    "format_cell",
    "regimes_table",
    "render_table",
    "standalone_document",
    "text_with_math",
]

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL.update({"\u00a7": r"\S{}", "\u2013": "--", "\u2014": "---", "\u2026": r"\ldots{}",
                 "\u2264": r"$\le$", "\u2265": r"$\ge$"})
_SPECIAL_RE = re.compile("|".join(re.escape(ch) for ch in _SPECIAL))


class Raw(str):
    """A string inserted verbatim (already LaTeX) by :func:`render_table`."""


def escape(text: str) -> str:
    r"""Escape the LaTeX special characters ``\ & % $ # _ { } ~ ^`` in plain text
    (and map a few Unicode signs — section, dashes, ellipsis, <=, >= — to LaTeX).

    >>> escape(r"a\b")
    'a\\textbackslash{}b'
    """
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], text)


def text_with_math(text: str) -> str:
    r"""Escape ``text`` except inside ``$...$`` (inline math kept verbatim).

    Raises ValueError (naming ``text``) when the dollar signs are unbalanced.

    >>> text_with_math(r"rank_W with $\|x\|_2 \le 1$ & more")
    'rank\\_W with $\\|x\\|_2 \\le 1$ \\& more'
    """
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) % 2 == 0:
        raise ValueError(f"text: unbalanced $ in {text!r}")
    out = []
    for i, part in enumerate(parts):
        out.append(escape(part) if i % 2 == 0 else f"${part}$")
    return "".join(out)


def format_cell(value, float_format: str = "{:.4g}") -> str:
    r"""One table cell: :class:`Raw` verbatim, text through :func:`text_with_math`,
    numbers with ``float_format`` (ints exactly), None/NaN as ``--``, sympy
    expressions as inline math, booleans as yes/no.

    >>> format_cell(None), format_cell(3), format_cell(0.5), format_cell(True)
    ('--', '3', '0.5', 'yes')
    >>> print(format_cell(sp.sqrt(2) / 2))
    $\frac{\sqrt{2}}{2}$
    """
    if value is None:
        return "--"
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, sp.Basic):
        return f"${sp.latex(value)}$"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "--"
        if math.isinf(v):
            return r"$\infty$" if v > 0 else r"$-\infty$"
        return float_format.format(v)
    if isinstance(value, str):
        return text_with_math(value)
    raise ValueError(f"value: cannot render a {type(value).__name__} in a table cell")


def render_table(rows: Iterable[Mapping | Sequence],
                 columns: Sequence[str | tuple[str, str]],
                 caption: str,
                 label: str,
                 *,
                 align: str | None = None,
                 float_format: str = "{:.4g}",
                 size: str | None = None,
                 notes: str | None = None) -> str:
    r"""A booktabs ``table`` environment.

    Parameters
    ----------
    rows : iterable of dict or sequence
        Dicts are read by column key; sequences positionally (same length as
        ``columns``). Cells go through :func:`format_cell`.
    columns : sequence of str or (key, header)
        Column keys and headers (headers may contain ``$...$`` math; a plain
        str is both key and header).
    caption : str
        Caption (text with ``$...$`` math; escaped outside math).
    label : str
        ``\label`` key: letters, digits and ``:-_.`` only.
    align : str, optional
        tabular column spec (default ``'l'`` per column), e.g. ``'lp{6cm}r'``.
    float_format : str
        Format for floats (default ``'{:.4g}'``).
    size : str, optional
        A size command such as ``'small'`` placed before the tabular.
    notes : str, optional
        A footnote-size paragraph under the table (text with math).

    Returns
    -------
    str
        The LaTeX source (needs ``\usepackage{booktabs}``).

    Raises
    ------
    ValueError
        Empty ``columns``, a bad ``label``, a row of the wrong length or
        missing a key, an unrenderable cell.
    """
    cols = []
    for col in columns:
        if isinstance(col, str):
            cols.append((col, col))
        elif isinstance(col, (tuple, list)) and len(col) == 2:
            cols.append((col[0], col[1]))
        else:
            raise ValueError(f"columns: expected str or (key, header), got {col!r}")
    if not cols:
        raise ValueError("columns: at least one column is needed")
    if not isinstance(label, str) or not re.fullmatch(r"[A-Za-z0-9:\-_.]+", label):
        raise ValueError(f"label: use letters, digits and ':-_.' only, got {label!r}")
    spec = align if align is not None else "l" * len(cols)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if size:
        if not re.fullmatch(r"[a-z]+", size):
            raise ValueError(f"size: expected a size command name like 'small', got {size!r}")
        lines.append("\\" + size)
    lines += [rf"\caption{{{text_with_math(caption)}}}", rf"\label{{{label}}}",
              rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
              " & ".join(format_cell(str(h)) for _, h in cols) + r" \\", r"\midrule"]
    for i, row in enumerate(rows):
        if isinstance(row, Mapping):
            missing = [key for key, _ in cols if key not in row]
            if missing:
                raise ValueError(f"rows: row {i} lacks column(s) {missing}")
            cells = [row[key] for key, _ in cols]
        else:
            cells = list(row)
            if len(cells) != len(cols):
                raise ValueError(f"rows: row {i} has {len(cells)} cells, expected {len(cols)}")
        lines.append(" & ".join(format_cell(v, float_format) for v in cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if notes:
        lines.append(rf"\par\smallskip{{\footnotesize {text_with_math(notes)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines)


def fit_math(tex: str) -> Raw:
    r"""Inline math ``tex`` (without dollars) that shrinks to the width of its
    ``p{...}`` column when it is wider, and is left alone otherwise (needs
    ``\usepackage{graphicx}``; long formulas would otherwise run into the next
    column, since inline math does not break).

    >>> print(fit_math("x^2"))
    {\sbox0{$x^2$}\ifdim\wd0>\linewidth\resizebox{\linewidth}{!}{\usebox0}\else\usebox0\fi}
    """
    return Raw(r"{\sbox0{$" + tex + r"$}\ifdim\wd0>\linewidth\resizebox{\linewidth}{!}"
               r"{\usebox0}\else\usebox0\fi}")


def _math(expr: sp.Expr) -> Raw:
    return fit_math(sp.latex(expr))


def bounds_table(bounds: Sequence, caption: str = "Lower bounds and cited results",
                 label: str = "tab:bounds") -> str:
    r"""Statements of ``bounds`` (:class:`theory.bounds.Bound`): key, name, the
    inequality, hypotheses, status, reference.

    >>> from theory.bounds import get_bound
    >>> tex = bounds_table([get_bound("R3")])
    >>> "R3" in tex and r"\toprule" in tex
    True
    """
    rows = []
    for b in bounds:
        rows.append({
            "key": b.key,
            "name": b.name,
            "bound": fit_math(b.latex()),
            "hyp": "; ".join(h.text for h in b.hypotheses) or None,
            "status": b.status + ("" if b.probability is None
                                  else f" (prob. $\\ge {sp.latex(b.probability)}$)"),
            "ref": "; ".join(b.references) or None,
        })
    return render_table(
        rows, [("key", "Key"), ("name", "Name"), ("bound", "Bound"), ("hyp", "Hypotheses"),
               ("status", "Status"), ("ref", "Reference")],
        caption, label, align=r"lp{2.6cm}p{6.2cm}p{4.6cm}p{1.6cm}p{3.2cm}", size="footnotesize")


def regimes_table(bounds: Sequence, caption: str = "Leading order as $d\\to\\infty$",
                  label: str = "tab:regimes", poly_p: int = 2) -> str:
    r"""For each bound with regimes: leading term and first correction for
    :math:`n = c d` and :math:`n = c d^{p}` (``poly_p``), computed by
    :meth:`theory.bounds.Bound.regime`; ``--`` where the bound has no such regime.

    >>> from theory.bounds import get_bound
    >>> r"\frac{\sqrt{c} c_{0} \sqrt{d}}{\sqrt{k}}" in regimes_table([get_bound("BLN")])
    True
    """
    rows = []
    for b in bounds:
        if not b.regimes:
            continue
        row = {"key": b.key, "status": b.status, "note": b.regime_note or None}
        for kind, p in (("linear", None), ("poly", poly_p)):
            if kind in b.regimes:
                reg = b.regime(kind, p=p)
                row[kind] = _math(reg.leading)
                row[kind + "_c"] = _math(reg.correction)
            else:
                row[kind] = row[kind + "_c"] = None
        rows.append(row)
    return render_table(
        rows, [("key", "Key"), ("linear", "$n=cd$: leading"), ("linear_c", "correction"),
               ("poly", f"$n=cd^{poly_p}$: leading"), ("poly_c", "correction"),
               ("status", "Status"), ("note", "Regime assumptions")],
        caption, label, align=r"lp{4.2cm}p{3.4cm}p{3.4cm}p{3.4cm}lp{4cm}", size="scriptsize")


def standalone_document(inputs: Sequence[str], title: str = "robustlaw tables") -> str:
    r"""A compilable LaTeX document that ``\input``'s each file name in ``inputs``
    (relative to the document; ``.tex`` may be omitted). Uses article,
    geometry (landscape), amsmath, amssymb, array, booktabs and graphicx.

    >>> doc = standalone_document(["bounds.tex"])
    >>> r"\input{bounds.tex}" in doc and doc.rstrip().endswith(r"\end{document}")
    True
    """
    for name in inputs:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-./]+", name):
            raise ValueError(f"inputs: file names must be plain relative paths, got {name!r}")
    body = "\n".join(rf"\input{{{name}}}" for name in inputs)
    return "\n".join([
        r"\documentclass[10pt]{article}",
        r"\usepackage[landscape,margin=1.5cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage{array}",
        r"\usepackage{booktabs}",
        r"\usepackage{graphicx}",
        rf"\title{{{text_with_math(title)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        body,
        r"\end{document}",
        "",
    ])
