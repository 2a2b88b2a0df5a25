"""Work on formulas nested thousands deep: a recursion budget sized to the formula
(and ``large_tree``, the measure of formulas too large for sympy's tree walks).

pyexpr's own walks over expressions use explicit stacks (``dag.map_dag``,
``height`` here), but sympy's algorithms recurse once or more per level of
nesting: ``cse``, the printers, comparing and rebuilding expressions.  A
formula from a loop that iterates a map 10,000 times is 10,000 levels deep,
far past Python's recursion limit (1,000).

``run(fn, *args, depth=d)`` therefore calls ``fn`` directly for a shallow
formula and, for one ``d`` levels deep, in a worker thread whose stack is
large (``STACK`` bytes of address space; only the pages used are committed)
under a recursion limit raised to ``FRAMES_PER_LEVEL * d``, restored when the
last such call ends.  The limit is the interpreter's, so while a deep
formula is worked on, runaway recursion in another thread of the process
meets the raised limit instead of the usual one.

Pickle recurses too, under whatever limit its caller has: ``flat`` and
``unflat`` turn a deep formula's expressions into a table of nodes and back.
"""
import functools
import sys
import threading


#: address space reserved for a deep call's stack
STACK = 1 << 30
#: Python frames a level of nesting may cost in sympy's recursive algorithms
FRAMES_PER_LEVEL = 24
#: formulas at most this deep run on the caller's stack, under its limit
SHALLOW = 24

#: formulas larger than this as trees (each shared node counted at each use) get none of
#: sympy's algorithms that walk trees: its Piecewise simplifies its conditions, several
#: times, and an ``if`` on a value a loop accumulates under ``if``s nests each step's
#: value in the next (2**n nodes as a tree, n as a DAG)
LARGE_TREE = 4000

_lock = threading.Lock()
_state = {"active": 0, "saved": None}
_local = threading.local()


def height(exprs, memo=None):
    """The depth of the deepest of ``exprs`` (a leaf is 0), without recursion.  ``memo``
    (a dict) carries the depths found over calls, so that a growing expression is
    measured in linear time; it holds each node measured, so that no other object
    takes its id."""
    from .dag import postorder          # sympy loads on first use

    depth = {} if memo is None else memo
    for e in postorder(exprs, depth):
        depth[id(e)] = (1 + max((depth[id(a)][0] for a in getattr(e, "args", ())), default=-1), e)
    return max((depth[id(e)][0] for e in exprs), default=0)


def large_tree(exprs):
    """Whether ``exprs`` read as trees (each shared node counted at each use) have more than
    LARGE_TREE nodes: counted once per node, and no further than past that number (a
    formula that grows a step at a time is measured at each step)."""
    sizes = _bottom_up(exprs, lambda e, sizes: 1 + sum(sizes), stop=lambda size: size > LARGE_TREE)
    return sizes is None or sum(sizes) > LARGE_TREE


def piecewise_nesting(exprs):
    """How many Piecewise the deepest chain of ``exprs`` passes through."""
    from sympy import Piecewise
    return max(_bottom_up(exprs, lambda e, inner: max(inner, default=0) + isinstance(e, Piecewise)),
               default=0)


def _bottom_up(exprs, combine, stop=None):
    """``combine(node, its arguments' values)`` of every node of ``exprs``, arguments first,
    each node once and without recursion: the values of ``exprs`` (None as soon as
    ``stop(value)`` of a node holds)."""
    from sympy import sympify       # (this module loads without sympy)
    value, stack = {}, [sympify(e) for e in exprs]
    roots = list(stack)
    while stack:
        e = stack[-1]
        if e in value:
            stack.pop()
            continue
        pending = [a for a in e.args if a not in value]
        if pending:
            stack.extend(pending)
            continue
        value[e] = combine(e, [value[a] for a in e.args])
        if stop is not None and stop(value[e]):
            return None
        stack.pop()
    return [value[e] for e in roots]


def run(fn, *args, depth, **kwargs):
    """``fn(*args, **kwargs)`` with room for a formula ``depth`` levels deep."""
    if depth <= SHALLOW:
        return fn(*args, **kwargs)
    limit = FRAMES_PER_LEVEL * depth + 2000
    if getattr(_local, "deep", False):          # already on a deep stack
        _enter(limit)
        try:
            return fn(*args, **kwargs)
        finally:
            _leave()
    outcome = {}

    def work():
        _local.deep = True
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as error:          # handed to the caller's thread
            outcome["error"] = error

    _enter(limit)
    try:
        _started(work).join()
    finally:
        _leave()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _started(work):
    """A worker thread running ``work``, on the largest stack the system grants."""
    with _lock:
        size = threading.stack_size()
        try:
            for stack in (STACK, STACK // 4, STACK // 16):
                try:
                    threading.stack_size(stack)
                    worker = threading.Thread(target=work, name="pyexpr-deep")
                    worker.start()
                    return worker
                except (RuntimeError, MemoryError):     # address space limited (ulimit -v)
                    continue
            raise RecursionError("no thread with a stack large enough for a formula this deep "
                                 "could be started")
        finally:
            threading.stack_size(size)


def sized(exprs_of):
    """A decorator: the function ``run`` with room for the deepest of the expressions
    ``exprs_of(*args, **kwargs)`` picks from its arguments."""
    def decorate(fn):
        @functools.wraps(fn)
        def deep_enough(*args, **kwargs):
            return run(fn, *args, depth=height(exprs_of(*args, **kwargs)), **kwargs)
        return deep_enough
    return decorate


def _enter(limit):
    with _lock:
        if _state["active"] == 0:
            _state["saved"] = sys.getrecursionlimit()
        _state["active"] += 1
        if limit > sys.getrecursionlimit():
            sys.setrecursionlimit(limit)


def _leave():
    with _lock:
        _state["active"] -= 1
        if _state["active"] == 0:
            sys.setrecursionlimit(_state["saved"])


#: formulas deeper than this pickle as a table of nodes (``flat``): pickle recurses
#: once or more per level of an object, under the caller's recursion limit
PICKLED_DEPTH = 100


def flat(exprs):
    """``exprs`` as ``(nodes, roots)``: each node a leaf ``(None, atom)`` or ``(class, indices
    of its arguments)``, arguments before the nodes using them; ``roots`` index ``exprs``."""
    from .dag import postorder

    index, nodes = {}, []
    for e in postorder(exprs, index):
        nodes.append((type(e), tuple(index[id(a)] for a in e.args)) if e.args else (None, e))
        index[id(e)] = len(nodes) - 1
    return nodes, tuple(index[id(e)] for e in exprs)


def unflat(nodes, roots):
    """The expressions ``flat`` took apart, each node built as sympy's own unpickling
    builds it (its class called with its arguments).  With room: where the process
    still holds the originals, sympy's caches compare the new nodes with them."""
    levels = []
    for cls, payload in nodes:
        levels.append(0 if cls is None else 1 + max((levels[i] for i in payload), default=0))
    return run(_built, nodes, roots, depth=max((levels[i] for i in roots), default=0))


def _built(nodes, roots):
    from .functions import assume_real

    built = []
    for cls, payload in nodes:
        built.append(payload if cls is None else assume_real(cls(*(built[i] for i in payload))))
    return tuple(built[i] for i in roots)
