"""Formulas travel (issue 16, item 1): pickled by what defines them, rebuilt and compiled
on the other side, in other processes (spawned, so nothing is inherited) as well.
"""
import copy
import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import pyexpr as px


def model(x, y=2.0):
    """A softplus scaled by y."""
    return math.log(1 + math.exp(x)) * y + math.sin(x * y)


def _round_trips():
    cloudpickle = pytest.importorskip("cloudpickle")
    return [("pickle", lambda f: pickle.loads(pickle.dumps(f))),
            ("cloudpickle", lambda f: cloudpickle.loads(cloudpickle.dumps(f))),
            ("copy", copy.copy), ("deepcopy", copy.deepcopy)]


@pytest.mark.parametrize("how", range(4), ids=["pickle", "cloudpickle", "copy", "deepcopy"])
def test_a_round_trip_keeps_values_printing_and_calculus(how):
    name, trip = _round_trips()[how]
    f = px.jit(model)
    for _ in range(3):
        f(0.5)
    assert type(f) is not px.Formula             # compiled, and its faster call installed
    g = trip(f)
    assert type(g) is px.Formula and g is not f
    assert str(g) == str(f) and g.latex() == f.latex() and g.python_source == f.python_source
    assert g.rewrites == f.rewrites and g.defaults == f.defaults and g.options == f.options
    x = np.linspace(-3, 3, 11)
    np.testing.assert_array_equal(g(x), f(x))
    assert g(800.0) == f(800.0) == pytest.approx(1600.0 + math.sin(1600.0))
    assert str(g.grad()) == str(f.grad())
    np.testing.assert_array_equal(g.grad()(0.3, 1.5), f.grad()(0.3, 1.5))
    h = trip(f.hessian())
    np.testing.assert_array_equal(h(0.3, 1.5), f.hessian()(0.3, 1.5))
    assert g.__doc__ == f.__doc__ and not hasattr(g, "__wrapped__")


@pytest.mark.parametrize("how", range(4), ids=["pickle", "cloudpickle", "copy", "deepcopy"])
def test_the_kept_compositions_travel(how):
    """pyexpr's own sin and tanh (sympy's, keeping sin(atan(x)) and tanh(asinh(x))) pickle."""
    f = px.jit(lambda x: math.tanh(math.asinh(x)) + math.sin(math.atan(x)) + math.tanh(x))
    g = _round_trips()[how][1](f)
    assert str(g) == str(f) == "f(x) = sin(atan(x)) + tanh(x) + tanh(asinh(x))"
    assert g(math.inf) == 3.0 and g(0.5) == f(0.5)


def test_options_travel():
    f = px.jit(model, dtype="float32", stable=False)
    g = pickle.loads(pickle.dumps(f))
    assert g.options["dtype"] == "float32" and g.rewrites == ()
    assert g(np.array([1.0])).dtype == np.float32


def test_a_formula_made_from_sympy_and_a_lambda():
    f = px.jit(lambda x: x * x + 1.0)           # a lambda does not pickle; its formula does
    assert pickle.loads(pickle.dumps(f))(3.0) == 10.0
    g = px.from_sympy("erfcx(x) + floor(2.0 - x)", ["x"])
    assert pickle.loads(pickle.dumps(g))(1e-300) == g(1e-300) == 3.0


def test_a_spawned_process_pool_maps_a_formula_and_its_gradient():
    f = px.jit(model)
    xs = [0.1 * k for k in range(8)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        values = pool.map(f, xs)
        gradients = pool.map(f.grad(), xs)
    assert values == [f(x) for x in xs]
    np.testing.assert_array_equal(np.array(gradients), np.array([f.grad()(x) for x in xs]))


def test_process_pool_executor_and_joblib():
    joblib = pytest.importorskip("joblib")
    f = px.jit(model)
    x = np.linspace(-2, 2, 1001)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(f, np.array_split(x, 4)))
    np.testing.assert_array_equal(np.concatenate(parts), f(x))
    parts = joblib.Parallel(n_jobs=2)(joblib.delayed(f.grad())(chunk) for chunk in np.array_split(x, 4))
    np.testing.assert_array_equal(np.concatenate(parts, axis=-1), f.grad()(x))
