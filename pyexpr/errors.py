"""The exceptions pyexpr raises.

Every error says what went wrong, where, and what to write instead.
``UnsupportedSyntaxError`` is a real ``SyntaxError``: it carries the user's
file name, absolute line, column and source line, so Python's traceback shows
the offending code with a caret under it.

The decorator and the first call are where users meet these errors:
``from_user(error)`` is the error without pyexpr's own frames, so the
traceback ends at the user's line and pyexpr's message (``PYEXPR_DEBUG=1``
keeps every frame).
"""
import os


class PyExprError(Exception):
    """Base class of every error pyexpr raises on its own account."""


class UnsupportedSyntaxError(PyExprError, SyntaxError):
    """Python that has no meaning as a formula (``while`` loops, I/O, ...)."""

    def __init__(self, message, filename=None, lineno=None, offset=None, text=None, hint=None,
                 function=None):
        self.hint, self.function = hint, function
        full = f"{message}; {hint}" if hint else message
        SyntaxError.__init__(self, full, (filename, lineno, offset, text))

    def __str__(self):
        where = f"{self.filename}, line {self.lineno}" if self.filename else f"line {self.lineno}"
        if self.offset:
            where += f", column {self.offset}"
        if self.function:               # a file holds many functions: which one was decorated
            where += f", in {self.function}"
        return f"{self.msg} ({where})"


class UndefinedNameError(PyExprError, NameError):
    """A free name of the function that is bound to nothing (at decoration)."""


class LoweringError(PyExprError, NotImplementedError):
    """A formula that prints and differentiates but has no code generator yet."""


class GPUUnavailableError(PyExprError, RuntimeError):
    """``target="cuda"`` where pycuda, the CUDA driver or a GPU is missing."""


def debugging():
    """Whether ``PYEXPR_DEBUG`` asks for every stage and every frame."""
    return os.environ.get("PYEXPR_DEBUG", "") not in ("", "0")


def from_user(error):
    """``error`` with pyexpr's frames dropped (all kept under ``PYEXPR_DEBUG=1``)."""
    if not debugging():
        error.__traceback__, error.__suppress_context__ = None, True
    return error
