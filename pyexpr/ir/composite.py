"""The numerically stable functions, written with other Program ops.

The registry (``ir.ops``) lists them with cost ``"composite"``: ``from_sympy``
lowers each through ``EXPANSIONS[name](emit, const, *values)`` (``emit(op,
*values)`` appends an instruction, ``const(value)`` a constant; both return
value ids), so every code generator runs them with the ops it already has.
Each expansion is the textbook stable form of its function: no intermediate
overflows where the result is finite, no cancellation where it is small,
and C's special values (inf, nan, signed zero aside) at the edges.
"""
import math

LOG2 = math.log(2.0)


def softplus(emit, const, x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exp never overflows, and for
    negative x the small result keeps its relative accuracy."""
    tail = emit("log1p", emit("exp", emit("neg", emit("fabs", x))))
    return emit("add", emit("max", x, const(0.0)), tail)


def sigmoid(emit, const, x):
    """1/(1 + exp(-x)); with e = exp(-|x|), 1/(1 + e) for x >= 0 and e/(1 + e) below,
    so tiny values are not 1 - (1 - value)."""
    e = emit("exp", emit("neg", emit("fabs", x)))
    d = emit("add", const(1.0), e)
    return emit("select", emit("ge", x, const(0.0)), emit("div", const(1.0), d), emit("div", e, d))


def logit(emit, const, x):
    """log(x/(1 - x)); within 1/4 of 1/2, where the ratio is near 1, as
    log1p((2x - 1)/(1 - x)) (2x - 1 and 1 - x are exact there)."""
    one = const(1.0)
    complement = emit("sub", one, x)
    ratio = emit("log", emit("div", x, complement))
    near = emit("log1p", emit("div", emit("sub", emit("add", x, x), one), complement))
    far = emit("gt", emit("fabs", emit("sub", x, const(0.5))), const(0.25))
    return emit("select", far, ratio, near)


def log1mexp(emit, const, x):
    """log(1 - exp(x)) for x <= 0 (Maechler's rule): log(-expm1(x)) above -log(2),
    where 1 - exp(x) cancels, else log1p(-exp(x))."""
    upper = emit("log", emit("neg", emit("expm1", x)))
    lower = emit("log1p", emit("neg", emit("exp", x)))
    return emit("select", emit("gt", x, const(-LOG2)), upper, lower)


def logaddexp(emit, const, x, y):
    """log(exp(x) + exp(y)) = max(x, y) + log1p(exp(-|x - y|)); where x == y, x + log(2)
    (at x = y = +-inf, x - y is nan)."""
    tail = emit("log1p", emit("exp", emit("neg", emit("fabs", emit("sub", x, y)))))
    general = emit("add", emit("max", x, y), tail)
    return emit("select", emit("eq", x, y), emit("add", x, const(LOG2)), general)


def _x_times(emit, const, x, fy, y):
    """x*fy, but 0 where x == 0 unless y is nan (scipy's xlogy convention):
    0 * clamp(y) carries y's nan and nothing else."""
    zero = emit("mul", const(0.0), emit("min", emit("max", y, const(0.0)), const(1.0)))
    return emit("select", emit("eq", x, const(0.0)), zero, emit("mul", x, fy))


def xlogy(emit, const, x, y):
    """x*log(y), 0 where x == 0 (not 0*log(0) = nan)."""
    return _x_times(emit, const, x, emit("log", y), y)


def xlog1py(emit, const, x, y):
    """x*log1p(y), 0 where x == 0."""
    return _x_times(emit, const, x, emit("log1p", y), y)


#: registry composite -> its expansion
EXPANSIONS = {"softplus": softplus, "sigmoid": sigmoid, "logit": logit, "log1mexp": log1mexp,
              "logaddexp": logaddexp, "xlogy": xlogy, "xlog1py": xlog1py}
