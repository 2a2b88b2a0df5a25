"""On-disk cache of compiled kernels, so a new process skips LLVM entirely.

An entry is keyed by ``entry_key(*fields)``: a digest of strings that
together determine the object code -- for a kernel part, the program text,
dtype, fast-math flag, vector target, optimization options, the host's
``host.fingerprint()`` and ``code_digest`` of the modules that generate and
optimize the IR (so a changed code generator never meets an old entry) --
and this file format's version.  Computing a key needs neither the IR nor
LLVM.  An entry holds the optimized IR text and the object code, behind a
magic line and a SHA-256 of the payload.

The folder is ``$PYEXPR_CACHE_DIR`` or ``~/.cache/pyexpr``.  ``load`` returns
``None`` for a missing entry and, with a ``warnings.warn``, for a corrupt,
truncated or unreadable one; ``store`` writes a temporary file and renames it
into place (readers never see half an entry) and only warns when it cannot
write.  Neither raises.

    >>> key = entry_key("program f(x): ...", "float64", "host")
    >>> len(key)
    64
"""
import os
import struct
import warnings
from functools import lru_cache
from pathlib import Path

from . import digest

FORMAT = b"pyexpr-kernel-v3\n"
_DIGEST = digest.SIZE
_LENGTH = struct.Struct("<Q")


def cache_dir():
    """The cache folder (not created here)."""
    return Path(os.environ.get("PYEXPR_CACHE_DIR") or Path.home() / ".cache" / "pyexpr")


def entry_key(*fields):
    """The hex digest naming the entry for the strings ``fields``."""
    h = digest.new(FORMAT)
    for field in fields:
        data = str(field).encode()
        h.update(_LENGTH.pack(len(data)) + data)
    return h.hexdigest()


@lru_cache(maxsize=None)
def code_digest(*modules):
    """A digest of the source files of ``modules`` (names in this package).

    Where a source cannot be read, a per-process random value stands in:
    entries are then never shared with another process, rather than risk
    loading code from an older code generator.
    """
    h = digest.new()
    for module in modules:
        try:
            h.update(Path(__file__).with_name(module + ".py").read_bytes())
        except OSError:
            h.update(os.urandom(16))
    return h.hexdigest()


def _path(key):
    return cache_dir() / f"{key}.o"


def load(key):
    """``(optimized_ir_text, object_bytes)`` for ``key``, or ``None``."""
    path = _path(key)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.warn(f"pyexpr: cannot read cache entry {path} ({exc}); recompiling", stacklevel=3)
        return None
    try:
        return _decode(data)
    except ValueError as exc:
        warnings.warn(f"pyexpr: corrupt cache entry {path} ({exc}); recompiling", stacklevel=3)
        return None


def store(key, ir_text, obj):
    """Write the entry for ``key`` atomically; warn (never raise) on failure."""
    import tempfile                 # only writers need it: keep the cache-hit path's imports small

    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_encode(ir_text, obj))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        warnings.warn(f"pyexpr: cannot write cache entry {path} ({exc})", stacklevel=3)


def _encode(ir_text, obj):
    ir_bytes = ir_text.encode()
    payload = _LENGTH.pack(len(ir_bytes)) + ir_bytes + bytes(obj)
    return FORMAT + digest.new(payload).digest() + payload


def _decode(data):
    if not data.startswith(FORMAT):
        raise ValueError("unknown format")
    stored, payload = data[len(FORMAT):len(FORMAT) + _DIGEST], data[len(FORMAT) + _DIGEST:]
    if len(payload) < _LENGTH.size or digest.new(payload).digest() != stored:
        raise ValueError("checksum mismatch: truncated or damaged")
    (n,) = _LENGTH.unpack_from(payload)
    ir_bytes, obj = payload[_LENGTH.size:_LENGTH.size + n], payload[_LENGTH.size + n:]
    if len(ir_bytes) != n or not obj:
        raise ValueError("inconsistent lengths")
    return ir_bytes.decode(), obj
