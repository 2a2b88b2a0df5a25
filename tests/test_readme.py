"""The README as a newcomer uses it: every Python block runs as copied, in a fresh
process of its own, and its list of understood names is the one pyexpr's table makes."""
import os
import re
import subprocess
import sys

import pytest

import pyexpr as px

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "README.md")) as _f:
    README = _f.read()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(px.__file__)))


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_each_python_block_runs_as_copied(index, tmp_path):
    script = tmp_path / f"block{index}.py"
    script.write_text(BLOCKS[index])
    env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT, "PYEXPR_CACHE_DIR": str(tmp_path / "cache"),
           "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"README block {index}:\n{BLOCKS[index]}\n{result.stderr}"
    for expected in re.findall(r"print\(.*?\)\s+# (.+)", BLOCKS[index]):
        shown = expected.split("  (")[0].replace("...", "")      # a note in parentheses follows
        words = [w for w in re.split(r"[\s\[\]]+", shown) if w]
        assert all(w in result.stdout for w in words), (expected, result.stdout)


def test_the_list_of_names_is_current():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "readme_names.py"), "--check"],
                            env={**os.environ, "PYTHONPATH": PACKAGE_ROOT})
    assert result.returncode == 0, "run `python tools/readme_names.py` and commit the README"
