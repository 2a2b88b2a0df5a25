"""The annotations that pin a parameter's kind: ``x: Vector``, ``p: Vector[3]``,
``A: Matrix``, ``mu: float`` (read by the front end through ``pinned``; no sympy here, so that a
script's annotations do not load it)."""


#: what ``pinned`` says of ``x: float``
NUMBER = "number"


class _VectorType(type):
    def __getitem__(cls, length):
        if not (isinstance(length, int) and length >= 1):
            raise TypeError(f"Vector[{length!r}]: the length must be a positive integer")
        return _Fixed(length)


class Vector(metaclass=_VectorType):
    """An annotation pinning a parameter's kind: ``x: Vector`` is a vector of any length
    (data passed to an elementwise formula, which would otherwise broadcast as a number),
    ``p: Vector[3]`` one of three elements."""
    length = None


class _Fixed(Vector):
    def __init__(self, length):
        self.length = length

    def __repr__(self):
        return f"Vector[{self.length}]"


class Matrix:
    """An annotation: ``A: Matrix`` is a matrix of any shape (a two-dimensional array)."""


def pinned(annotation):
    """``"open"``, ``"matrix"``, a fixed length, ``"number"`` (``x: float``: a number beside
    arrays, which would otherwise be a vector), or None for an annotation that pins nothing."""
    if annotation is float:
        return NUMBER
    if annotation is Vector:
        return "open"
    if annotation is Matrix:
        return "matrix"
    if isinstance(annotation, _Fixed):
        return annotation.length
    return None
