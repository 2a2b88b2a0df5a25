"""Running loaded code: the array ``driver`` (layouts, threads) and the builtins
of the fast calls (``fastcall``, ``arraycall``; ``calls`` makes them a
Formula's ``__call__``).  Nothing here imports LLVM.
"""
