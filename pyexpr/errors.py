"""The exceptions pyexpr raises.

Every error says what went wrong, where, and what to write instead.
``UnsupportedSyntaxError`` is a real ``SyntaxError``: it carries the user's
file name, absolute line, column and source line, so Python's traceback shows
the offending code with a caret under it.
"""


class PyExprError(Exception):
    """Base class of every error pyexpr raises on its own account."""


class UnsupportedSyntaxError(PyExprError, SyntaxError):
    """Python that has no meaning as a formula (``while`` loops, I/O, ...)."""

    def __init__(self, message, filename=None, lineno=None, offset=None, text=None, hint=None):
        self.hint = hint
        full = f"{message}; {hint}" if hint else message
        SyntaxError.__init__(self, full, (filename, lineno, offset, text))

    def __str__(self):
        where = f"{self.filename}, line {self.lineno}" if self.filename else f"line {self.lineno}"
        if self.offset:
            where += f", column {self.offset}"
        return f"{self.msg} ({where})"


class LoweringError(PyExprError, NotImplementedError):
    """A formula that prints and differentiates but has no code generator yet."""


class GPUUnavailableError(PyExprError, RuntimeError):
    """``target="cuda"`` where pycuda, the CUDA driver or a GPU is missing."""
