"""The hash behind cache keys, program keys and cache checksums: 32-byte BLAKE2b.

It comes from ``_blake2`` directly where that exists: ``import hashlib``
loads OpenSSL, about 5 ms of the first result of a process.
"""
try:
    from _blake2 import blake2b as _blake2b
except ImportError:                     # an interpreter built without it
    from hashlib import blake2b as _blake2b

SIZE = 32


def new(data=b""):
    """A hash object (``update``, ``digest``, ``hexdigest``) fed with ``data``."""
    return _blake2b(data, digest_size=SIZE)
