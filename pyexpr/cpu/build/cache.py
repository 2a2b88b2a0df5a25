"""On-disk cache of compiled kernels, so a new process skips LLVM entirely.

An entry is keyed by ``entry_key(*fields)``: a digest of strings that
together determine the object code -- for a kernel part, the program text,
dtype, fast-math flag, vector target, optimization options, the host's
``host.fingerprint()`` and ``code_digest`` of the source files that generate and
optimize the IR (so a changed code generator never meets an old entry) --
and this file format's version.  Computing a key needs neither the IR nor
LLVM.  An entry holds the optimized IR text and the object code, behind a
magic line and a digest of its key and payload: an entry moved or copied
under another key (another formula's code) fails the check like a damaged
one and is recompiled.

What is read is trusted only so far: entries are opened without following
symbolic links and read only if they are regular files of a plausible size
(a FIFO, a device or a link to one is refused, never waited on), and a cache
folder that is not the user's own or that others can write to is not used at
all (one warning says why), since whoever can write there could put code in
every process that loads from it.  The folder is created private (0700).
The digest detects accidents and mix-ups; it is no signature.

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
import stat
import struct
import warnings
from functools import lru_cache
from pathlib import Path

from ... import digest

FORMAT = b"pyexpr-kernel-v4\n"
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
def code_digest(folders):
    """A digest of every Python source file under ``folders`` (a tuple of paths),
    by relative path and content.

    Where a source cannot be read, a per-process random value stands in:
    entries are then never shared with another process, rather than risk
    loading code from an older code generator.
    """
    h = digest.new()
    for folder in folders:
        folder = os.fspath(folder)
        files = _python_files(folder)
        if not files:
            h.update(os.urandom(16))
        base = os.path.dirname(folder)
        for path in files:
            h.update(os.path.relpath(path, base).encode() + b"\0" + _file_digest(path, _stamp(path)))
    return h.hexdigest()


def _python_files(folder):
    """The ``.py`` files under ``folder``, sorted (``os.walk``: pathlib's ``rglob`` and
    sorting of paths cost several ms on a first call)."""
    found = []
    for root, dirs, names in os.walk(folder):
        found += [os.path.join(root, n) for n in names if n.endswith(".py")]
    return sorted(found)


def _stamp(path):
    try:
        info = os.stat(path)
        return info.st_mtime_ns, info.st_size
    except OSError:
        return None


@lru_cache(maxsize=None)
def _file_digest(path, stamp):
    """One file's digest, read once a process while its ``_stamp`` is unchanged (the
    package's digest and the code generators' share files)."""
    try:
        with open(path, "rb") as f:
            return digest.new(f.read()).digest()
    except OSError:
        return os.urandom(16)


def _path(key):
    return cache_dir() / f"{key}.o"


#: larger than any entry: a file beyond it is not read
MAX_ENTRY = 1 << 30


def trusted_dir(folder):
    """Whether ``folder`` (existing) is the user's own and writable by nobody else;
    warns once per folder when it is not."""
    try:
        info = os.stat(folder)
    except OSError:
        return False
    own = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if own and not info.st_mode & 0o022:
        return True
    if str(folder) not in _WARNED:
        _WARNED.add(str(folder))
        who = "is not yours" if not own else "can be written by others"
        warnings.warn(f"pyexpr: not using the kernel cache {folder}: it {who}, and code loaded "
                      "from it would run in this process; make it yours with mode 0700 or "
                      "set PYEXPR_CACHE_DIR", stacklevel=4)
    return False


_WARNED = set()


def _read(path):
    """The bytes of the regular file ``path``: no links followed, no FIFO waited on."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > MAX_ENTRY:
            raise OSError(f"{info.st_size} bytes, larger than any entry")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(MAX_ENTRY + 1)
    finally:
        os.close(fd)


def load(key):
    """``(optimized_ir_text, object_bytes)`` for ``key``, or ``None``."""
    path = _path(key)
    if not trusted_dir(path.parent):          # (also False, silently, where there is none)
        return None
    try:
        data = _read(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.warn(f"pyexpr: cannot read cache entry {path} ({exc}); recompiling", stacklevel=3)
        return None
    try:
        return _decode(data, key)
    except ValueError as exc:
        warnings.warn(f"pyexpr: corrupt cache entry {path} ({exc}); recompiling", stacklevel=3)
        return None


def store(key, ir_text, obj):
    """Write the entry for ``key`` atomically; warn (never raise) on failure."""
    import tempfile                 # only writers need it: keep the cache-hit path's imports small

    path = _path(key)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not trusted_dir(path.parent):
            return
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_encode(key, ir_text, obj))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        warnings.warn(f"pyexpr: cannot write cache entry {path} ({exc})", stacklevel=3)


def _check(key, payload):
    # the key is part of what is checked: an entry of another key does not pass
    return digest.new(key.encode() + b"\n" + payload).digest()


def _encode(key, ir_text, obj):
    ir_bytes = ir_text.encode()
    payload = _LENGTH.pack(len(ir_bytes)) + ir_bytes + bytes(obj)
    return FORMAT + _check(key, payload) + payload


def _decode(data, key):
    if not data.startswith(FORMAT):
        raise ValueError("unknown format")
    stored, payload = data[len(FORMAT):len(FORMAT) + _DIGEST], data[len(FORMAT) + _DIGEST:]
    if len(payload) < _LENGTH.size or _check(key, payload) != stored:
        raise ValueError("checksum mismatch: truncated, damaged or another key's entry")
    (n,) = _LENGTH.unpack_from(payload)
    ir_bytes, obj = payload[_LENGTH.size:_LENGTH.size + n], payload[_LENGTH.size + n:]
    if len(ir_bytes) != n or not obj:
        raise ValueError("inconsistent lengths")
    return ir_bytes.decode(), obj
