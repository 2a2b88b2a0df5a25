"""Source capture: a Python function -> its AST, with the user's real location.

``capture(func)`` returns a ``Source``: the parsed ``FunctionDef`` (decorators
ignored) or ``Lambda`` node, the file name, and the offsets that turn a node's
``lineno``/``col_offset`` in the dedented text into the absolute line and
column of the user's file.  ``Source.error(node, ...)`` builds the
``UnsupportedSyntaxError`` every later pass raises, so all of them point at
the user's own line.
"""
import ast
import inspect
import textwrap
from dataclasses import dataclass

from ..errors import PyExprError, UnsupportedSyntaxError


@dataclass(frozen=True)
class Source:
    node: ast.AST            # ast.FunctionDef or ast.Lambda
    filename: str
    first_line: int          # absolute line of the text's first line
    indent: int              # columns removed by dedent
    lines: tuple             # the dedented text's lines

    def where(self, node):
        """(absolute line, 1-based column, source line text) of ``node``."""
        rel = getattr(node, "lineno", 1)
        line = self.lines[rel - 1] if 0 < rel <= len(self.lines) else ""
        col = getattr(node, "col_offset", 0) + self.indent + 1
        return rel + self.first_line - 1, col, " " * self.indent + line

    def error(self, node, message, hint=None, cls=UnsupportedSyntaxError):
        lineno, col, text = self.where(node)
        if cls is UnsupportedSyntaxError:
            return UnsupportedSyntaxError(message, self.filename, lineno, col, text, hint)
        full = f"{message} ({self.filename}, line {lineno})"
        return cls(f"{full}; {hint}" if hint else full)


def capture(func):
    """Parse the source of ``func`` (a def or a lambda) into a ``Source``."""
    try:
        lines, first_line = inspect.getsourcelines(func)
        filename = inspect.getsourcefile(func) or func.__code__.co_filename
    except (OSError, TypeError) as exc:
        raise PyExprError(
            f"cannot read the source of {getattr(func, '__qualname__', func)!r} ({exc}); "
            "define it in a file (not an interactive prompt or exec), or build it with "
            "pyexpr.from_sympy") from None
    raw = "".join(lines)
    text = textwrap.dedent(raw)
    indent = _indent(raw) - _indent(text)
    first_line = max(first_line, 1)
    tree = _parse(text, func)
    node = _find_lambda(tree, func, indent) if func.__name__ == "<lambda>" else _find_def(tree, func)
    if isinstance(node, ast.FunctionDef):
        # decorators and annotations are not part of the formula
        node.decorator_list, node.returns = [], None
        for arg in node.args.args:
            arg.annotation = None
    return Source(node, filename, first_line, indent, tuple(text.splitlines()))


def _indent(text):
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return len(first) - len(first.lstrip())


def _parse(text, func):
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    # a lambda's lines can be part of a longer statement: close it in parentheses
    for candidate in (f"(\n{text}\n)", text.rstrip().rstrip(",") ):
        try:
            tree = ast.parse(candidate)
            if candidate.startswith("(\n"):
                ast.increment_lineno(tree, -1)
            return tree
        except SyntaxError:
            continue
    raise PyExprError(f"cannot parse the source of {func.__qualname__}; "
                      "write the lambda on one line or use a def")


def _find_def(tree, func):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == func.__name__:
            return node
    raise PyExprError(f"cannot find the definition of {func.__qualname__} in its source")


def _find_lambda(tree, func, indent):
    code = func.__code__
    params = list(code.co_varnames[:code.co_argcount])
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
             and [a.arg for a in n.args.args] == params]
    if len(found) > 1:      # several lambdas alike on the line: pick by the code's columns
        spans = [p for p in code.co_positions() if None not in p and p[3] > p[2]]
        col = min(p[2] for p in spans) if spans else None      # (RESUME has an empty span)
        by_col = [n for n in found if col is not None and n.body.col_offset + indent <= col
                  < n.body.end_col_offset + indent]
        found = by_col or found
    if not found:
        raise PyExprError(f"cannot find the lambda {params} in its source line")
    return found[0]
