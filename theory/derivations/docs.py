"""The derivations as markdown for ``docs/derivations.md`` (kept up to date by a test).

Regenerate with ``python -m theory.derivations.docs > docs/derivations.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from theory.derivations.core import Derivation


def derivations_markdown(derivations: Sequence[Derivation]) -> str:
    """One section per derivation: statement, then the numbered, checked steps."""
    head = ["# Derivations checked by robustlaw", "",
            "Generated from `theory.derivations` (do not edit by hand). Each step is a sympy "
            "identity or reduction checked by sympy, or a named inequality whose "
            "instantiation is checked on random instances by `tests/theory/test_derivations.py`. "
            "Proofs in words: [mathematics.md](mathematics.md).", ""]
    body = []
    for der in derivations:
        body += [f'<a id="der-{der.key.lower().replace(".", "-").replace("_", "-")}"></a>',
                 f"## {der.title}", "", f"Section: [{der.anchor}](mathematics.md#{der.anchor}).",
                 "", der.markdown(), ""]
    return "\n".join(head + body)


if __name__ == "__main__":      # pragma: no cover
    from theory.derivations import all_derivations

    print(derivations_markdown(all_derivations()), end="")
