"""Functions outside the formula subset, for the error tests.

Each offending line ends with a ``# <- name`` marker; the tests find the line
number from the marker, so the expected locations stay right when this file
changes.  All of these are valid Python and run as plain functions.
"""
import math

import numpy as np

import pyexpr as px

COUNTER = [0]
NOT_A_NUMBER = "text"


def uses_while(x):
    while x > 1:  # <- while
        x = x / 2
    return x


def recursive(x, n):
    if n > 0:
        return recursive(x, n - 1) * x  # <- recursion
    return 1.0


def for_over_data(x):
    s = 0
    for v in x:  # <- for_data
        s = 0.5 * s + v
    return s


def for_over_parameter_range(x, n):
    s = 0
    for i in range(n):  # <- range_param
        s = s + x
    return s


def prints(x):
    print(x)  # <- print
    return x


def unknown_call(x):
    return math.factorial(x)  # <- unknown_call


def sinc_call(x, y):
    return np.sinc(x)  # <- sinc


def isclose_call(x, y):
    return 1.0 if math.isclose(x, y) else 0.0  # <- isclose


def plain_helper(x):
    return x + 1


def plain_call(x):
    return plain_helper(x) * 2  # <- plain_call


def numbers_anded(x, y):
    return 1.0 if x > 0 & y > 0 else 0.0  # <- numbers_anded


def xor_for_power(x):
    return x ^ 2  # <- xor_power


def invert_constant(x):
    return x if ~(2 > 1) else -x  # <- invert_constant


def one_argument_where(x):
    return np.where(x > 0)  # <- where1


def select_mismatch(x):
    return np.select([x > 0, x > 1], [x])  # <- select


def attribute_assignment(x):
    math.tau = x  # <- attr_assign
    return x


def item_assignment(x):
    COUNTER[0] = x  # <- item_assign
    return x


def uses_global(x):
    global COUNTER  # <- global
    return x


def uses_nonlocal():
    y = 1.0

    def inner(x):
        nonlocal y  # <- nonlocal
        return x + y
    return inner


nonlocal_inner = uses_nonlocal()


def uses_try(x):
    try:  # <- try
        return math.sqrt(x)
    except ValueError:
        return 0.0


def uses_yield(x):
    yield x  # <- yield


def star_args(*xs):  # <- star_args
    return xs[0]


def star_kwargs(x, **kw):  # <- star_kwargs
    return x


def keyword_only(x, *, y=1.0):  # <- kwonly
    return x + y


def uses_string(x):
    label = "x"  # noqa: F841  # <- string
    return x


def uses_fstring(x):
    return f"{x}"  # <- fstring


def list_comprehension(x):
    squares = [v * v for v in x]  # <- listcomp
    return squares


def nested_def(x):
    def inner(y):  # <- nested_def
        return y * 2
    return inner(x)


def nested_class(x):
    class Inner:  # <- nested_class
        pass
    return x


def expression_statement(x):
    x + 1  # <- expr_stmt
    return x


def string_global(x):
    return x * NOT_A_NUMBER  # <- str_global


def unknown_name(x):
    return x * not_defined_anywhere  # noqa: F821  # <- unknown_name


def one_sided(x):
    if x > 0:
        y = x
    return y  # <- one_sided


def no_return(x):  # <- no_return
    y = x * 2  # noqa: F841


def indented_method_host():
    class Host:
        @staticmethod
        def method(x):
            while x:  # <- indented_while
                x = x - 1
            return x
    return Host.method


indented_while = indented_method_host()


def branches_of_different_shapes(x):
    if x > 0:  # <- shapes
        return x, x
    return x


@px.jit
def helper(x, y=1.0):
    return x + y


def calls_helper_badly(x):
    return helper(x, 1.0, 2.0)  # <- bad_inline_call


def fractional_arange(x):
    return np.sum(np.arange(0.0, 1.0, 0.25) * x[:4])  # <- fractional_arange


def parameter_named_out(x, out=0.5):  # <- param_out
    return x * out
