"""Calling conventions: scalars, arrays, broadcasting, unpacking, casts and ``out=``.

Most checks run through the reference kernel (``ref_call``), which shares
``pyexpr.calling.call`` with every backend; the ``llvm``-marked ones call the
Formula directly, through the default CPU backend.
"""
import re

import numpy as np
import pytest

import pyexpr as px
import user_functions as U
from pyexpr.calling import call


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


@pytest.mark.llvm
def test_out_of_several_outputs_at_one_point(pair, matrix):
    """Compiled: each output's part of out is a 0-d view (as a number, its memory was
    never written: the call crashed)."""
    out = np.empty(2)
    assert pair(2.0, 3.0, out=out) is out and out.tolist() == [5.0, 6.0]
    out = np.empty((2, 2))
    assert matrix(2.0, 3.0, out=out) is out and out.tolist() == [[2.0, 3.0], [6.0, -1.0]]


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


def turns(x, y, c=2 * np.pi, cap=np.inf, k=3):
    return np.cos(c * x) * y + min(cap, x) + k


def ring(x, c=2 * np.pi):
    return np.sum(np.cos(c * x)) / len(x)


def scaled_sum(x, c=0.5, k=2):
    return np.sum(c * x**k)


def test_a_parameter_with_a_default_beside_a_vector_is_a_number():
    # np.sum(c * x**k) alone does not say which is the vector: a default is a number
    f = px.jit(scaled_sum)
    assert [name for name, length in f.signature if length is not None] == ["x"]
    x = np.arange(4.0)
    assert f(x) == scaled_sum(x) and f(x, 2.0, 3) == scaled_sum(x, 2.0, 3)


def test_defaults_equal_to_constants_are_the_floats_python_made():
    # 2*np.pi is the float 6.283185307179586 when the function is defined: calls, python_source
    # and derivatives take that number (it was held as the symbol 2*pi, which calls refused)
    f, g = px.jit(turns), px.jit(ring)
    assert f(0.3, 2.0) == pytest.approx(turns(0.3, 2.0), rel=1e-15)
    assert np.allclose(f(np.array([0.3, 2.0]), 2.0), [turns(0.3, 2.0), turns(2.0, 2.0)], rtol=1e-15)
    x = np.linspace(0.1, 0.9, 5)
    assert g(x) == pytest.approx(ring(x), rel=1e-15) and g(x, 1.0) == pytest.approx(ring(x, 1.0), rel=1e-15)
    for formula, args, func in ((f, (0.3, 2.0), turns), (g, (x,), ring), (g.grad(), (x,), None)):
        assert "c=6.283185307179586" in formula.python_source
        namespace = {}
        exec(formula.python_source, namespace)
        assert np.allclose(namespace[formula.name](*args), formula(*args), rtol=1e-15)
    assert np.allclose(g.grad()(x), -2 * np.pi * np.sin(2 * np.pi * x) / 5, rtol=1e-14)


def test_float32_formula_computes_in_float32(ref_call):
    f = px.jit(U.small, dtype="float32")
    result = ref_call(f, np.arange(3.0), 0.5)
    assert result.dtype == np.float32
    assert type(ref_call(f, 1.0, 0.5)) is float


def test_numeric_semantics_are_numpys(ref_call):
    f = px.jit(lambda x: np.log(x) + np.sqrt(x))
    result = ref_call(f, np.array([-1.0, 0.0, 4.0]))
    assert np.isnan(result[0]) and result[1] == -np.inf and result[2] == np.log(4.0) + 2


# --- masked arrays keep their mask ---------------------------------------------------------

def _masked(data, mask):
    return np.ma.masked_array(np.asarray(data, dtype=float), mask=mask)


def _assert_masked(result, expected_data, expected_mask):
    """A MaskedArray with numpy's values on the data (masked elements included) and this mask."""
    assert isinstance(result, np.ma.MaskedArray)
    np.testing.assert_allclose(np.ma.getdata(result), expected_data, rtol=1e-15)
    np.testing.assert_array_equal(np.ma.getmaskarray(result), expected_mask)


def test_masked_1d_inputs_mixed_with_arrays_and_scalars(single, ref_call):
    x = _masked([1.0, 2.0, 3.0], [False, True, False])
    ys = np.array([0.5, 1.0, 1.5])
    _assert_masked(ref_call(single, x, ys), x.data * np.sin(ys), [False, True, False])
    _assert_masked(ref_call(single, x, 0.5), x.data * np.sin(0.5), [False, True, False])
    _assert_masked(ref_call(single, 2.0, x), 2.0 * np.sin(x.data), [False, True, False])
    _assert_masked(ref_call(single, y=x, x=[1.0, 1.0, 1.0]), np.sin(x.data), [False, True, False])
    assert x.mask.tolist() == [False, True, False]           # the input's mask is untouched


def test_masks_of_2d_inputs_join_and_broadcast(single, ref_call):
    x = _masked([[1.0], [2.0], [3.0]], [[False], [True], [False]])     # (3, 1)
    y = _masked([0.5, 1.0, 1.5, 2.0], [False, False, False, True])      # (4,)
    expected_mask = np.array([[0], [1], [0]], bool) | np.array([0, 0, 0, 1], bool)
    result = ref_call(single, x, y)
    assert result.shape == (3, 4)
    _assert_masked(result, x.data * np.sin(y.data), expected_mask)
    plain = np.linspace(0, 1, 4).reshape(1, 4)
    _assert_masked(ref_call(single, x, plain), x.data * np.sin(plain),
                   np.broadcast_to([[False], [True], [False]], (3, 4)))


def test_multi_output_masks_repeat_along_out_shape(pair, matrix, ref_call):
    x = _masked([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[True, False, False], [False, False, True]])
    y = np.array([0.5, 1.0, 1.5])
    result = ref_call(pair, x, y)
    assert result.shape == (2, 2, 3)
    _assert_masked(result, [x.data + y, x.data * y], np.broadcast_to(x.mask, (2, 2, 3)))
    result = ref_call(matrix, x, y)
    assert result.shape == (2, 2, 2, 3)
    _assert_masked(result, [[x.data + 0 * y, np.broadcast_to(y, (2, 3))],
                            [x.data * y, x.data - y]], np.broadcast_to(x.mask, (2, 2, 2, 3)))


def test_masked_scalars_give_a_masked_result(single, pair, ref_call):
    result = ref_call(single, _masked(2.0, True), 0.5)
    assert isinstance(result, np.ma.MaskedArray) and result.shape == ()
    assert result.mask and result.data == 2.0 * np.sin(0.5)
    result = ref_call(single, _masked(2.0, False), _masked(0.5, False))
    assert isinstance(result, np.ma.MaskedArray) and not result.mask
    assert result[()] == 2.0 * np.sin(0.5)
    _assert_masked(ref_call(pair, _masked(2.0, True), 3.0), [5.0, 6.0], [True, True])
    assert ref_call(single, np.ma.masked, 0.5).mask           # the masked constant itself


def test_nomask_gives_a_masked_result_with_nothing_masked(single, pair, ref_call):
    x = np.ma.masked_array([1.0, 2.0])
    assert x.mask is np.ma.nomask
    _assert_masked(ref_call(single, x, 0.5), x.data * np.sin(0.5), [False, False])
    _assert_masked(ref_call(pair, x, 1.0), [x.data + 1, x.data], np.zeros((2, 2), bool))


def test_all_masked_keeps_the_computed_values(single, ref_call):
    x = _masked([1.0, 2.0], True)
    _assert_masked(ref_call(single, x, 0.5), x.data * np.sin(0.5), [True, True])


def test_nan_results_are_not_masked(ref_call):
    f = px.jit(lambda x: np.log(x))
    result = ref_call(f, _masked([-1.0, 1.0, 4.0], [False, False, True]))
    assert np.isnan(result.data[0]) and result.mask.tolist() == [False, False, True]
    assert result.data[2] == np.log(4.0)


def test_masked_out_receives_the_data_and_the_mask(single, pair, ref_call):
    x = _masked([1.0, 2.0, 3.0], [False, True, False])
    out = np.ma.masked_array(np.full(3, -7.0), mask=[True, False, True])
    assert ref_call(single, x, 0.5, out=out) is out
    _assert_masked(out, x.data * np.sin(0.5), [False, True, False])
    out2 = np.ma.masked_array(np.empty((2, 3)))
    assert ref_call(pair, x, 1.0, out=out2) is out2
    _assert_masked(out2, [x.data + 1, x.data], np.broadcast_to(x.mask, (2, 3)))
    # a masked out takes the inputs' mask even when they have none
    assert ref_call(single, x.data, 0.5, out=out) is out
    _assert_masked(out, x.data * np.sin(0.5), [False, False, False])
    with pytest.raises(ValueError, match="out has shape"):
        ref_call(single, x, 0.5, out=np.ma.masked_array(np.empty(4)))


def test_plain_out_with_masked_inputs_is_refused(single, ref_call):
    out = np.zeros(2)
    with pytest.raises(TypeError, match=r"small\(\): masked arguments .* out= a numpy.ma.MaskedArray, "
                                        r"or no out"):
        ref_call(single, _masked([1.0, 2.0], [True, False]), 0.5, out=out)
    assert out.tolist() == [0.0, 0.0]


def test_masked_data_is_checked_like_any_argument(single, ref_call):
    with pytest.raises(TypeError, match=r"small\(\): argument 'y' must hold real numbers"):
        ref_call(single, 1.0, np.ma.masked_array(["a", "b"]))


def test_a_call_with_device_arrays_refuses_masked_ones(single):
    class DeviceKernel:                      # the device branch checks before the kernel runs
        dtype = np.dtype(np.float64)

        def evaluate(self, values, out=None, out_shape=None):
            raise AssertionError("a masked argument reached the device kernel")

    class OnDevice:
        __cuda_array_interface__ = {}

    with pytest.raises(TypeError, match=r"small\(\): argument 'y' is a masked array, whose mask a "
                                        r"call on device arrays cannot keep"):
        call(single, DeviceKernel(), (OnDevice(), _masked([1.0], [True])), {})


# --- extended precision is refused, float16 accepted ---------------------------------------

_EXTENDED = np.dtype(np.longdouble) != np.dtype(np.float64)


@pytest.mark.skipif(not _EXTENDED, reason="longdouble is float64 here")
@pytest.mark.parametrize("make", [
    lambda: np.ones(3, dtype=np.longdouble),
    lambda: np.longdouble(0.5),
    lambda: np.array(0.5, dtype=np.longdouble),
    lambda: [np.longdouble(0.5), np.longdouble(1.5)],
    lambda: np.ma.masked_array(np.ones(2, dtype=np.longdouble), mask=[True, False]),
], ids=["array", "scalar", "0-d", "list", "masked"])
def test_longdouble_is_refused(single, ref_call, make):
    name = re.escape(np.dtype(np.longdouble).name)
    with pytest.raises(TypeError, match=rf"small\(\): argument 'y' is {name} \(long double\), but "
                                        r"pyexpr computes in float64 \(or float32\); convert it "
                                        r"explicitly with x\.astype\(np\.float64\)"):
        ref_call(single, np.ones(2), make())


@pytest.mark.skipif(not _EXTENDED, reason="clongdouble is complex128 here")
def test_clongdouble_is_refused(single, ref_call):
    with pytest.raises(TypeError, match=r"small\(\): argument 'x' is complex\d+ \(complex long "
                                        r"double\); pyexpr computes in real float64"):
        ref_call(single, np.ones(2, dtype=np.clongdouble), 1.0)


def test_float16_is_accepted_and_cast_exactly(single, ref_call):
    x16 = np.array([0.1, 1.5, 65504.0], dtype=np.float16)
    result = ref_call(single, x16, 0.5)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, x16.astype(np.float64) * np.sin(0.5))
    assert ref_call(single, np.float16(0.1), 1.0) == float(np.float16(0.1)) * np.sin(1.0)


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


@pytest.mark.llvm
def test_direct_calls_keep_masks_and_refuse_longdouble():
    from pyexpr.cpu import kernel as cpu
    f = px.jit(U.small, cache=False)
    xs = np.linspace(0.1, 1, 4)
    for _ in range(cpu.UPGRADE_CALLS):            # the builtin array entry is installed by now
        f(xs, xs)
    x = _masked(xs, [False, True, False, False])
    _assert_masked(f(x, xs), xs * np.sin(xs), x.mask)
    _assert_masked(f(_masked(2.0, True), 0.5), 2.0 * np.sin(0.5), True)
    if _EXTENDED:
        with pytest.raises(TypeError, match="long double"):
            f(xs.astype(np.longdouble), xs)
        with pytest.raises(TypeError, match="long double"):
            f(np.longdouble(0.5), 0.5)


# --- Python numbers beyond float64 and int64, Fractions, Decimals -----------------------------

def test_ints_too_large_for_float64_are_an_overflow_error_naming_the_formula():
    g = px.jit(lambda x: x + 1)
    for value in (10**400, -10**400, [1, 10**400]):
        with pytest.raises(OverflowError, match=r"f\(\): argument 'x' holds an int too large"):
            g(value)
    assert g(2**1023) == float(2**1023) + 1


def test_lists_of_big_ints_and_fractions_compute_as_their_floats():
    import fractions
    g = px.jit(lambda x: x + 1)
    np.testing.assert_array_equal(g([2**70, 3]), [2.0**70 + 1, 4.0])
    np.testing.assert_array_equal(g([fractions.Fraction(1, 4)]), [1.25])
    assert g(fractions.Fraction(1, 4)) == 1.25


def test_decimals_are_refused_alike_as_scalars_and_in_lists():
    import decimal
    g = px.jit(lambda x: x + 1)
    for value in (decimal.Decimal("1.5"), [decimal.Decimal("1.5"), 2.0]):
        with pytest.raises(TypeError, match="not Decimal values; convert them with float"):
            g(value)


# --- out= must hold floats; numbers in lists are read as the same numbers alone ---------------

@pytest.mark.parametrize("dtype", [object, np.complex128, np.int64, np.bool_, "U8", "datetime64[s]"])
def test_out_that_cannot_hold_floats_is_refused_naming_the_formula(single, ref_call, dtype):
    out = np.zeros(3, dtype=dtype)
    before = out.copy()
    with pytest.raises(TypeError, match=rf"small\(\): cannot write float64 results into out of dtype "
                                        rf"{re.escape(str(out.dtype))}; out must be an array of floats"):
        ref_call(single, np.arange(3.0), 0.5, out=out)
    np.testing.assert_array_equal(out, before)
    with pytest.raises(TypeError, match=r"small\(\): cannot write float64 results into out of dtype"):
        ref_call(single, np.ma.masked_array(np.arange(3.0), [True, False, False]), 0.5,
                 out=np.ma.masked_array(np.zeros(3, dtype=dtype)))


@pytest.mark.llvm
def test_out_of_objects_is_refused_by_a_formula_with_its_builtin_entries():
    from pyexpr.cpu import kernel as cpu
    f = px.jit(U.small, cache=False)
    xs = np.linspace(0.1, 1, 4)
    for _ in range(cpu.UPGRADE_CALLS):            # the builtin entries are installed by now
        f(xs, xs)
        f(0.5, 0.25)
    for out in (np.zeros(4, dtype=object), np.zeros(4, dtype=np.complex128)):
        with pytest.raises(TypeError, match=r"small\(\): cannot write float64 results into out of dtype"):
            f(xs, xs, out=out)
        assert not out.any()
    with pytest.raises(TypeError, match=r"small\(\): cannot write float64 results into out of dtype object"):
        f(0.5, 0.25, out=np.zeros((), dtype=object))
    out16 = np.zeros(4, dtype=np.float16)
    assert f(xs, xs, out=out16) is out16 and out16.tolist() == (xs * np.sin(xs)).astype(np.float16).tolist()


def test_ints_at_the_edge_of_float64_overflow_as_float_would():
    g = px.jit(lambda x: x + 1)
    largest = 2**1024 - 2**970 - 1                 # rounds down to the largest float64
    assert g(largest) == float(largest) + 1 == np.finfo(np.float64).max
    for value in (2**1024 - 2**970, [2**1024 - 2**970]):   # rounds up, past it: float() overflows
        with pytest.raises(OverflowError, match=r"f\(\): argument 'x' holds an int too large"):
            g(value)


def test_numbers_of_a_fixed_length_vector_are_read_as_the_numbers_alone():
    import decimal
    import fractions
    g = px.jit(lambda y: y[0] * 2 + y[1])
    assert g([2**64, 1]) == 2.0**65 + 1 and g([fractions.Fraction(1, 4), 0]) == 0.5
    with pytest.raises(OverflowError, match=r"f\(\): argument 'y' holds an int too large"):
        g([10**400, 1.0])
    with pytest.raises(TypeError, match=r"f\(\): argument 'y' must hold real numbers, not Decimal values"):
        g([decimal.Decimal("1.5"), 2.0])


# --- the same for formulas over vectors of any length -----------------------------------------

@pytest.fixture(scope="module")
def open_nll():
    import open_formulas
    return px.jit(open_formulas.nll)              # nll(mu, sigma, data[n])


@pytest.fixture(scope="module")
def open_grad():
    import open_formulas
    return px.jit(open_formulas.rosen).grad()     # grad_rosen(x[n])[j]


@pytest.mark.llvm
@pytest.mark.parametrize("dtype", [object, np.complex128, np.int64, np.float32])
def test_vector_formulas_refuse_out_of_another_dtype(open_nll, open_grad, dtype):
    x = np.linspace(0.5, 2, 4)
    calls = [(lambda out: open_grad(x, out=out), (4,), r"grad_rosen"),                   # a vector output
             (lambda out: open_grad(x[:1], out=out), (1,), r"grad_rosen"),               # written out at n = 1
             (lambda out: open_grad(np.stack([x, x], 1), out=out), (4, 2), r"grad_rosen"),  # a batch
             (lambda out: open_nll(0.5, 2.0, x, out=out), (), r"nll"),                   # a number
             (lambda out: open_nll(0.5, 2.0, np.stack([x, x], 1), out=out), (2,), r"nll")]
    for call_with, shape, name in calls:
        out = np.zeros(shape, dtype=dtype)
        with pytest.raises(ValueError, match=rf"{name}\(\): out must be a contiguous float64 array of "
                                             rf"shape {re.escape(str(shape))}"):
            call_with(out)
        assert not out.any()
        good = np.zeros(shape)
        assert call_with(good) is good
        np.testing.assert_array_equal(good, call_with(None))


@pytest.mark.llvm
def test_vector_formulas_read_numbers_in_lists_as_the_numbers_alone(open_nll):
    import decimal
    import fractions
    data = np.array([1.0, 2.5, 4.0])
    assert open_nll(2**64, 1.5, data) == open_nll(float(2**64), 1.5, data)
    assert open_nll(0.5, 1.5, [2**64, 2.5, 4]) == open_nll(0.5, 1.5, np.array([2.0**64, 2.5, 4.0]))
    assert open_nll(fractions.Fraction(1, 2), 1.5, [fractions.Fraction(1), 2.5, 4]) == open_nll(0.5, 1.5, data)
    too_large = r"nll\(\): argument '{}' holds an int too large for a float64"
    with pytest.raises(OverflowError, match=too_large.format("mu")):
        open_nll(10**400, 1.5, data)                 # (the quick path hands it on)
    with pytest.raises(OverflowError, match=too_large.format("data")):
        open_nll(0.5, 1.5, [1.0, 10**400, 4.0])
    with pytest.raises(TypeError, match=r"nll\(\): argument 'mu' is a number, not Decimal"):
        open_nll(decimal.Decimal("0.5"), 1.5, data)
    with pytest.raises(TypeError, match=r"nll\(\): argument 'data' must be a vector of numbers, "
                                        r"not list of Decimal"):
        open_nll(0.5, 1.5, [decimal.Decimal("1.0"), 2.5, 4.0])


def test_a_numpy_ma_still_being_imported_by_another_thread_masks_nothing(monkeypatch):
    """A thread's first call while another imports numpy.ma saw the module without its
    MaskedArray (AttributeError in test_concurrency, by chance); nothing can be masked yet."""
    import sys
    import types
    from pyexpr import calling
    monkeypatch.setitem(sys.modules, "numpy.ma", types.ModuleType("numpy.ma"))
    assert calling._masked(np.ones(3)) is False


def keyword_rosen(x, scale=100.0):
    return np.sum(scale * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)


def keyword_rhs(t, y, k=0.04):
    y1, y2, y3 = y
    return (-k * y1 + 1e4 * y2 * y3, k * y1 - 1e4 * y2 * y3 - 3e7 * y2**2, 3e7 * y2**2)


def test_keywords_and_left_out_defaults_of_vector_formulas_take_the_quick_path(monkeypatch):
    """``f(x=x0)``, ``f(x)`` of ``f(x, scale=100.0)``, ``rhs(t, y=y0)``: bound to positions
    as CPython binds them and run by the quick path (not the general one); calls that do
    not bind so keep the general path's errors."""
    from pyexpr import calling
    f, rhs = px.jit(keyword_rosen), px.jit(keyword_rhs)
    x, y = np.linspace(-1.0, 1.5, 9), np.array([0.9, 2e-5, 0.1])
    want, want_rhs = keyword_rosen(x), np.array(keyword_rhs(0.5, y))
    assert f(x, 100.0) == pytest.approx(want, rel=1e-14)          # compiled

    def refused(*args, **kwargs):
        raise AssertionError("the general path")
    monkeypatch.setattr(calling, "bind", refused)         # what the general path binds with
    for call in (lambda: f(x=x), lambda: f(x), lambda: f(x, scale=100.0), lambda: f(x=x, scale=100.0)):
        assert call() == pytest.approx(want, rel=1e-14)
    # the installed head binds them in machine code (loopcall_ir: objects_ir.fill), not in Python
    monkeypatch.setattr(calling, "filled", refused)
    for call in (lambda: f(x=x), lambda: f(x), lambda: f(x, scale=100.0), lambda: f(x=x, scale=100.0),
                 lambda: f(scale=100.0, x=x)):
        assert call() == pytest.approx(want, rel=1e-14)
    monkeypatch.undo()
    np.testing.assert_allclose(rhs(0.5, y=y), want_rhs, rtol=1e-14)
    np.testing.assert_allclose(rhs(t=0.5, y=y), want_rhs, rtol=1e-14)
    np.testing.assert_allclose(rhs(0.5, y), want_rhs, rtol=1e-14)
    for bad in (lambda: f(x, x=x), lambda: f(z=x), lambda: rhs(0.5, z=y), lambda: rhs(0.5, y, y=y)):
        with pytest.raises(TypeError, match="keyword_r"):
            bad()


def test_out_at_one_point_is_the_entries_value_written_in_place():
    """``f(x, t, out=o)`` with numbers (and a fixed-length formula's vectors) into an array of
    the result's shape and dtype: the float entry's value, in ``o``, ``o`` returned; any other
    ``out`` keeps the general path (casts, errors)."""
    f, rhs = px.jit(U.two_args), px.jit(keyword_rhs)
    o, o3 = np.empty(()), np.empty(3)
    for args in ((0.3, 0.7), (np.float32(0.3), 1), (np.int16(2), np.bool_(True))):
        assert f(*args, out=o) is o and o == f(*args)
    y = np.array([0.9, 2e-5, 0.1])
    assert rhs(0.5, y, out=o3) is o3 and o3.tolist() == rhs(0.5, y).tolist()
    o32 = np.empty((), np.float32)
    assert f(0.3, 0.7, out=o32) is o32 and o32 == np.float32(f(0.3, 0.7))
    with pytest.raises(ValueError, match="two_args.*out has shape"):
        f(0.3, 0.7, out=np.empty(2))
    with pytest.raises(ValueError, match="keyword_rhs.*out has shape"):
        rhs(0.5, y, out=np.empty(4))


def test_out_at_one_point_is_written_by_the_float_entry(monkeypatch):
    """The float entry binds ``out=`` itself (``fastcall_ir._into_out``): an exact ndarray of
    the dtype, C-contiguous, writeable, of the result's shape is written in machine code;
    every other ``out`` goes to the general path as before."""
    from pyexpr import calling
    from pyexpr.formula import Formula
    f, polar = px.jit(U.two_args), px.jit(U.helper_polar.__wrapped__)
    o, o2 = np.empty(()), np.empty(2)
    want, want2 = f(0.3, 0.7), np.array(polar(2.0, 0.5))
    f(0.3, 0.7, out=o), polar(2.0, 0.5, out=o2)                     # the entries installed

    def refused(*args, **kwargs):
        raise AssertionError("the Python path")
    monkeypatch.setattr(Formula, "_point_out", refused)
    for _ in range(3):
        assert f(0.3, 0.7, out=o) is o and o == want
        assert f(y=0.7, x=0.3, out=o) is o and o == want
        assert polar(2.0, 0.5, out=o2) is o2 and o2.tolist() == want2.tolist()
    # a fixed-length vector formula's entry binds keywords, defaults and out= too (_point)
    rhs, y, o3 = px.jit(keyword_rhs), np.array([0.9, 2e-5, 0.1]), np.empty(3)
    want_rhs, want_k = rhs(0.5, y, 0.04), rhs(0.5, y, 0.1)
    rhs(0.5, y), rhs(0.5, y, out=o3)                                   # the entry installed
    monkeypatch.setattr(calling, "filled", refused)
    monkeypatch.setattr(Formula, "_point_out", refused)
    for _ in range(3):
        assert rhs(0.5, y).tolist() == want_rhs.tolist() and rhs(t=0.5, y=y).tolist() == want_rhs.tolist()
        assert rhs(0.5, y, k=0.1).tolist() == want_k.tolist()
        assert rhs(0.5, y, out=o3) is o3 and o3.tolist() == want_rhs.tolist()
        assert rhs(k=0.1, y=y, t=0.5, out=o3) is o3 and o3.tolist() == want_k.tolist()
    monkeypatch.undo()
    with pytest.raises(TypeError, match="keyword_rhs.*unexpected keyword argument 'y_0'"):
        rhs(0.5, y_0=1.0, y=y)
    read_only = np.empty(())
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="two_args.*read-only"):
        f(0.3, 0.7, out=read_only)
    with pytest.raises(TypeError, match="two_args"):
        f(0.3, 0.7, out=o, other=o)
    with pytest.raises(TypeError, match="two_args"):
        f(0.3, x=0.7, out=o)
    strided = np.empty(4)[::2]
    assert polar(2.0, 0.5, out=strided) is strided and strided.tolist() == want2.tolist()


DECAY_T = np.linspace(0.0, 10.0, 40)
DECAY_Y = 2.5 * np.exp(-1.3 * DECAY_T) + 0.5


def decay_residuals(p):
    a, b, c = p
    return a * np.exp(-b * DECAY_T) + c - DECAY_Y


def test_a_fixed_length_vector_beside_data_takes_the_quick_path(monkeypatch):
    """``least_squares``'s ``res(p)`` with ``a, b, c = p`` over module data: p's components
    are the loops' numbers, read by the quick path (was the general one, 13 us a call);
    the same bits; other calls keep the general path's checks."""
    from pyexpr import calling
    f = px.jit(decay_residuals)
    jac = f.jacobian(wrt="p")
    p = np.array([1.0, 1.1, 0.2])
    want, want_jac = f(p), jac(p)

    def refused(*args, **kwargs):
        raise AssertionError("the general path")
    monkeypatch.setattr(calling, "bind", refused)
    assert f(p).tobytes() == want.tobytes() and jac(p).tobytes() == want_jac.tobytes()
    monkeypatch.undo()
    np.testing.assert_allclose(want, decay_residuals(p), rtol=1e-14, atol=1e-15)
    assert f(list(p)).tobytes() == want.tobytes()             # a list: the general path
    with pytest.raises(ValueError, match="decay_residuals.*'p'"):
        f(np.ones(4))
