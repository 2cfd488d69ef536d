"""docs/: every anchor a Bound, a construction, a docstring or a caption cites exists.

The anchors are the ``<a id="..."></a>`` tags of ``docs/mathematics.md`` (and
``docs/design.md``). A citation is ``docs/mathematics.md#<anchor>`` anywhere in the
repository's source, notebooks and docs, or a :class:`theory.bounds.Bound`'s ``anchor``.
"""

import inspect
import re
from pathlib import Path

import pytest

from numerics.construct import CONSTRUCTIONS
from theory.bounds import Bound, all_bounds, n

ROOT = Path(__file__).resolve().parents[1]
MATH = ROOT / "docs" / "mathematics.md"
DESIGN = ROOT / "docs" / "design.md"
ANCHOR_TAG = re.compile(r'<a id="([a-z0-9-]+)"></a>')
CITATION = re.compile(r"docs/mathematics\.md#([A-Za-z0-9_-]+)")

#: The anchors fixed for the project (stable: other code cites them).
STABLE_ANCHORS = (
    "notation law-of-robustness bubeck-sellke shmalo r1-projection-bound r1-sphere "
    "r2-spectral-law r2-sharper-constant r3-quadratic-rank r4-energy-certificate r4-ball "
    "r4-parameter-count r4-regime c1-one-neuron-per-point c2-cap-ramps c3-baum "
    "c4-grouped-min-norm c5-polynomial-interpolation lipsdp-reduction branch-and-bound "
    "rounding tensors-and-sphere s1-random-relu-networks s2-memorization s3-random-features "
    "s4-weight-perturbations s5-double-descent min-lipschitz-interpolation tradeoff-curve"
).split()

#: The section of docs/mathematics.md each construction of numerics.construct belongs to.
CONSTRUCTION_ANCHORS = {
    "C1": "c1-one-neuron-per-point",
    "C2": "c2-cap-ramps",
    "C3": "c3-baum",
    "C4": "c4-grouped-min-norm",
    "C5": "c5-polynomial-interpolation",
}


def anchors_of(text: str) -> set[str]:
    """The ``<a id>`` anchors defined in a markdown text."""
    return set(ANCHOR_TAG.findall(text))


def missing_citations(texts: dict[str, str], anchors: set[str]) -> list[tuple[str, str]]:
    """``(where, anchor)`` for each ``docs/mathematics.md#<anchor>`` citation not in ``anchors``."""
    return [(where, a) for where, text in texts.items() for a in CITATION.findall(text)
            if a not in anchors]


def missing_bound_anchors(bounds, anchors: set[str]) -> list[tuple[str, str]]:
    """``(key, anchor)`` for every bound whose anchor (or cited reference) is not in ``anchors``."""
    out = [(b.key, b.anchor) for b in bounds if b.anchor not in anchors]
    refs = {b.key: " ".join(b.references) for b in bounds}
    return out + missing_citations(refs, anchors)


@pytest.fixture(scope="module")
def math_anchors() -> set[str]:
    return anchors_of(MATH.read_text(encoding="utf-8"))


def _repo_texts() -> dict[str, str]:
    out = {}
    for pattern in ("theory/**/*.py", "numerics/**/*.py", "robustlaw/**/*.py", "tests/**/*.py",
                    "benchmarks/**/*.py", "notebooks/*.ipynb", "docs/*.md", "README.md"):
        for path in ROOT.glob(pattern):
            if ".venv" in path.parts or path == Path(__file__):
                continue
            out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return out


def test_every_stable_anchor_is_defined_once(math_anchors):
    text = MATH.read_text(encoding="utf-8")
    missing = [a for a in STABLE_ANCHORS if a not in math_anchors]
    assert missing == []
    doubled = [a for a in math_anchors if len(re.findall(f'<a id="{a}"></a>', text)) > 1]
    assert doubled == []


def test_every_anchor_tag_precedes_a_heading():
    lines = MATH.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if ANCHOR_TAG.fullmatch(line.strip()):
            assert lines[i + 1].startswith("#"), f"line {i + 1}: anchor not before a heading"


def test_every_registered_bound_cites_an_existing_anchor(math_anchors):
    bounds = all_bounds()
    assert len(bounds) >= 20
    assert missing_bound_anchors(bounds, math_anchors) == []


def test_every_bound_key_appears_in_the_mathematics():
    text = MATH.read_text(encoding="utf-8")
    absent = [b.key for b in all_bounds() if f"`{b.key}`" not in text and
              not re.search(rf"(^|[ ,|]){re.escape(b.key)}([ ,|]|$)", text, re.M)]
    assert absent == []


def test_every_construction_has_its_section(math_anchors):
    assert set(CONSTRUCTIONS) == set(CONSTRUCTION_ANCHORS)
    assert [a for a in CONSTRUCTION_ANCHORS.values() if a not in math_anchors] == []
    docs = {name: inspect.getdoc(fn) or "" for name, fn in CONSTRUCTIONS.items()}
    assert missing_citations(docs, math_anchors) == []


def test_every_citation_in_the_repository_exists(math_anchors):
    assert missing_citations(_repo_texts(), math_anchors) == []


def test_internal_links_of_the_docs_resolve(math_anchors):
    for path in (MATH, DESIGN):
        text = path.read_text(encoding="utf-8")
        own = anchors_of(text)
        links = re.findall(r"\]\(#([^)]+)\)", text)
        assert [a for a in links if a not in own] == [], path.name
        cross = re.findall(r"\]\(mathematics\.md#([^)]+)\)", text)
        assert [a for a in cross if a not in math_anchors] == [], path.name


def test_design_names_the_rules_anchor():
    assert "rules" in anchors_of(DESIGN.read_text(encoding="utf-8"))


# -- the checks catch planted errors ------------------------------------------------------
def test_a_planted_bad_bound_anchor_is_caught(math_anchors):
    bad = Bound(key="PLANTED", name="t", statement="s", quantity="q", expr=n,
                anchor="no-such-anchor")
    assert missing_bound_anchors((*all_bounds(), bad), math_anchors) == [
        ("PLANTED", "no-such-anchor")]
    cites_bad = Bound(key="PLANTED2", name="t", statement="s", quantity="q", expr=n,
                      anchor="notation", references=("docs/mathematics.md#r9-nothing",))
    assert missing_bound_anchors((cites_bad,), math_anchors) == [("PLANTED2", "r9-nothing")]


def test_a_planted_bad_citation_is_caught(math_anchors):
    texts = {"good.py": "see docs/mathematics.md#r1-sphere",
             "bad.py": '"""Proof: docs/mathematics.md#r1-spere (typo)."""'}
    assert missing_citations(texts, math_anchors) == [("bad.py", "r1-spere")]


def test_a_planted_missing_section_is_caught():
    text = MATH.read_text(encoding="utf-8").replace('<a id="c3-baum"></a>', "")
    anchors = anchors_of(text)
    assert [a for a in CONSTRUCTION_ANCHORS.values() if a not in anchors] == ["c3-baum"]
