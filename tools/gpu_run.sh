#!/usr/bin/env bash
# Run pyexpr's GPU tests and benchmark on a machine with an NVIDIA GPU but no package index.
#
#   tools/gpu_run.sh fetch [PYTHON_VERSION]   # on a machine WITH an index: fill .whl/ (git-ignored)
#   tools/gpu_run.sh install                  # on the GPU machine: build and install pycuda from .whl/
#   tools/gpu_run.sh test                     # python -m pytest tests/gpu -v
#   tools/gpu_run.sh bench                    # python benchmarks/bench_gpu.py
#   tools/gpu_run.sh all                      # install, test, bench
#
# .whl/ holds the pycuda sdist and wheels of its build and run dependencies (pytools,
# platformdirs, mako, markupsafe, siphash24, typing_extensions, setuptools, wheel) for the
# GPU machine's Python (PYTHON_VERSION, default: this machine's, e.g. 3.11); numpy is
# expected there already.  Carry .whl/ to the GPU machine with the checkout (about 6 MB).
# CUDA_ROOT (default /usr/local/cuda) must hold include/cuda.h and lib64/libcuda* or the
# driver's libcuda.so must be on the linker path.
set -euo pipefail
cd "$(dirname "$0")/.."
WHL="$PWD/.whl"
CUDA_ROOT="${CUDA_ROOT:-/usr/local/cuda}"
PYCUDA_VERSION="${PYCUDA_VERSION:-2026.1}"
DEPS=(pytools platformdirs mako markupsafe siphash24 typing_extensions setuptools wheel)

fetch() {
    local pyver="${1:-$(python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')}"
    mkdir -p "$WHL"
    pip download --only-binary :all: --python-version "$pyver" --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --platform any \
        -d "$WHL" "${DEPS[@]}"
    local sdist="$WHL/pycuda-$PYCUDA_VERSION.tar.gz"
    if [ ! -f "$sdist" ]; then
        # pip download of this sdist runs its metadata step, which needs CUDA; fall back to
        # fetching the file pip would fetch, from the index's simple page
        pip download --no-deps --no-binary :all: "pycuda==$PYCUDA_VERSION" -d "$WHL" 2>/dev/null || {
            url=$(curl -fsS https://pypi.org/simple/pycuda/ \
                  | grep -o "https://[^\"#]*pycuda-$PYCUDA_VERSION.tar.gz" | head -1)
            curl -fsSL -o "$sdist" "$url"
        }
    fi
    ls -la "$WHL"
}

install() {
    python -c "import pycuda.driver" 2>/dev/null && { echo "pycuda is already installed"; return; }
    pip install --no-index --find-links "$WHL" "${DEPS[@]}"
    local build
    build=$(mktemp -d)
    tar -xzf "$WHL/pycuda-$PYCUDA_VERSION.tar.gz" -C "$build"
    (
        cd "$build/pycuda-$PYCUDA_VERSION"
        # siteconf.py: where cuda.h and libcuda/libcudart live (the default looks beside nvcc)
        python configure.py --cuda-root="$CUDA_ROOT"
        python setup.py build_ext -j "$(nproc)"          # compile the extension in parallel
        pip install --no-index --find-links "$WHL" --no-build-isolation .
    )
    python -c "import pycuda.autoprimaryctx as c; print('pycuda ok on', c.device.name())"
}

test_gpu() { python -m pytest tests/gpu -v; }
bench() { python benchmarks/bench_gpu.py; }

case "${1:-all}" in
    fetch) fetch "${2:-}" ;;
    install) install ;;
    test) test_gpu ;;
    bench) bench ;;
    all) install; test_gpu; bench ;;
    *) echo "usage: $0 fetch [PYTHON_VERSION] | install | test | bench | all" >&2; exit 2 ;;
esac
