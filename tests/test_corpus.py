"""The corpus of real formulas (``corpus.py``) through the front end.

Every case is decorated and compared with its plain function at random points
of its domain; its gradient (Jacobian for several outputs) is compared with
central differences of the plain function, its Hessian with central
differences of the gradient, and its ``python_source`` (and that of its
derivative) is executed and compared with the formula.  Evaluation goes
through the reference path (``ref_call``).
"""
import numpy as np
import pytest
import sympy

import pyexpr as px
from corpus import CASES

IDS = [case.name for case in CASES]
_FORMULAS = {}


def formula(case):
    if case.name not in _FORMULAS:
        _FORMULAS[case.name] = px.jit(case.func)
    return _FORMULAS[case.name]


def derivative(case):
    key = case.name + "'"
    if key not in _FORMULAS:
        f = formula(case)
        _FORMULAS[key] = f.jacobian() if f.out_shape else f.grad()
    return _FORMULAS[key]


def points(case, n, seed):
    rng = np.random.default_rng(seed)
    return [[rng.uniform(lo, hi) for lo, hi in case.domain.values()] for _ in range(n)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_decorates_with_the_declared_signature(case):
    f = formula(case)
    assert [str(a) for a in f.args][:len(case.domain)] == list(case.domain)
    assert f.out_shape == (() if case.n_outputs == 1 else (case.n_outputs,))
    assert f.__wrapped__ is case.func


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_the_plain_function(case, ref_call, plain):
    f = formula(case)
    pts = points(case, 24, seed=1)
    checked = 0
    for point in pts:
        want = plain(case.func, point)
        if want is None:
            continue
        np.testing.assert_allclose(ref_call(f, *point), want, rtol=1e-9, atol=1e-300,
                                   err_msg=f"{case.name} at {point}")
        checked += 1
    assert checked >= 12
    together = ref_call(f, *np.array(pts).T)             # arrays: one call for all points
    assert together.shape == f.out_shape + (len(pts),)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_derivatives_match_finite_differences(case, ref_call, central_diff, plain):
    jac = derivative(case)
    n = len(case.domain)
    checked = 0
    for point in points(case, 6, seed=2):
        if plain(case.func, point) is None:
            continue
        got = np.asarray(ref_call(jac, *point)).reshape(case.n_outputs, -1)
        for i in range(n):
            fd, err = central_diff(case.func, point, i)
            if not case.smooth:
                fd_far, _ = central_diff(case.func, point, i, rel_step=1e-3)
                if np.any(abs(fd_far - fd) > 1e-4 * (abs(fd) + 1e-12) + 10 * err):
                    continue                         # a kink or a jump near the point
            tol = 1e-6 * np.abs(fd) + err + 1e-13 * np.max(np.abs(got))
            assert np.all(abs(got[:, i] - np.ravel(fd)) <= np.ravel(tol)), (
                f"{case.name}: d/d{list(case.domain)[i]} at {point}: {got[:, i]} vs {fd}")
            checked += 1
    assert checked or not case.smooth


@pytest.mark.parametrize("case", [c for c in CASES if c.n_outputs == 1],
                         ids=[c.name for c in CASES if c.n_outputs == 1])
def test_hessian_builds_and_matches_differences_of_the_gradient(case, ref_call, central_diff, has):
    f = formula(case)
    hess = f.hessian()
    n = len(f.args)
    assert hess.out_shape == (n, n)
    assert not has(hess.outputs, sympy.DiracDelta, sympy.Derivative, sympy.Subs)
    if not case.smooth:
        return
    grad = derivative(case)
    point = points(case, 1, seed=3)[0]                  # parameters past the domain: defaults
    values = np.asarray(ref_call(hess, *point))
    np.testing.assert_allclose(values, values.T, rtol=1e-9, atol=1e-300)
    for i in range(len(case.domain)):
        fd, err = central_diff(lambda *p: ref_call(grad, *p), point, i)
        tol = 1e-5 * np.abs(fd) + err + 1e-9 * np.max(np.abs(values))
        assert np.all(abs(values[:, i] - fd) <= tol), (case.name, i, values[:, i], fd)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_python_source_agrees_with_the_formula(case, ref_call, has, check_source):
    pts = points(case, 6, seed=4)
    check_source(formula(case), pts, ref_call)
    jac = derivative(case)
    if has(jac.outputs, sympy.polygamma):
        with pytest.raises(px.LoweringError, match="polygamma"):    # math has no digamma
            jac.python_source
        return
    check_source(jac, pts, ref_call)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_simplify_false_gives_the_same_values(case, ref_call, plain):
    f = px.jit(case.func, simplify=False)
    for point in points(case, 4, seed=5):
        want = plain(case.func, point)
        if want is not None:
            np.testing.assert_allclose(ref_call(f, *point), want, rtol=1e-9, atol=1e-300)
