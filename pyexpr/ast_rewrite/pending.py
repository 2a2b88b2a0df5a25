"""Sums that unrolled loops build with ``+=``, added up once.

``PendingSum`` is the value of a local while ``+=``/``-=`` keep adding to it;
``settled(value)`` is the value itself, a pending sum added up.  The
translator makes them (``translate._aug_assign``); every read of a local
goes through ``settled`` (``evaluate``), so nothing else ever sees one.
"""
import sympy


class PendingSum:
    """A local that ``+=``/``-=`` keep adding to in an unrolled loop: its terms are kept
    as a chain and added up once, when the value is read (adding them one by one
    re-flattens the whole sum each time: 2,000 iterations took 10 s)."""
    __slots__ = ("before", "term", "_total")

    def __init__(self, before, term):
        self.before, self.term, self._total = before, term, None

    def total(self):
        if self._total is None:
            terms, link = [], self
            while isinstance(link, PendingSum):
                terms.append(link.term)
                link = link.before
            self._total = sympy.Add(link, *reversed(terms))
        return self._total


def settled(value):
    """``value``, a pending sum added up."""
    return value.total() if isinstance(value, PendingSum) else value
