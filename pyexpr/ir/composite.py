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


#: erfcx switches to its asymptotic series here, where exp(x*x) is finite in float32
#: (to 9.4) and erfc(x) a normal float32 (to 9.2)
ERFCX_SERIES_FROM = 9.0
#: the series' coefficients, (-1)**k (2k - 1)!!, in powers of 1/(2x**2): at x = 9 the
#: last term is 9e-19 of the first
ERFCX_SERIES = (1.0, -1.0, 3.0, -15.0, 105.0, -945.0, 10395.0, -135135.0, 2027025.0, -34459425.0,
                654729075.0, -13749310575.0, 316234143225.0, -7905853580625.0,
                213458046676875.0, -6190283353629375.0, 1.9189878396251062e+17)
INV_SQRT_PI = 0.5641895835477563


def erfcx(emit, const, x):
    """exp(x**2)*erfc(x): below 9 that product, with x**2 split exactly into h + l
    (fma) and exp(h + l) = exp(h)*(1 + l), so exp's argument carries no rounding
    error (which x**2 would scale by up to 700 ulps); above, 1/(x sqrt(pi)) times
    the asymptotic series."""
    h = emit("mul", x, x)
    low = emit("fma", x, x, emit("neg", h))
    # where exp(h) is finite |l| < 1e-13; where x*x is huge l is not small (the sign
    # of 1 + l would flip inf), and at x = +-inf it is nan: there it is dropped
    low = emit("select", emit("lt", emit("fabs", low), const(1.0)), low, const(0.0))
    near = emit("mul", emit("mul", emit("exp", h), emit("add", const(1.0), low)), emit("erfc", x))
    t = emit("div", const(0.5), h)
    series = const(ERFCX_SERIES[-1])
    for c in reversed(ERFCX_SERIES[:-1]):
        series = emit("add", const(c), emit("mul", t, series))
    far = emit("mul", emit("div", const(INV_SQRT_PI), x), series)
    return emit("select", emit("lt", x, const(ERFCX_SERIES_FROM)), near, far)


#: derfcx's continued fraction: its terms, and where it takes over from the product
DERFCX_TERMS = 60
DERFCX_FRACTION_FROM = 2.0


def derfcx(emit, const, x):
    """erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi), whose terms cancel for large x (20 bits
    at x = 1000): from 2 on, -2/sqrt(pi) r/(x + r) with Laplace's continued fraction
    r = (1/2)/(x + 1/(x + (3/2)/(x + ...))), which has no cancellation."""
    direct = emit("sub", emit("mul", emit("add", x, x), erfcx(emit, const, x)),
                  const(2 * INV_SQRT_PI))
    r = const(0.0)
    for k in range(DERFCX_TERMS, 0, -1):
        r = emit("div", const(k / 2), emit("add", x, r))
    fraction = emit("mul", const(-2 * INV_SQRT_PI), emit("div", r, emit("add", x, r)))
    return emit("select", emit("lt", x, const(DERFCX_FRACTION_FROM)), direct, fraction)


def log_erfc(emit, const, x):
    """log(erfc(x)): log1p(-erf(x)) within 1/2 of 0, where erfc(x) is near 1;
    log(erfcx(x)) - x**2 from 9, where erfc(x) underflows (float32: from 10); else
    log(erfc(x)), whose argument has its full relative accuracy."""
    small = emit("log1p", emit("neg", emit("erf", x)))
    middle = emit("select", emit("lt", emit("fabs", x), const(0.5)), small, emit("log", emit("erfc", x)))
    far = emit("sub", emit("log", erfcx(emit, const, x)), emit("mul", x, x))
    return emit("select", emit("lt", x, const(ERFCX_SERIES_FROM)), middle, far)


#: beyond this |c*r| erfc(c*r) needs no correction: exp(-(c*r)**2) is below every subnormal
ERFC_CORRECTED_BELOW = 27.0


def erfc_of_product(emit, const, r, c, c_high, c_low):
    """erfc(c*r) for a constant ``c`` = ``c_high + c_low`` (``c_high`` a float32, so the
    split holds in both precisions) that the product ``a = c*r`` rounds: erfc's condition
    number is 2a**2 (100 at a = 7), so that rounding alone moves erfc by up to a**2 ulps.
    The product's error ``d = c*r - a`` comes exactly from fma, and one Taylor step
    erfc(a + d) = erfc(a) - d*(2/sqrt(pi))*exp(-a**2) carries it (d/a is 1e-16: the
    next term is below the last bit)."""
    a = emit("mul", const(c), r)
    plain = emit("erfc", a)
    error = emit("add", emit("fma", const(c_high), r, emit("neg", a)), emit("mul", const(c_low), r))
    slope = emit("mul", const(-2 * INV_SQRT_PI), emit("exp", emit("neg", emit("mul", a, a))))
    corrected = emit("fma", error, slope, plain)
    # an infinite or nan product has no error to carry (fma of inf - inf is nan)
    small = emit("lt", emit("fabs", a), const(ERFC_CORRECTED_BELOW))
    return emit("select", small, corrected, plain)


#: registry composite -> its expansion
EXPANSIONS = {"softplus": softplus, "sigmoid": sigmoid, "logit": logit, "log1mexp": log1mexp,
              "logaddexp": logaddexp, "xlogy": xlogy, "xlog1py": xlog1py, "erfcx": erfcx,
              "derfcx": derfcx, "log_erfc": log_erfc}
