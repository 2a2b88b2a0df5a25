"""GPU-only tests: every test here is marked ``gpu`` and skipped, with the reason,
where pycuda, the CUDA driver or a device is missing.

The shared formula corpus lives in ``tests/gpu_codegen`` (also used by the
host-side tests); its folder is put on ``sys.path`` here.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gpu_codegen"))


def _unavailable():
    from pyexpr.errors import GPUUnavailableError
    from pyexpr.gpu import runtime
    try:
        runtime.cuda()
    except GPUUnavailableError as exc:
        return str(exc)
    return None


_REASON = _unavailable()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.gpu)
            if _REASON:
                item.add_marker(pytest.mark.skip(reason=f"needs a CUDA GPU with pycuda: {_REASON}"))
