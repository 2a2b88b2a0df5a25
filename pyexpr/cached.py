"""``CachedSide``: a Formula's side that meets the disk cache's formula entries.

A formula the front end made with a key (``startup.source_key``) writes its entry
(``_record``); a formula made from an entry (``from_entry``) has its parameters and
Program but no symbolic side (arguments, expressions, rewrites, vectors) until
one of those is first used: ``__getattr__`` then has ``_materialize`` make it,
by the front end, from the function as it was when decorated (``startup.frozen``).
"""
import threading

from .errors import PyExprError

#: what a formula from the disk cache lacks until first used (an ``OpenFormula`` more)
SYMBOLIC = ("args", "written", "outputs", "rewrites", "_latex_name", "vectors")
_MISSING = object()
_MATERIALIZING = threading.RLock()


class CachedSide:
    """The base of ``Formula``: its entries in the disk cache (see the module docstring)."""

    #: what a formula from the disk cache lacks until first used
    _symbolic = SYMBOLIC
    #: what it has from its entry
    _entry_attributes = ("name", "arg_names", "signature", "out_shape", "options", "defaults")

    @classmethod
    def from_entry(cls, fields, key, read):
        """A formula of the disk cache's ``fields`` (``startup.load``) under ``key``, whose
        symbolic side ``read()`` makes (a formula by the front end) when first used."""
        formula = cls.__new__(cls)
        formula.__dict__.update({k: fields[k] for k in cls._entry_attributes})
        formula.__doc__, formula._source_key, formula._pending = fields["doc"], key, read
        formula._fresh()
        formula._program = fields["program"]
        return formula

    def __getattr__(self, name):
        # Only for attributes not set: a formula read from the disk cache has no symbolic
        # side until it is first used.
        if name in type(self)._symbolic and "_source_key" in self.__dict__:
            self._materialize()
            found = self.__dict__.get(name, _MISSING)
            if found is not _MISSING:
                return found
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _materialize(self):
        """The symbolic side of a formula from the disk cache, made by the front end from
        the function as it was when decorated (the Program and kernels stay); all of it
        at once, under a lock, so that no thread sees half of it."""
        if "_pending" not in self.__dict__:
            return
        with _MATERIALIZING:
            read = self.__dict__.get("_pending")
            if read is None:
                return
            full = read()
            if type(full) is not type(self)._definition_class() or full._identity() != self._identity():
                raise PyExprError(f"{self.name}: the disk cache's entry does not match its source")
            self.__dict__.update({key: full.__dict__[key] for key in self._symbolic + ("defaults",)})
            del self.__dict__["_pending"]

    def _identity(self):
        """What an entry and the formula its source gives must agree on."""
        return self.arg_names, self.out_shape

    def _entry_state(self):
        """This kind of formula's own fields of its entry (``startup.record``)."""
        return {"kind": "formula", "signature": self.signature, "out_shape": self.out_shape}

    def _record(self):
        """Write this formula's entry of the disk cache (``pyexpr.startup``): what a
        later process needs to call it without reading its source again."""
        from . import startup
        startup.record(self._source_key, {
            "name": self.name, "arg_names": self.arg_names, "options": self.options, "defaults": self.defaults,
            "doc": self.__doc__ or "", "program": self._program, **self._entry_state()})
