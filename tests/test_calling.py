"""Calling conventions: scalars, arrays, broadcasting, unpacking, casts and ``out=``.

Most checks run through the reference kernel (``ref_call``), which shares
``pyexpr.calling.call`` with every backend; the ``llvm``-marked ones call the
Formula directly, through the default CPU backend.
"""
import numpy as np
import pytest

import pyexpr as px
import user_functions as U


@pytest.fixture(scope="module")
def single():
    return px.jit(U.small)                    # x*sin(y)


@pytest.fixture(scope="module")
def pair():
    return px.jit(U.tuple_return)             # (x + y, x*y)


@pytest.fixture(scope="module")
def matrix():
    return px.jit(U.nested_tuple_return)      # ((x, y), (x*y, x - y))


def test_scalars_give_a_python_float(single, ref_call):
    result = ref_call(single, 2.0, 0.5)
    assert type(result) is float and result == 2.0 * np.sin(0.5)
    assert type(ref_call(single, np.float64(2.0), np.array(0.5))) is float


def test_multi_output_scalars_give_an_array_of_out_shape(pair, matrix, ref_call):
    result = ref_call(pair, 2.0, 3.0)
    assert isinstance(result, np.ndarray) and result.shape == (2,)
    assert result.tolist() == [5.0, 6.0]
    assert ref_call(matrix, 2.0, 3.0).tolist() == [[2.0, 3.0], [6.0, -1.0]]


def test_arrays_broadcast_after_out_shape(single, pair, matrix, ref_call):
    xs, ys = np.linspace(0, 1, 4), np.linspace(1, 2, 3)[:, None]
    assert ref_call(single, xs, ys).shape == (3, 4)
    np.testing.assert_allclose(ref_call(single, xs, ys), xs * np.sin(ys))
    assert ref_call(pair, xs, ys).shape == (2, 3, 4)
    assert ref_call(matrix, xs, ys).shape == (2, 2, 3, 4)
    assert ref_call(single, xs, 1.0).shape == (4,)
    assert ref_call(single, np.zeros((2, 1, 5)), np.zeros((3, 1))).shape == (2, 3, 5)


def test_lists_are_accepted(single, ref_call):
    np.testing.assert_allclose(ref_call(single, [1.0, 2.0], [[0.5], [1.5]]),
                               np.array([1.0, 2.0]) * np.sin([[0.5], [1.5]]))


def test_unpacking_for_scalars_and_arrays(pair, ref_call):
    u, v = ref_call(pair, 2.0, 3.0)
    assert (u, v) == (5.0, 6.0)
    u, v = ref_call(pair, np.arange(3.0), 2.0)
    assert u.tolist() == [2.0, 3.0, 4.0] and v.tolist() == [0.0, 2.0, 4.0]


def test_integer_and_boolean_inputs_are_cast(single, ref_call):
    assert ref_call(single, 2, 1) == 2.0 * np.sin(1.0)
    assert ref_call(single, True, 1) == np.sin(1.0)
    result = ref_call(single, np.arange(3), np.array([True, False, True]))
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, np.arange(3) * np.sin([1.0, 0.0, 1.0]))


def test_out_receives_the_result(single, pair, ref_call):
    out = np.empty(4)
    assert ref_call(single, np.arange(4.0), 1.0, out=out) is out
    np.testing.assert_allclose(out, np.arange(4.0) * np.sin(1.0))
    out2 = np.empty((2, 4))
    assert ref_call(pair, np.arange(4.0), 1.0, out=out2) is out2
    assert out2.tolist() == [[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 2.0, 3.0]]


def test_out_with_scalars_and_another_float_dtype(single, ref_call):
    out = np.empty(())
    assert ref_call(single, 2.0, 0.5, out=out) is out and out[()] == 2.0 * np.sin(0.5)
    out32 = np.empty(3, dtype=np.float32)
    ref_call(single, np.arange(3.0), 0.5, out=out32)
    np.testing.assert_allclose(out32, np.arange(3.0) * np.sin(0.5), rtol=1e-6)


def test_defaults_fill_in_with_arrays(ref_call):
    f = px.jit(U.with_defaults)                  # a*x + b with a=2, b=3
    np.testing.assert_array_equal(ref_call(f, np.arange(3.0)), 2 * np.arange(3.0) + 3)
    np.testing.assert_array_equal(ref_call(f, np.arange(3.0), b=[0.0, 1.0, 2.0]),
                                  2 * np.arange(3.0) + np.arange(3.0))


def test_float32_formula_computes_in_float32(ref_call):
    f = px.jit(U.small, dtype="float32")
    result = ref_call(f, np.arange(3.0), 0.5)
    assert result.dtype == np.float32
    assert type(ref_call(f, 1.0, 0.5)) is float


def test_numeric_semantics_are_numpys(ref_call):
    f = px.jit(lambda x: np.log(x) + np.sqrt(x))
    result = ref_call(f, np.array([-1.0, 0.0, 4.0]))
    assert np.isnan(result[0]) and result[1] == -np.inf and result[2] == np.log(4.0) + 2


# --- the same conventions through the default backend --------------------------------------

@pytest.mark.llvm
def test_direct_calls(single, pair, matrix):
    result = single(2.0, 0.5)
    assert type(result) is float and result == pytest.approx(2.0 * np.sin(0.5), rel=1e-15)
    assert pair(2.0, 3.0).shape == (2,)
    assert matrix(2.0, 3.0).tolist() == [[2.0, 3.0], [6.0, -1.0]]
    xs, ys = np.linspace(0, 1, 4), np.linspace(1, 2, 3)[:, None]
    np.testing.assert_allclose(single(xs, ys), xs * np.sin(ys), rtol=1e-14)
    u, v = pair([1.0, 2.0], 3)
    assert u.tolist() == [4.0, 5.0] and v.tolist() == [3.0, 6.0]
    out = np.empty((2, 2))
    assert pair([1.0, 2.0], 3, out=out) is out and out.tolist() == [[4.0, 5.0], [3.0, 6.0]]
    assert single(True, 0) == 0.0


@pytest.mark.llvm
@pytest.mark.parametrize("fn, domain", U.SUBSET, ids=lambda c: getattr(c, "__name__", ""))
def test_direct_calls_agree_with_the_reference(fn, domain, ref_call, sample):
    f = px.jit(fn)
    rng = np.random.default_rng(3)
    points = np.array([sample(domain, rng) for _ in range(64)]).T
    np.testing.assert_allclose(f(*points), ref_call(f, *points), rtol=1e-12, atol=1e-12)
