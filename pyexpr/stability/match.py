"""Matching the rules' patterns against sympy expressions.

A pattern is a sympy expression in pattern variables (``VARIABLES``: ``a``,
``b``, ``c``, ``rest``).  Unlike sympy's ``match``, which solves for its
wildcards (``exp(x) - 2`` matches ``exp(a) - 1 + r`` with ``r = -1``), this
matcher is structural, with three allowances that canonical forms need:

* ``Add`` and ``Mul`` match commutatively, term for term; ``rest`` takes the
  terms no other part of the pattern took (none: 0 in a sum, 1 in a
  product), and so does the last unbound variable of a pattern without
  ``rest`` (``log(1 + a)`` matches ``log(x + y + 1)`` with ``a = x + y``).
* A product with a numeric coefficient matches after dividing it out:
  ``-c*erf(a)`` matches ``-0.5*erf(x)`` with ``c = 0.5``, and ``exp(-a)``
  matches ``exp(x)`` with ``a = -x``.
* A product's unbound variable may be 1 (``c*exp(a)`` matches ``exp(x)``).
* An integer power of a variable, ``a**k`` (``k`` > 1), also matches a power
  ``u**m`` whose exponent is an integer multiple of ``k``, as ``a = u**(m/k)``
  (``a**2`` matches ``h**-8`` with ``a = h**-4``, ``x**4`` with ``a = x**2``):
  an identity for every real ``u``, as ``m/k`` is an integer.  (Not roots:
  ``sqrt(a)`` is no ``x**3``.)

Numbers match equal numbers only.  ``matches(pattern, expr)`` yields every
binding (a dict), so a rule may check a condition on each.
"""
import sympy

VARIABLES = {name: sympy.Symbol(f"_{name}_") for name in ("a", "b", "c", "rest")}
REST = VARIABLES["rest"]
_VARS = frozenset(VARIABLES.values())


def matches(pattern, expr, bound=None):
    """Every binding of the pattern's variables under which ``pattern`` is ``expr``;
    a pattern that is a class matches its instances whole, as ``rest``."""
    if isinstance(pattern, type):
        if isinstance(expr, pattern):
            yield {**(bound or {}), REST: expr}
        return
    yield from _match(pattern, expr, dict(bound or {}))


def _match(p, e, b):
    if p in _VARS:
        if p not in b:
            yield {**b, p: e}
        elif b[p] == e:
            yield b
    elif p.is_Number:
        if e.is_Number and p == e:
            yield b
    elif p.is_Add:
        yield from _commutative(list(p.args), _terms(e, sympy.Add), b, sympy.Add)
    elif p.is_Mul:
        yield from _product(p, e, b)
    elif p.is_Pow and p.base in _VARS and p.exp.is_Integer and p.exp > 1 and e.is_Pow \
            and e.exp.is_Number and e.exp != p.exp:
        multiple = e.exp / p.exp
        if multiple.is_Integer:
            yield from _match(p.base, e.base ** multiple, b)
    elif not p.args:
        if p == e:
            yield b
    elif _same_head(p, e) and len(p.args) == len(e.args):
        yield from _sequence(p.args, e.args, b)


def _same_head(p, e):
    # pyexpr's erfc is sympy's, minus an evaluation: either may meet the other
    return isinstance(e, p.func) or isinstance(p, e.func)


def _sequence(ps, es, b):
    if not ps:
        yield b
        return
    for b1 in _match(ps[0], es[0], b):
        yield from _sequence(ps[1:], es[1:], b1)


def _terms(e, cls):
    return list(e.args) if isinstance(e, cls) else [e]


def _product(p, e, b):
    coeff, factors = p.as_coeff_mul()
    yield from _commutative(list(factors), _factors_over(e, coeff), b, sympy.Mul)


def _factors_over(e, coeff):
    """The factors of ``e/coeff``; for a product, without building the quotient (a sympy
    product costs tens of microseconds, and a sum's terms are matched pairwise)."""
    if coeff == 1:
        return _terms(e, sympy.Mul)
    if not e.is_Mul:
        return _terms(e / coeff, sympy.Mul)
    # a canonical product keeps its number first, and never multiplies a lone sum
    number, others = (e.args[0], e.args[1:]) if e.args[0].is_Number else (sympy.S.One, e.args)
    ratio = number / coeff
    return list(others) if ratio == 1 else [ratio, *others]


#: sums longer than this are not searched for two related terms (two parts of a
#: pattern, or a part and a variable it binds): the search is quadratic in the
#: terms (a loop unrolled 1,500 times would take minutes)
MAX_PAIRED_TERMS = 64


def _commutative(ps, es, b, cls):
    """Match the pattern terms ``ps`` against distinct terms of ``es``, each variable
    last (those bound by then match one term), ``rest`` or the last free variable
    taking what is left."""
    ps = sorted(ps, key=lambda t: (t in _VARS, t is REST))
    # every pattern term but the last variable (which takes what is left) is one term
    singles = len(ps) - (ps[-1] in _VARS)
    if len(es) > MAX_PAIRED_TERMS and singles > 1:
        return
    yield from _assign(ps, es, b, cls)


def _assign(ps, es, b, cls):
    if not ps:
        if not es:
            yield b
        return
    head, tail = ps[0], ps[1:]
    if head in _VARS and head not in b and (head is REST or not tail and REST not in ps):
        if es or head is REST or cls is sympy.Mul:
            yield from _match(head, cls(*es), b)
        return
    if head in b and b[head] == cls.identity:      # a bound 1 (or 0) needs no factor (term)
        yield from _assign(tail, es, b, cls)
    for i, term in enumerate(es):
        for b1 in _match(head, term, b):
            yield from _assign(tail, es[:i] + es[i + 1:], b1, cls)
