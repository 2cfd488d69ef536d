r"""LaTeX rendering: booktabs tables of bounds and of results, and a standalone wrapper.

Three layers:

- :func:`escape` (plain text) and :func:`text_with_math` (text with ``$...$``
  math kept verbatim, the rest escaped);
- :func:`render_table`: a generic booktabs ``table`` (or ``longtable``) from rows
  (dicts or sequences) — the renderer other modules use for their result
  tables; numeric columns become siunitx ``S`` columns aligned on the decimal
  point;
- :func:`bounds_table` / :func:`regimes_table`: the registered
  :class:`theory.bounds.Bound` objects as long tables split by status
  (statement, the bound in the symbol table's notation, status, source), and
  :func:`standalone_document`, a compilable document that ``\input``'s them.

Examples
--------
>>> escape("50% of n_+ & co")
'50\\% of n\\_+ \\& co'
>>> print(render_table([{"n": 10, "lip": 1.23456}], [("n", "$n$"), ("lip", "Lip")],
...                    caption="Demo", label="tab:demo"))
\begin{table}[htbp]
\centering
\caption{Demo}\label{tab:demo}
\begin{tabular}{S[table-format=2]S[table-format=1.3]}
\toprule
{$n$} & {Lip} \\
\midrule
10 & 1.235 \\
\bottomrule
\end{tabular}
\end{table}

Every fragment compiles in an ``article`` with :data:`PREAMBLE` (booktabs,
siunitx, longtable, amsmath); numbers follow one precision rule
(:func:`format_number`, :class:`Measured`) and never use e-notation.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence

import sympy as sp

from theory.symbols import latex as sym_latex

__all__ = [
    "BOUNDS_CAPTION",
    "DIGITS",
    "Measured",
    "PREAMBLE",
    "Raw",
    "bounds_table",
    "escape",
    "format_cell",
    "format_number",
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


#: Significant figures of every number a table prints without an uncertainty.
DIGITS = 4


class Measured:
    r"""A measured value with its standard error, printed as :math:`m \pm s`.

    One precision rule: the uncertainty gets two significant figures when its
    leading digit is 1, else one; the mean is rounded to the same decimal place.

    >>> str(Measured(1.23456, 0.0345)), str(Measured(152.3, 14.2))
    ('1.23 \\pm 0.03', '152 \\pm 14')
    """

    def __init__(self, mean: float, err: float):
        self.mean, self.err = float(mean), float(err)
        if not (math.isfinite(self.mean) and math.isfinite(self.err)) or self.err < 0:
            raise ValueError(f"err: need a finite mean and a finite err >= 0, got "
                             f"{mean!r}, {err!r}")

    def parts(self) -> tuple[str, str]:
        if self.err == 0:
            return format_number(self.mean), "0"
        e = math.floor(math.log10(self.err))
        lead = int(self.err / 10.0 ** e + 1e-9)
        places = -(e - (1 if lead == 1 else 0))
        places = max(places, 0)
        q = round(self.err, places) if places else round(self.err)
        m = round(self.mean, places) if places else round(self.mean)
        return f"{m:.{places}f}", f"{q:.{places}f}"

    def __str__(self) -> str:
        m, s = self.parts()
        return rf"{m} \pm {s}"


def format_number(v: float, digits: int = DIGITS) -> str:
    r"""``v`` to ``digits`` significant figures in positional notation (never
    e-notation); magnitudes outside :math:`[10^{-4}, 10^{7})` as
    :math:`a\times10^{k}` in math mode.

    >>> format_number(1.52e3), format_number(0.012345), format_number(110.0), format_number(3e-7)
    ('1520', '0.01235', '110', '$3\\times 10^{-7}$')
    """
    v = float(v)
    if v == 0:
        return "0"
    mant_s, _, exp_s = f"{v:.{digits - 1}e}".partition("e")   # rounding done by Python
    e = int(exp_s)
    if e < -4 or e >= 7:
        return rf"${_strip(mant_s)}\times 10^{{{e}}}$"
    places = max(digits - 1 - e, 0)
    return _strip(f"{round(v, places):.{places}f}") if places else f"{round(v):d}"


def _strip(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def format_cell(value, float_format: str | None = None) -> str:
    r"""One table cell: :class:`Raw` verbatim, text through :func:`text_with_math`,
    numbers by :func:`format_number` (ints exactly; ``float_format``, when given,
    is a :func:`format` spec used instead, without e-notation), None/NaN as
    ``--``, sympy expressions as inline math in the symbol table's names,
    :class:`Measured` as :math:`m\pm s`, booleans as yes/no.

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
    if isinstance(value, Measured):
        return f"${value}$"
    if isinstance(value, sp.Basic):
        return f"${sym_latex(value)}$"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "--"
        if math.isinf(v):
            return r"$\infty$" if v > 0 else r"$-\infty$"
        if float_format is not None:
            out = float_format.format(v)
            if "e" not in out.lower():
                return out
        return format_number(v)
    if isinstance(value, str):
        return text_with_math(value)
    raise ValueError(f"value: cannot render a {type(value).__name__} in a table cell")


_NUM = re.compile(r"-?\d+(\.\d+)?")


def _s_column(cells: list[str]) -> str | None:
    """An ``S[table-format=...]`` spec when every non-empty cell is a plain decimal
    (or a :class:`Measured` ``m \\pm s``), else None."""
    ints = decs = uints = 0
    sign = unc = False
    seen = False
    for c in cells:
        if c == "--":
            continue
        m = re.fullmatch(r"\$(-?[\d.]+) \\pm ([\d.]+)\$", c)
        num, err = (m.group(1), m.group(2)) if m else (c, None)
        if not _NUM.fullmatch(num) or (err is not None and not _NUM.fullmatch(err)):
            return None
        seen = True
        sign |= num.startswith("-")
        i, _, f = num.lstrip("-").partition(".")
        ints, decs = max(ints, len(i)), max(decs, len(f))
        if err is not None:
            unc = True
            f2 = err.partition(".")[2]
            uints = max(uints, len(str(int(round(float(err) * 10 ** len(f2))))))
    if not seen:
        return None
    fmt = ("-" if sign else "") + f"{ints}.{decs}" if decs else ("-" if sign else "") + f"{ints}"
    if unc:
        fmt += f"({max(uints, 1)})"
        return f"S[table-format={fmt},separate-uncertainty,table-align-uncertainty]"
    return f"S[table-format={fmt}]"


def _s_cell(c: str) -> str:
    m = re.fullmatch(r"\$(-?[\d.]+) \\pm ([\d.]+)\$", c)
    if m:
        return f"{m.group(1)} +- {m.group(2)}"
    return "{--}" if c == "--" else c


_SPEC_TOKEN = re.compile(r">\{(?:[^{}]|\{[^{}]*\})*\}[pmb]\{[^{}]*\}|[pmb]\{[^{}]*\}"
                         r"|S(?:\[[^\]]*\])?|[lrc|]")


def _split_spec(spec: str) -> list[str]:
    """Column specs of a tabular preamble (``'lp{2cm}r'`` -> ``['l', 'p{2cm}', 'r']``)."""
    toks = _SPEC_TOKEN.findall(spec)
    if "".join(toks) != spec:
        raise ValueError(f"align: cannot read the column spec {spec!r}")
    return [tk for tk in toks if tk != "|"]


def _ragged(col: str) -> str:
    return r">{\raggedright\arraybackslash}" + col if col.startswith("p{") else col


def render_table(rows: Iterable[Mapping | Sequence],
                 columns: Sequence[str | tuple[str, str]],
                 caption: str,
                 label: str,
                 *,
                 align: str | None = None,
                 float_format: str | None = None,
                 size: str | None = None,
                 notes: str | None = None,
                 long: bool = False) -> str:
    r"""A booktabs table: ``table``/``tabular``, or a ``longtable`` that breaks
    across pages (``long=True``).

    Numeric columns (every cell a number, a :class:`Measured` value or empty)
    become siunitx ``S`` columns aligned on the decimal point, whatever
    ``align`` says for them; ``p{...}`` columns are set ragged-right. Needs the
    packages of :data:`PREAMBLE`.

    Parameters
    ----------
    rows : iterable of dict or sequence
        Dicts are read by column key; sequences positionally (same length as
        ``columns``). Cells go through :func:`format_cell`.
    columns : sequence of str or (key, header)
        Column keys and headers (headers may contain ``$...$`` math).
    caption : str
        Caption (text with ``$...$`` math; escaped outside math). It should define
        every column and symbol.
    label : str
        ``\label`` key: letters, digits and ``:-_.`` only.
    align : str, optional
        tabular column spec (default ``'l'`` per column).
    float_format : str, optional
        A :func:`format` spec for floats instead of :func:`format_number`.
    size : str, optional
        A size command such as ``'small'``.
    notes : str, optional
        A footnote-size paragraph under the table (text with math).
    long : bool
        Typeset as a ``longtable`` (page breaks allowed, header repeated).

    Returns
    -------
    str

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
    body = []
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
        body.append([format_cell(v, float_format) for v in cells])
    specs = _split_spec(align) if align is not None else ["l"] * len(cols)
    if len(specs) != len(cols):
        raise ValueError(f"align: {align!r} has {len(specs)} columns, expected {len(cols)}")
    heads = [format_cell(str(h)) for _, h in cols]
    for j in range(len(cols)):
        s = _s_column([r[j] for r in body]) if specs[j] in "lrc" else None
        if s is not None:
            specs[j] = s
            heads[j] = "{" + heads[j] + "}"
            for r in body:
                r[j] = _s_cell(r[j])
        else:
            specs[j] = _ragged(specs[j])
    spec = "".join(specs)
    head = " & ".join(heads) + r" \\"
    lines = [" & ".join(r) + r" \\" for r in body]
    cap = rf"\caption{{{text_with_math(caption)}}}\label{{{label}}}"
    sz = []
    if size:
        if not re.fullmatch(r"[a-z]+", size):
            raise ValueError(f"size: expected a size command name like 'small', got {size!r}")
        sz = ["\\" + size]
    note = [rf"\par\smallskip{{\footnotesize {text_with_math(notes)}}}"] if notes else []
    if long:
        out = ["\\begingroup", *sz, r"\setlength{\LTcapwidth}{\linewidth}",
               rf"\begin{{longtable}}{{{spec}}}", cap + r" \\",
               r"\toprule", head, r"\midrule", r"\endfirsthead",
               rf"\multicolumn{{{len(cols)}}}{{l}}{{\emph{{(continued)}}}} \\", r"\toprule",
               head, r"\midrule", r"\endhead", r"\bottomrule", r"\endlastfoot",
               *lines, r"\end{longtable}"]
        if notes:
            out.append(note[0])
        out.append("\\endgroup")
        return "\n".join(out)
    return "\n".join([r"\begin{table}[htbp]", r"\centering", *sz, cap,
                      rf"\begin{{tabular}}{{{spec}}}", r"\toprule", head, r"\midrule", *lines,
                      r"\bottomrule", r"\end{tabular}", *note, r"\end{table}"])


#: Column definitions shared by the bounds tables' captions.
BOUNDS_CAPTION = (
    r"Key: the registry key (theory.bounds.get_bound). Statement: name, hypotheses "
    r"and conclusion. Bound: the bounded quantity, its relation ($\ge$ a proved or cited "
    r"lower bound, $\le$ an upper bound, $\approx$ and $\gtrsim$ heuristic predictions) and "
    r"the expression, in the notation of docs/mathematics.md#notation: $n$ samples in "
    r"dimension $d$, width $k$, $n_\pm$ points per label, $\bar y$ the label mean, "
    r"$\|X\|_{\mathrm{op}}$ the largest singular value of the data, $r = "
    r"\operatorname{rank} W$, $\delta$ the failure probability. Status: proved here, "
    r"cited or heuristic, with the probability where the statement is probabilistic. "
    r"Source: the section of docs/mathematics.md with the statement and its proof, and "
    r"the paper for cited results.")

_STATUS_TITLE = {"proved": "Bounds proved here", "cited": "Cited results",
                 "heuristic": "Heuristic predictions (confronted numerically, never assumed)"}


_LEFT_RIGHT = re.compile(r"\\left\(((?:(?!\\left|\\right|\\frac).)*)\\right\)")


def breakable(tex: str) -> str:
    r"""``\left( ... \right)`` pairs around flat content (no fraction, no nested
    pair) become plain parentheses, so that a long inline formula can break
    across lines inside them (a ``\left...\right`` group never breaks).

    >>> breakable(r"x \left(a + b\right) + \left(\frac{1}{2}\right)")
    'x (a + b) + \\left(\\frac{1}{2}\\right)'
    """
    while True:
        new = _LEFT_RIGHT.sub(r"(\1)", tex)
        if new == tex:
            return tex
        tex = new


def _bound_row(b) -> dict:
    prob = "" if b.probability is None else \
        f" (probability $\\ge {sym_latex(b.probability)}$)"
    refs = [r for r in b.references if not r.startswith("docs/mathematics.md")]
    return {
        "key": Raw(r"\texttt{" + escape(b.key) + "}"),
        "statement": Raw(r"\textbf{" + text_with_math(b.name) + "}. "
                         + text_with_math(b.statement)),
        "bound": Raw("$" + breakable(b.latex()) + "$"),
        "status": b.status + prob,
        "ref": Raw(r"\S\,\texttt{" + escape(b.anchor).replace("-", r"-\allowbreak{}") + "}" + (
            "; " + text_with_math("; ".join(refs)) if refs else "")),
    }


def bounds_table(bounds: Sequence, caption: str | None = None,
                 label: str = "tab:bounds") -> str:
    r"""Statements of ``bounds`` (:class:`theory.bounds.Bound`) as ``longtable``\ s, one
    per status (proved / cited / heuristic), labelled ``label`` + ``:proved`` etc.

    >>> from theory.bounds import get_bound
    >>> tex = bounds_table([get_bound("R3")])
    >>> "R3" in tex and r"\toprule" in tex and r"\label{tab:bounds:proved}" in tex
    True
    """
    out = []
    for status in ("proved", "cited", "heuristic"):
        group = [b for b in bounds if b.status == status]
        if not group:
            continue
        cap = f"{_STATUS_TITLE[status]}. " + (caption or BOUNDS_CAPTION)
        out.append(render_table(
            [_bound_row(b) for b in group],
            [("key", "Key"), ("statement", "Statement"), ("bound", "Bound"),
             ("status", "Status"), ("ref", "Source")],
            cap, f"{label}:{status}",
            align=r"lp{0.28\linewidth}p{0.29\linewidth}p{0.09\linewidth}p{0.14\linewidth}",
            size="footnotesize", long=True))
    return "\n\n".join(out)


REGIMES_CAPTION = (
    r"Leading term and first correction as $d\to\infty$ of each bound with a regime, for "
    r"$n = cd$ and $n = cd^{{{p}}}$ ($c$ fixed), computed by sympy "
    r"(Bound.regime); 0 where the leading "
    r"term is exact. Assumptions: the substitutions the regime makes (for rows uniform on "
    r"the sphere $\|X\|_{{\mathrm{{op}}}}\to 1+\sqrt{{n/d}}$, balanced labels, $r = k$); "
    r"symbols as in the bounds tables and docs/mathematics.md#notation.")


def regimes_table(bounds: Sequence, caption: str | None = None,
                  label: str = "tab:regimes", poly_p: int = 2) -> str:
    r"""For each bound with regimes: leading term and first correction for
    :math:`n = c d` and :math:`n = c d^{p}` (``poly_p``), computed by
    :meth:`theory.bounds.Bound.regime`, as a ``longtable``.

    >>> from theory.bounds import get_bound
    >>> r"\frac{c_{0} \sqrt{c d}}{\sqrt{k}}" in regimes_table([get_bound("BLN")])
    True
    """
    rows = []
    for b in bounds:
        kinds = [(kind, p) for kind, p in (("linear", None), ("poly", poly_p))
                 if kind in b.regimes]
        for i, (kind, p) in enumerate(kinds):
            reg = b.regime(kind, p=p)
            rows.append({
                "key": Raw(r"\texttt{" + escape(b.key) + "}" if i == 0 else ""),
                "regime": Raw("$n = cd$" if kind == "linear" else f"$n = cd^{{{poly_p}}}$"),
                "lead": Raw("$" + sym_latex(reg.leading) + "$"),
                "corr": Raw("$" + sym_latex(reg.correction) + "$"),
                "note": (b.regime_note or None) if i == 0 else Raw("")})
    return render_table(
        rows, [("key", "Key"), ("regime", "Regime"), ("lead", "Leading term"),
               ("corr", "First correction"), ("note", "Assumptions")],
        caption or REGIMES_CAPTION.format(p=poly_p), label,
        align=r"llp{0.27\linewidth}p{0.3\linewidth}p{0.22\linewidth}", size="footnotesize",
        long=True)


#: The preamble every fragment compiles with (paste it into a paper's preamble):
#: booktabs rules, siunitx S columns, longtable page breaks, amsmath symbols.
PREAMBLE = "\n".join([
    r"\usepackage[landscape,margin=1.5cm]{geometry}",
    r"\usepackage{amsmath,amssymb}",
    r"\usepackage{array}",
    r"\usepackage{booktabs}",
    r"\usepackage{longtable}",
    r"\usepackage{siunitx}",
    r"\sisetup{group-digits=integer,group-minimum-digits=5}",
])


def standalone_document(inputs: Sequence[str], title: str = "robustlaw tables") -> str:
    r"""A compilable LaTeX ``article`` with :data:`PREAMBLE` that ``\input``'s each file
    name in ``inputs`` (relative to the document; ``.tex`` may be omitted).

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
        PREAMBLE,
        rf"\title{{{text_with_math(title)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        body,
        r"\end{document}",
        "",
    ])
