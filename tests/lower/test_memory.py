"""Compiled code is freed with its formulas (issue 19, item 6).

Each loaded part is memory mapped; a kernel's code lives as long as a
formula, a kernel or a fast-call builtin that runs it.  Decorating and
dropping many formulas, distinct or alike, leaves the process's map count
and memory bounded.  Measured in fresh processes, whose numbers nothing else
in the test run disturbs.
"""
from pyexpr.cpu import kernel as cpu

SCRIPT = """
import gc, json, sys
import sympy
import pyexpr as px

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

def maps():
    return sum(1 for _ in open("/proc/self/maps"))

x = sympy.Symbol("x", real=True)

def make(k, distinct):
    f = px.from_sympy(x * (k + 1.5 if distinct else 2.5) + sympy.sin(x), [x], cache=not distinct)
    assert f(1.0) == (k + 1.5 if distinct else 2.5) + 0.8414709848078965
    f([1.0, 2.0])

def run(count, distinct):
    for k in range(count):
        make(k, distinct)
    gc.collect()
    return rss(), maps()

warm = run({warm}, {distinct})
done = run({count}, {distinct})
kept = px.from_sympy(x + 1, [x], cache=False)
other = px.from_sympy(x + 2, [x], cache=False)
call = (kept(1.0), kept.__call__, other.ctypes)   # the builtin holds its formula, the pointer not
del kept, other
gc.collect()
for k in range(50):
    make(k, True)                       # new code may be mapped where freed code was
gc.collect()
print(json.dumps({{"warm": warm, "done": done, "kept": [call[1](2.0), call[2](3.0)]}}))
"""


def test_ten_thousand_formulas_alike_leave_memory_and_maps_bounded(tmp_path, processes):
    (result,) = processes(tmp_path, SCRIPT.format(warm=1000, count=10000, distinct=False), runs=1)
    (rss0, maps0), (rss1, maps1) = result["warm"], result["done"]
    assert maps1 <= maps0 + 8, (maps0, maps1)
    assert rss1 <= rss0 + 8, f"{rss0:.1f} -> {rss1:.1f} MiB over 10,000 formulas"
    assert result["kept"] == [3.0, 5.0]     # a kept builtin and ctypes pointer still run their code


def test_distinct_formulas_unmap_their_code(tmp_path, processes):
    # the warm-up fills the strong memo of the last cpu.RECENT programs, which stays full
    (result,) = processes(tmp_path, SCRIPT.format(warm=cpu.RECENT + 36, count=400, distinct=True), runs=1)
    (rss0, maps0), (rss1, maps1) = result["warm"], result["done"]
    assert maps1 <= maps0 + 8, f"{maps0} -> {maps1} maps over 400 compiled formulas (2 each if kept)"
    assert rss1 <= rss0 + 16, f"{rss0:.1f} -> {rss1:.1f} MiB"
