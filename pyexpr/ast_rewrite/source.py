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
import linecache
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
    found = _def_block(func) if func.__name__ != "<lambda>" else None
    if found is None:
        lines, first_line = _inspect_lines(func)
        raw = "".join(lines)
        text = textwrap.dedent(raw)
        tree = _parse(text, func)
    else:
        raw, text, tree, first_line = found
    indent = _indent(raw) - _indent(text)
    filename = inspect.getsourcefile(func) or func.__code__.co_filename
    node = _find_lambda(tree, func, indent) if func.__name__ == "<lambda>" else _find_def(tree, func)
    if isinstance(node, ast.FunctionDef):
        # decorators and annotations are not part of the formula
        node.decorator_list, node.returns = [], None
        for arg in node.args.args:
            arg.annotation = None
    return Source(node, filename, max(first_line, 1), indent, tuple(text.splitlines()))


def _inspect_lines(func):
    try:
        return inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise PyExprError(
            f"cannot read the source of {getattr(func, '__qualname__', func)!r} ({exc}); "
            "define it in a file (not an interactive prompt or exec), or build it with "
            "pyexpr.from_sympy") from None


def _def_block(func, tries=4):
    """``(raw, dedented, tree, first_line)`` of a def, found by indentation, or None.

    ``inspect.getsourcelines`` tokenizes (its first use compiles tokenize's
    patterns, about 10 ms); a def's block ends at the first line indented no
    deeper than its header that leaves the text parseable (a line inside
    brackets or a string that is less indented leaves it unparseable), which
    one ``ast.parse`` checks.  Anything unusual returns None: inspect decides.
    """
    code = func.__code__
    lines = linecache.getlines(code.co_filename, getattr(func, "__globals__", None))
    start = code.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return None
    depth = _indent(lines[start])
    ends = [i for i in range(start + 1, len(lines))
            if lines[i].strip() and not lines[i].lstrip().startswith("#") and _indent(lines[i]) <= depth]
    for end in (ends[:tries] + [len(lines)]):
        raw = "".join(lines[start:end])
        text = textwrap.dedent(raw)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        if any(isinstance(n, ast.FunctionDef) and n.name == func.__name__ for n in tree.body):
            return raw, text, tree, start + 1
        return None
    return None


def _indent(text):
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return len(first) - len(first.lstrip())


def _parse(text, func):
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    # a lambda's lines can be part of a longer statement: an expression in brackets, a
    # call's keyword arguments, a dict's entries; close them as such (one line added above)
    for opening, closing in _ENCLOSINGS:
        try:
            tree = ast.parse(f"{opening}\n{text}\n{closing}")
        except SyntaxError:
            continue
        ast.increment_lineno(tree, -1)
        return tree
    try:
        return ast.parse(text.rstrip().rstrip(","))
    except SyntaxError:
        raise PyExprError(f"cannot parse the lines of {func.__qualname__} on their own; "
                          "write the lambda on a line of its own (f = lambda ...) or use a def") from None


_ENCLOSINGS = [("(", ")"), ("f(", ")"), ("{", "}"), ("[", "]")]


def _find_def(tree, func):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == func.__name__:
            return node
    raise PyExprError(f"cannot find the definition of {func.__qualname__} in its source")


def _find_lambda(tree, func, indent):
    code = func.__code__
    params = list(code.co_varnames[:code.co_argcount])
    # the text starts at the lambda's first line: one starting on a later line is another
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == 1
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
