"""The x86-64 vector function ABI: which libmvec function computes an op on W lanes.

glibc's libmvec exports SIMD versions of libm functions under names that
encode the ISA, the lane count and the parameters, e.g. ``_ZGVdN4v_exp``
(AVX2, 4 lanes, one vector argument) or ``_ZGVeN16vv_powf`` (AVX-512, 16
float lanes, two).  This module is the table of those names and nothing
else: which ops have a vector variant (``VECTOR_FUNCTIONS``), how an ISA
spells itself (``ISAS``), and the ``VectorTarget`` a code generator is handed.
Finding out what the host runs and which symbols resolve is ``engine``'s job
(``host.vector_target``).

    >>> t = VectorTarget("avx2", frozenset({"_ZGVdN4v_exp", "_ZGVdN8vv_powf"}))
    >>> t.lanes("float64"), t.lanes("float32")
    (4, 8)
    >>> t.symbol("exp", "float64"), t.symbol("pow", "float32"), t.symbol("sin", "float64")
    ('_ZGVdN4v_exp', '_ZGVdN8vv_powf', None)
"""
from collections import namedtuple

#: op -> (libm name, number of vector arguments).  An op missing here (or a
#: symbol the host's libmvec lacks) is computed lane by lane with scalar libm.
VECTOR_FUNCTIONS = {
    **{op: (op, 1) for op in
       "exp exp2 expm1 log log2 log10 log1p sin cos tan asin acos atan "
       "sinh cosh tanh asinh acosh atanh cbrt erf erfc".split()},
    "pow": ("pow", 2), "atan2": ("atan2", 2), "hypot": ("hypot", 2),
}


#: One x86 vector ISA: its ABI letter, register width and the CPU features it needs.
ISA = namedtuple("ISA", "name letter bits features")


#: widest first: the host gets the first one whose features it has
ISAS = {isa.name: isa for isa in (
    ISA("avx512", "e", 512, ("avx512f",)),
    ISA("avx2", "d", 256, ("avx2", "fma")),
    ISA("sse", "b", 128, ("sse2",)),
)}


def lanes(isa, dtype):
    """Lanes of one vector register of ``dtype`` elements."""
    return ISAS[isa].bits // (64 if dtype == "float64" else 32)


def mangle(isa, dtype, op):
    """The vector ABI symbol of ``op`` (a key of ``VECTOR_FUNCTIONS``)."""
    name, arity = VECTOR_FUNCTIONS[op]
    suffix = "" if dtype == "float64" else "f"
    return f"_ZGV{ISAS[isa].letter}N{lanes(isa, dtype)}{'v' * arity}_{name}{suffix}"


def all_symbols(isa):
    """Every symbol ``isa`` could call, both dtypes: what ``engine`` checks the host for."""
    return [mangle(isa, dtype, op) for dtype in ("float64", "float32") for op in VECTOR_FUNCTIONS]


class VectorTarget(namedtuple("VectorTarget", "isa available")):
    """What vector code may use: the ISA's name and the vector symbols (a frozenset) that resolve."""

    __slots__ = ()

    def lanes(self, dtype):
        return lanes(self.isa, dtype)

    def symbol(self, op, dtype):
        """The vector function computing ``op`` on ``lanes(dtype)`` lanes, or None."""
        if op not in VECTOR_FUNCTIONS:
            return None
        name = mangle(self.isa, dtype, op)
        return name if name in self.available else None
