"""The ``python -m pyexpr`` command line: ``demo``, ``show`` and ``accuracy``.

``main(argv=None)`` parses the arguments, runs the subcommand and returns the
exit status: 0 on success, 1 for a formula error (unsupported syntax, a free
name, no code generator, a file that fails to import), 2 for a usage error (a
missing file or function, a variable that is not an argument, bad options).
Every error is one line on stderr; an ``UnsupportedSyntaxError`` reads
``file:line:col: message`` like a compiler's.
"""
import argparse
import importlib.util
import inspect
import itertools
import os
import sys

USAGE_ERROR, FORMULA_ERROR = 2, 1
SHOW = "python -m pyexpr show"
ACCURACY = "python -m pyexpr accuracy"

SHOW_EPILOG = """\
examples:
  python -m pyexpr show model.py:energy
  python -m pyexpr show model.py:energy --grad --latex
  python -m pyexpr show model.py:energy --diff x --diff y      two first partials
  python -m pyexpr show model.py:energy --diff x y             one mixed partial d2/dxdy
  python -m pyexpr show model.py:energy --diff x 2 --python    d2/dx2 as Python source

Each --diff takes the arguments of Formula.diff: variable names, each
optionally followed by a count. Repeat --diff for several derivatives, and
write FILE.py:NAME before the options (a --diff list ends at the next option).
The formula is printed first, then each derivative asked for, each in text
and in every format asked for (--pretty, --latex, --python, --llvm, --cuda).
Exit status: 0 ok, 1 formula error, 2 usage error."""


class CLIError(Exception):
    """A failure to report as one line on stderr with exit status ``code``."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser():
    """The argument parser of ``python -m pyexpr`` and its subcommands."""
    from . import __version__
    parser = _Parser(prog="python -m pyexpr", description=(
        "pyexpr turns plain Python math into readable formulas, exact derivatives "
        "and fast compiled code."))
    parser.add_argument("--version", action="version", version=f"pyexpr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser("demo", help="a guided tour: a formula, its derivatives, its speed",
                          description="Decorate a damped oscillator, print it and its "
                          "derivatives, and time it against numpy. Set PYEXPR_DEMO_N (or "
                          "--points) for fewer points.")
    demo.add_argument("--points", type=_positive_int, default=None, metavar="N",
                      help="points to evaluate (default $PYEXPR_DEMO_N or 10000000)")
    show = sub.add_parser("show", help="print the formula of a function in a file, and its derivatives",
                          description="Print the formula of a @px.jit or plain function "
                          "defined in a Python file.", epilog=SHOW_EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument("target", metavar="FILE.py[:NAME]",
                      help="the file and the function in it (NAME may be left out when "
                      "the file defines exactly one formula or function)")
    show.add_argument("--diff", action="append", nargs="+", default=[], metavar="VAR",
                      help="a partial derivative: VAR [COUNT] [VAR [COUNT] ...]; repeatable")
    show.add_argument("--grad", action="store_true", help="the gradient")
    show.add_argument("--hessian", action="store_true", help="the Hessian")
    show.add_argument("--jacobian", action="store_true", help="the Jacobian (multi-output)")
    show.add_argument("--pretty", action="store_true", help="also print in 2-D (unicode)")
    show.add_argument("--latex", action="store_true", help="also print as LaTeX")
    show.add_argument("--python", action="store_true", help="also print as standalone Python")
    show.add_argument("--llvm", action="store_true", help="also print the optimized LLVM IR")
    show.add_argument("--cuda", action="store_true", help="also print the generated CUDA C")
    _accuracy_parser(sub)
    return parser


ACCURACY_EPILOG = """\
examples:
  python -m pyexpr accuracy model.py:softplus --range x=-800:800
  python -m pyexpr accuracy model.py:energy --range x=0:1 --range y=-inf:inf --points 5000
  python -m pyexpr accuracy model.py:energy --range x=-10:10 --uniform --dtype float32

Each argument ranges over --range NAME=LO:HI (inf and -inf allowed); one left
out ranges over every finite float. Points are uniform over the floats in the
range (every binade alike) unless --uniform. Errors are against mpmath at
adaptive precision, in ULPs and in bits (log2(1 + ULPs)), for the formula and
each first partial derivative, with and without the stability rewrites.
Exit status: 0 ok, 1 formula error, 2 usage error."""


def _accuracy_parser(sub):
    acc = sub.add_parser("accuracy", help="measure a formula's error in ULPs against mpmath",
                         description="Measure the error of a @px.jit or plain function "
                         "defined in a Python file, and of its first partial derivatives, "
                         "with and without the stability rewrites.", epilog=ACCURACY_EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    acc.add_argument("target", metavar="FILE.py[:NAME]", help="the file and the function in it")
    acc.add_argument("--range", action="append", default=[], metavar="NAME=LO:HI", dest="ranges",
                     type=_range, help="the range of one argument; repeatable")
    acc.add_argument("--points", type=_positive_int, default=1000, metavar="N",
                     help="points to sample (default 1000)")
    acc.add_argument("--seed", type=int, default=0, help="the sampling seed (default 0)")
    acc.add_argument("--uniform", action="store_true", help="sample uniformly over the reals")
    acc.add_argument("--dtype", choices=("float64", "float32"), default=None,
                     help="the dtype to compile for (default: the formula's)")
    acc.add_argument("--no-derivatives", action="store_true", help="the formula only")
    acc.add_argument("--worst", type=int, default=3, metavar="K",
                     help="worst points listed per output (default 3)")


def _range(text):
    name, eq, span = text.partition("=")
    lo, colon, hi = span.partition(":")
    try:
        if not (eq and colon and name.isidentifier()):
            raise ValueError
        return name, (float(lo), float(hi))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not NAME=LO:HI: {text!r}") from None


def _positive_int(text):
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv=None):
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return USAGE_ERROR
    try:
        if args.command == "demo":
            from . import demo
            return demo.run(args.points)
        if args.command == "accuracy":
            return accuracy(args)
        return show(args)
    except CLIError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code


# --- show ---------------------------------------------------------------------------

FORMATS = (("pretty", "pretty", lambda f: f.pretty()),
           ("latex", "LaTeX", lambda f: f.latex()),
           ("python", "Python", lambda f: f.python_source.rstrip()),
           ("llvm", "LLVM IR", lambda f: f.llvm_ir.rstrip()),
           ("cuda", "CUDA C", lambda f: f.cuda_source.rstrip()))


def show(args):
    """``show``: print the formula, the derivatives asked for, in the formats asked for."""
    path, name = split_target(args.target)
    formula = load_formula(path, name)
    print("\n\n".join(render(item, args) for item in derived(formula, args)))
    return 0


def split_target(target, prog=SHOW):
    """``(path, name or None)`` from ``FILE.py[:NAME]``."""
    path, sep, name = target.rpartition(":")
    if not sep or os.sep in name or name.endswith(".py"):
        path, name = target, None
    elif not name.isidentifier():
        raise CLIError(USAGE_ERROR, f"{prog}: error: {name!r} is not a Python name "
                                    f"(write FILE.py:NAME)")
    if not os.path.isfile(path):
        raise CLIError(USAGE_ERROR, f"{prog}: error: no such file: {path}")
    return path, name


def load_module(path, prog=SHOW):
    """Import the file at ``path`` as a fresh module with a unique name."""
    unique = f"_pyexpr_show_{next(_COUNTER)}_{abs(hash(os.path.abspath(path)))}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise CLIError(USAGE_ERROR, f"{prog}: error: cannot import {path} (not a Python file)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)          # sibling imports work as with `python FILE.py`
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise formula_error(exc, path, importing=True) from None
    return module


_COUNTER = itertools.count()


def load_formula(path, name, prog=SHOW):
    """The Formula ``name`` of the file at ``path`` (jit-compiled if it is a plain function)."""
    from . import Formula, jit
    module = load_module(path, prog)
    if name is None:
        name = _only_candidate(module, path, prog)
    if not hasattr(module, name):
        known = ", ".join(_candidates(module)) or "none"
        raise CLIError(USAGE_ERROR, f"{prog}: error: {path} has no function {name!r} "
                                    f"(its functions and formulas: {known})")
    obj = getattr(module, name)
    if isinstance(obj, Formula):
        return obj
    if not inspect.isfunction(obj):
        raise CLIError(USAGE_ERROR, f"{prog}: error: {path}:{name} is a "
                                    f"{type(obj).__name__}, not a function")
    try:
        return jit(obj)
    except Exception as exc:
        raise formula_error(exc, path) from None


def _candidates(module):
    from . import Formula
    return [k for k, v in vars(module).items() if not k.startswith("_") and (
        isinstance(v, Formula) or (inspect.isfunction(v) and v.__module__ == module.__name__))]


def _only_candidate(module, path, prog):
    from . import Formula
    names = _candidates(module)
    formulas = [k for k in names if isinstance(getattr(module, k), Formula)]
    for group in (formulas, names):
        if len(group) == 1:
            return group[0]
    listed = ", ".join(formulas or names) or "none"
    raise CLIError(USAGE_ERROR, f"{prog}: error: name the function as {path}:NAME "
                                f"(candidates: {listed})")


def formula_error(exc, path, importing=False):
    """The one-line ``CLIError`` for an exception raised by the user's file or by pyexpr."""
    from . import PyExprError, UnsupportedSyntaxError
    if isinstance(exc, SyntaxError):
        kind = "" if isinstance(exc, UnsupportedSyntaxError) else "invalid Python: "
        where = f"{_as_given(exc.filename, path)}:{exc.lineno or 0}:{exc.offset or 0}"
        return CLIError(FORMULA_ERROR, f"{where}: {kind}{exc.msg}")
    if isinstance(exc, (PyExprError, NameError)):
        kind = "NameError" if isinstance(exc, NameError) else type(exc).__name__
        return CLIError(FORMULA_ERROR, f"{path}: {kind}: {_one_line(exc)}")
    what = "importing it raised" if importing else "error"
    return CLIError(FORMULA_ERROR, f"{path}: {what} {type(exc).__name__}: {_one_line(exc)}")


def _as_given(filename, path):
    """``path`` as the user typed it when ``filename`` names the same file."""
    try:
        return path if filename and os.path.samefile(filename, path) else (filename or path)
    except OSError:
        return filename


def _one_line(exc):
    return " ".join(str(exc).split())


def derived(formula, args):
    """The formula, then each derivative asked for, as Formulas."""
    items = [formula]
    for spec in args.diff:
        parsed = [int(s) if s.isdigit() else s for s in spec]
        for var in parsed:
            if isinstance(var, str) and var not in {a.name for a in formula.args}:
                raise CLIError(USAGE_ERROR, f"{SHOW}: error: --diff {var}: not an argument "
                                            f"of {formula._signature()}")
        items.append(_calculus(formula, "diff", *parsed))
    for flag in ("grad", "hessian", "jacobian"):
        if getattr(args, flag):
            items.append(_calculus(formula, flag))
    return items


def _calculus(formula, method, *spec):
    try:
        return getattr(formula, method)(*spec)
    except (ValueError, TypeError, NotImplementedError) as exc:
        code = USAGE_ERROR if method == "diff" else FORMULA_ERROR
        raise CLIError(code, f"{SHOW}: error: {_one_line(exc)}") from None


def render(formula, args):
    """The text of one formula followed by each format asked for."""
    from . import PyExprError
    parts = [str(formula)]
    if formula.rewrites:            # what is printed is what runs: say how it differs from the source
        parts.append(f"# stability rewrites of {formula.name} (stable=False turns them off)\n"
                     + "\n".join(f"  {r}" for r in formula.rewrites))
    for flag, title, fn in FORMATS:
        if not getattr(args, flag):
            continue
        try:
            text = fn(formula)
        except (PyExprError, ImportError, NotImplementedError) as exc:
            raise CLIError(FORMULA_ERROR, f"{formula.name}: no {title} output: "
                                          f"{type(exc).__name__}: {_one_line(exc)}") from None
        parts.append(f"# {title} of {formula.name}\n{text}")
    return "\n".join(parts)


# --- accuracy -----------------------------------------------------------------------

def accuracy(args):
    """``accuracy``: the error report of the formula and its first partials."""
    from . import jit
    from .ulp import accuracy as measure
    path, name = split_target(args.target, ACCURACY)
    formula = load_formula(path, name, ACCURACY)
    if getattr(formula, "open", None):
        raise CLIError(USAGE_ERROR, f"{ACCURACY}: error: {formula.name} takes vectors of any length "
                                    f"({', '.join(formula.open)}); accuracy measures formulas of numbers "
                                    "(a vector of fixed length is its numbers)")
    ranges = dict(args.ranges)
    unknown = sorted(set(ranges) - set(formula.arg_names))
    if unknown:
        raise CLIError(USAGE_ERROR, f"{ACCURACY}: error: --range {unknown[0]}: not an argument "
                                    f"of {formula._signature()}")
    if args.dtype is not None and args.dtype != formula.options["dtype"]:
        formula = jit(formula, dtype=args.dtype)
    try:
        report = measure(formula, points=args.points, seed=args.seed,
                         derivatives=not args.no_derivatives, worst=args.worst,
                         sample_by="uniform" if args.uniform else "floats", **ranges)
    except ValueError as exc:
        raise CLIError(USAGE_ERROR, f"{ACCURACY}: error: {_one_line(exc)}") from None
    print(report)
    return 0
