"""``robustlaw rf-theory``: one point of the S3 saddle-point formula.

``robustlaw rf-theory --psi1 X --psi2 Y --eps E [--eps-test E'] [--tau T] [--json]``
solves the cited saddle point (:func:`numerics.experiments.rf_theory.solve_saddle`;
``docs/mathematics.md#s3-random-features``) and prints alpha*, tau_g*, beta*,
gamma*, tau_q*, nu*, sigma^2, the standard risk alpha*^2 + sigma^2 and the
adversarial risk at ``--eps-test`` (default: ``--eps``), with the first-order
residual and the saddle-point checks.
"""

from __future__ import annotations

NAME = "rf-theory"
HELP = "S3: the cited saddle-point formula at one (psi1, psi2, eps): saddle point and risks"


def register(parser):
    parser.add_argument("--psi1", type=float, required=True, help="N/d (> 0)")
    parser.add_argument("--psi2", type=float, required=True, help="n/d (> 0)")
    parser.add_argument("--eps", type=float, required=True, help="training budget (> 0)")
    parser.add_argument("--eps-test", type=float, default=None,
                        help="test budget (>= 0; default: --eps)")
    parser.add_argument("--tau", type=float, default=0.5, help="noise level (>= 0; default 0.5)")


def run(args) -> dict:
    from numerics.experiments import rf_theory as rt

    sol = rt.solve_saddle(psi1=args.psi1, psi2=args.psi2, eps=args.eps, tau=args.tau)
    et = sol.eps if args.eps_test is None else args.eps_test
    adv = rt.adversarial_risk(sol, et)
    checks = rt.saddle_checks(sol)
    out = {k: v for k, v in sol.to_dict().items() if k != "wrong"}
    out.update({"eps_test": et, "adversarial_risk": adv, "saddle_checks_ok": checks["all_ok"],
                "files": []})
    status = "converged" if sol.converged else "NOT converged: " + "; ".join(sol.notes)
    out["text"] = (
        f"psi1={sol.psi1:g} psi2={sol.psi2:g} eps={sol.eps:g} tau={sol.tau:g}: "
        f"alpha*={sol.alpha:.6g} tau_g*={sol.tau_g:.6g} beta*={sol.beta:.6g} "
        f"gamma*={sol.gamma:.6g} tau_q*={sol.tau_q:.6g} nu*={sol.nu:.6g}\n"
        f"sigma^2={sol.sigma2:.6g}  standard risk={sol.standard_risk:.6g}  "
        f"adversarial risk (eps_test={et:g})={adv:.6g}\n"
        f"first-order residual {sol.foc_residual:.2e} ({status}); "
        f"saddle checks {'pass' if checks['all_ok'] else 'FAIL'}")
    return out
