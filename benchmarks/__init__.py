"""pyexpr's benchmark harness: ``python -m benchmarks [--quick] [--out DIR]``.

Side by side in one process, interleaved, each peer's result checked against
numpy before its time counts, medians of several runs:

* ``formulas``  — the formulas, in each peer's spelling
* ``timing``    — Entry / Row / Section, the checked and interleaved measurement
* ``peers``     — which peers are installed, thread control, each peer's entries
* ``workloads`` — elementwise (1 and 2 threads), gradient, scalar calls, Hessian
* ``latency``   — first call in a fresh process, cold and warm on-disk cache
* ``report``    — report.md, speedup.png and results.json

The optional peers come with ``pip install ".[bench]"``; one not installed is
skipped with a line saying so.
"""
