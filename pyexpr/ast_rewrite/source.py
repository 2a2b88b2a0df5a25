"""Source capture: a Python function -> its AST, with the user's real location.

``capture(func)`` returns a ``Source``: the parsed ``FunctionDef`` (decorators
ignored) or ``Lambda`` node, the file name, and the offsets that turn a node's
``lineno``/``col_offset`` in the dedented text into the absolute line and
column of the user's file.  ``Source.error(node, ...)`` builds the
``UnsupportedSyntaxError`` every later pass raises, so all of them point at
the user's own line.
"""
import __future__
import ast
import dis
import inspect
import re
import textwrap
import types
from dataclasses import dataclass

from ..errors import PyExprError, UnsupportedSyntaxError
from . import origins


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
        function = getattr(self.node, "name", "<lambda>")
        if cls is UnsupportedSyntaxError:
            return UnsupportedSyntaxError(message, self.filename, lineno, col, text, hint, function)
        full = f"{message} ({self.filename}, line {lineno}, in {function})"
        return cls(f"{full}; {hint}" if hint else full)


def capture(func):
    """Parse the source of ``func`` (a def or a lambda) into a ``Source``.

    Each text ``origins.texts`` offers is searched for the function, at its
    line first; what is found must compile to the code Python runs
    (``_compiles_to``), so an edited file, another function of the same name
    or a stale cache never stands in for the function's own source.
    """
    code = func.__code__
    lam = func.__name__ == "<lambda>"
    problems = []
    for lines, by_position in origins.texts(func):
        own = code.co_firstlineno - 1 if by_position else None
        for start in _starts(lines, func, lam, own):
            try:
                raw, text, tree, first_line = _block(func, lines, start, lam)
                indent = _indent(raw) - _indent(text)
                nodes = _find_lambdas(tree, func, indent) if lam else [_find_def(tree, func)]
            except PyExprError as exc:
                problems.append(str(exc))
                continue
            for node in nodes:
                if _compiles_to(node, func, text):
                    return _source(node, func, first_line, indent, text)
            if start == own:
                problems.append(_STALE)         # the text at its own line compiles to other code
    raise PyExprError(_unreadable(func, problems))


_STALE = "stale"


def _source(node, func, first_line, indent, text):
    if isinstance(node, ast.FunctionDef):
        # decorators and annotations are not part of the formula
        node.decorator_list, node.returns = [], None
        for arg in node.args.args:
            arg.annotation = None
    filename = func.__code__.co_filename
    if not filename.startswith("<"):
        filename = inspect.getsourcefile(func) or filename
    return Source(node, filename, max(first_line, 1), indent, tuple(text.splitlines()))


def _starts(lines, func, lam, own):
    """Indices of the lines where the function may start: its own line first (``own``,
    or None where positions do not count), for a lambda the lines just above it (the
    start of a statement it continues), then every line that could begin it."""
    starts = [own] if own is not None and 0 <= own < len(lines) else []
    if lam and starts:
        starts += list(range(own - 1, max(own - _LOOK_BACK, 0) - 1, -1))
    header = re.compile(r"(^|\W)lambda\W" if lam else
                        rf"^\s*(async\s+)?def\s+{re.escape(func.__name__)}\s*\(")
    found = [i for i, line in enumerate(lines) if header.search(line) and i not in starts]
    return starts + found[::-1][:_MAX_STARTS]


#: lines above a lambda's own where the statement holding it may start
_LOOK_BACK = 8
#: other places a text is searched at when the function's own line is not it
_MAX_STARTS = 64


def _block(func, lines, start, lam):
    """``(raw, dedented, tree, first_line)`` of the statement starting at ``lines[start]``."""
    found = None if lam else _def_block(func, lines, start)
    if found is not None:
        return found
    try:
        block = inspect.getblock(lines[start:])
    except (SyntaxError, ValueError, IndexError):
        block = lines[start:start + 1]
    raw = "".join(block)
    text = textwrap.dedent(raw)
    return raw, text, _parse(text, func), start + 1


def _def_block(func, lines, start, tries=4):
    """``(raw, dedented, tree, first_line)`` of a def found by indentation, or None.

    A def's block ends at the first line indented no deeper than its header
    that leaves the text parseable (a line inside brackets or a string that
    is less indented leaves it unparseable), which one ``ast.parse`` checks
    (``inspect``'s tokenizer costs about 10 ms on its first use).  Anything
    unusual returns None: ``inspect.getblock`` decides.
    """
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


def _compiles_to(node, func, text):
    """Whether ``node`` (found in ``text``), compiled as Python compiled the function,
    gives its code (the instructions, names and constants; not line numbers).

    Its text is compiled, not the AST (whose conversion recurses in Python: a
    1,000-term sum exceeded the recursion limit), inside what made it: free
    variables become cells of an enclosing function, so that a closure's loads
    are the same instructions; a method sits in its class (private names are
    mangled); the globals that are modules are imported, as the module's imports
    make them (CPython 3.11 then loads ``math.cos`` as an attribute)."""
    code = func.__code__
    segment = ast.get_source_segment(text, node, padded=True)
    if segment is None:
        return False
    segment = textwrap.dedent(segment)
    body = segment if isinstance(node, ast.FunctionDef) else f"_ = (\n{segment}\n)\n"
    owner = _owner_class(func)
    if owner:               # private names (__k) are mangled by the class they are written in
        body = f"class {owner}:\n" + textwrap.indent(body, "    ")
    if code.co_freevars:
        cells = "".join(f"{v} = None\n" for v in code.co_freevars)
        body = "def _enclosing():\n" + textwrap.indent(cells + body, "    ")
    module_globals = getattr(func, "__globals__", None) or {}
    modules = [n for n in code.co_names if isinstance(module_globals.get(n), types.ModuleType)]
    source = "".join(f"import {n}\n" for n in modules) + body
    flags = sum(f.compiler_flag for f in _FUTURES if code.co_flags & f.compiler_flag)
    try:
        compiled = compile(source, code.co_filename, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    candidates = [c for c in _code_objects(compiled) if c.co_name == code.co_name]
    return any(_same_bytes(c, code) for c in candidates) or any(_same_code(c, code) for c in candidates)


def _owner_class(func):
    """The class a function is defined in (``C`` of ``C.f``), or None."""
    parts = getattr(func, "__qualname__", "").split(".")
    return parts[-2] if len(parts) > 1 and parts[-2] != "<locals>" else None


_FUTURES = [getattr(__future__, name) for name in __future__.all_feature_names]


def _code_objects(code):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield const
            yield from _code_objects(const)


def _same_bytes(a, b):
    """The quick answer when the text compiles to the very same code (most functions)."""
    return a.co_code == b.co_code and a.co_names == b.co_names and a.co_varnames == b.co_varnames \
        and a.co_freevars == b.co_freevars and _signature(a) == _signature(b) \
        and len(a.co_consts) == len(b.co_consts) and all(
            _same_bytes(x, y) if isinstance(x, types.CodeType) else
            type(x) is type(y) and repr(x) == repr(y) for x, y in zip(a.co_consts, b.co_consts))


def _same_code(a, b):
    return _shape(a) == _shape(b)


def _shape(code):
    """What a code object does, without what depends on its surroundings: its
    instructions (names and constants by value, jumps by target instruction,
    nested code by its shape), variables and arguments.  A module-level
    ``import math`` turns ``math.cos(x)``'s ``LOAD_METHOD`` into ``LOAD_ATTR``
    (CPython 3.11); line-number NOPs follow the layout of the text."""
    instructions = [i for i in dis.get_instructions(code) if i.opname not in _LAYOUT]
    index = {ins.offset: k for k, ins in enumerate(instructions)}
    steps = []
    for ins in instructions:
        value = ins.argval
        if ins.opcode in _JUMPS:
            value = index.get(value, value)
        elif isinstance(value, types.CodeType):
            value = _shape(value)
        else:
            value = repr(value)                 # tells -0.0 from 0.0, nan from nan
        steps.append((_SAME_AS.get(ins.opname, ins.opname), value))
    return tuple(steps), code.co_varnames, code.co_freevars, code.co_cellvars, _signature(code)


def _signature(code):
    """Parameter counts and kinds (``*args``, ``**kw``, generator, coroutine)."""
    return (code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_flags & _KIND_FLAGS)


#: CO_VARARGS, CO_VARKEYWORDS, CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR
_KIND_FLAGS = 0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200


_LAYOUT = {"NOP", "CACHE", "EXTENDED_ARG"}
_SAME_AS = {"LOAD_METHOD": "LOAD_ATTR"}
_JUMPS = set(dis.hasjrel) | set(dis.hasjabs)


def _unreadable(func, problems):
    name = getattr(func, "__qualname__", func.__name__)
    filename = func.__code__.co_filename
    if _STALE in problems:
        return (f"the source of {name} in {filename} is not the code Python runs: the file was "
                "edited after it was imported (reload the module, e.g. with importlib.reload, "
                "or run the cell again), or an import hook rewrote the function")
    parse = [p for p in problems if p != _STALE]
    if not filename.startswith("<"):
        return parse[0] if parse else (f"the source of {name} is not in {filename} any more: "
                                       "the file was edited after it was imported (reload "
                                       "the module, e.g. with importlib.reload)")
    why = _NO_TEXT.get(filename, _NO_TEXT["<string>"])
    return (f"cannot read the source of {name} (from {filename}): {why}. A formula's function "
            "can live in a file, an IPython or Jupyter cell, the interactive prompt, python -c "
            "or a file given as standard input (python < model.py); or build the formula with "
            "pyexpr.from_sympy")


_NO_TEXT = {
    "<string>": "Python keeps no text of code made by exec() or compile() of a string; to "
                "exec one, register its text in linecache under the file name you compile it "
                "with (see the README)",
    "<stdin>": "the text piped into python was read once and is gone, and this prompt keeps "
               "no history (readline is off); save it to a file and run or redirect that",
}


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


def _find_lambdas(tree, func, indent):
    """The lambdas of ``tree`` with the function's parameters, those at its columns first
    (several lambdas alike on one line; ``capture`` keeps the one that compiles to it)."""
    code = func.__code__
    params = list(code.co_varnames[:code.co_argcount])
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and [a.arg for a in n.args.args] == params]
    spans = [p for p in code.co_positions() if None not in p and p[3] > p[2]]
    col = min(p[2] for p in spans) if spans else None      # (RESUME has an empty span)
    at_col = [n for n in found if col is not None and n.body.col_offset + indent <= col
              < n.body.end_col_offset + indent]
    if not found:
        raise PyExprError(f"cannot find the lambda {params} in its source line")
    return at_col + [n for n in found if n not in at_col]
