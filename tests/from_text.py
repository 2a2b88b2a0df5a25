"""Formulas from a line of text: ``jit_text("math.log(1 + x)")`` is ``px.jit`` of
``def f(x, y, z): return math.log(1 + x)``, with the source registered so pyexpr can
read it (as it reads a file's)."""
import itertools
import linecache
import math

import numpy as np

import pyexpr as px

_COUNTER = itertools.count()


def jit_text(text, params="x, y, z", **options):
    source = f"def f({params}):\n    return {text}\n"
    filename = f"<formula from text {next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"math": math, "np": np}
    exec(compile(source, filename, "exec"), namespace)
    return px.jit(namespace["f"], **options)
