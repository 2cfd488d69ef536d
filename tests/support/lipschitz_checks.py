"""Checks shared by the Lipschitz toolkit's tests: brackets, witnesses, the lower bounds
of a network on a domain."""

import numpy as np

from numerics.lipschitz import (
    centered_upper_bound,
    gradient_lower_bound,
    pair_lower_bound,
    path_norm_upper_bound,
    spectral_upper_bound,
)

#: relative allowance for floating-point rounding when comparing a certified number
#: with an exact value computed another way (never between two certified numbers)
ROUND = 1e-10

#: a light search effort for property tests
SMALL = dict(n_random=64, steps=20, polish_top=8, polish_rounds=10, kicks=1, lp_top=1)


def assert_bracket(lowers, uppers, exact=None):
    """Every lower <= exact <= every upper (and every lower <= every upper)."""
    for lo in lowers:
        for up in uppers:
            assert lo <= up, f"lower {lo} > upper {up}"  # both certified: no tolerance
        if exact is not None:
            assert lo <= exact * (1 + ROUND), f"lower {lo} > exact {exact}"
    if exact is not None:
        for up in uppers:
            assert exact <= up * (1 + ROUND), f"exact {exact} > upper {up}"


def all_uppers(net, dom):
    return [spectral_upper_bound(net, dom), path_norm_upper_bound(net, dom),
            centered_upper_bound(net, dom)]


def check_witness(value, w, net, dom):
    assert w is not None
    again = w.verify(net, dom)  # the certified value, recomputed from scratch
    assert value == again
    assert w.value == value


def lowers(net, dom, seed):
    """Certified lower bounds (pair and gradient search), each witness re-verified."""
    rng = np.random.default_rng(seed)
    X = dom.sample(6, net.d, rng) if dom.kind != "rd" else rng.standard_normal((6, net.d))
    out = []
    v, w = pair_lower_bound(net, X, dom)
    if w is not None:
        check_witness(v, w, net, dom)
        out.append(v)
    v, w = gradient_lower_bound(net, dom, X=X, seed=seed, **SMALL)
    if w is not None:
        check_witness(v, w, net, dom)
        out.append(v)
    return out
