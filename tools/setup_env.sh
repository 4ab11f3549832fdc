#!/usr/bin/env bash
# One-command environment for mmiresnet: creates <repo>/.venv with torch,
# mmcv 2.1.0 (built from source with compiled ops, wheel cached), mmengine
# 0.10.7, mmdet 3.3.0, mmpretrain 1.2.0, openmim, test tools and mmiresnet
# itself (editable). Safe to re-run: steps whose result is present are skipped.
# torch < 2.3 (OpenMMLab's reference stack, torch 2.1.2) gets NumPy 1.x and
# the opencv, pandas, onnx, ... releases that work with it.
#
# Usage:  bash tools/setup_env.sh          (from anywhere)
#
# Environment variables (all optional):
#   MMIRESNET_PYTHON          interpreter that creates .venv (default: python3)
#   MMIRESNET_VENV            the environment's folder (default: <repo>/.venv)
#   MMIRESNET_TORCH           torch pip specs (default:
#                             "torch==2.14.1 torchvision==0.29.1")
#   MMIRESNET_TORCH_PIP_ARGS  extra pip args for the torch install, e.g.
#                             "--index-url https://download.pytorch.org/whl/cpu"
#   MMIRESNET_CACHE           cache dir (default: ~/.cache/mmiresnet); mmcv
#                             wheels go to $MMIRESNET_CACHE/wheels/<key>/, build
#                             logs to $MMIRESNET_CACHE/logs/
#   MMIRESNET_MMCV_CUDA       auto (default) | 1 | 0: build mmcv's CUDA ops
#                             (auto: when nvcc exists and torch sees a GPU)
#   MMIRESNET_MMCV_SDIST      local mmcv-2.1.0.tar.gz instead of downloading
#   MMIRESNET_MIN_FREE_GB     free disk required for a fresh setup (default: 10)
#   MAX_JOBS                  parallel compile jobs (default: nproc)
#   TORCH_CUDA_ARCH_LIST      passed through to the CUDA build
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${MMIRESNET_VENV:-$ROOT/.venv}"
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
VPY="$VENV/bin/python"
TORCH_SPEC="${MMIRESNET_TORCH:-torch==2.14.1 torchvision==0.29.1}"
TORCH_PIP_ARGS="${MMIRESNET_TORCH_PIP_ARGS:-}"
CACHE="${MMIRESNET_CACHE:-$HOME/.cache/mmiresnet}"
MMCV_VERSION=2.1.0
MMCV_CUDA="${MMIRESNET_MMCV_CUDA:-auto}"
MIN_FREE_GB="${MMIRESNET_MIN_FREE_GB:-10}"
# mmcv's setup.py, mmengine 0.10.7 and openmim import pkg_resources (removed
# in setuptools 82); torch also needs setuptools (>=77 for 2.14), so every
# pip install below repeats this pin to keep pip from upgrading it.
SETUPTOOLS="setuptools<82"
BUILD_TOOLS=("$SETUPTOOLS" wheel ninja packaging)
OPENMMLAB=(mmengine==0.10.7 "mmcv==$MMCV_VERSION" mmdet==3.3.0 mmpretrain==1.2.0)
# openmim is installed with --no-deps (its openxlab dependency downgrades
# setuptools/requests); these are the packages it really imports.
MIM_DEPS=(click colorama model-index pandas rich tabulate requests)
# gdown: official weights on Google Drive (iresnet:// scheme); onnx,
# onnxruntime, onnxscript: the export tests; flake8, isort (and mmcv's
# yapf): tests/test_lint.py (setup.py's tests extra).
EXTRAS=("pycocotools>=2.0.8" scikit-learn matplotlib pytest gdown onnx onnxruntime onnxscript flake8 isort)

STEP="start"
T_START=$SECONDS
T_STEP=$SECONDS
BUILD_PID=""

on_error() {
    local rc=$? line=$1 cmd=$2
    fail "command exited with status $rc (tools/setup_env.sh line $line): $cmd" "$rc"
}
fail() {
    # In a subshell just exit: the parent reports the failure once.
    [[ "$BASHPID" == "$$" ]] || exit "${2:-1}"
    echo >&2
    echo "FAILED at step '$STEP': $1" >&2
    echo "Fix the problem and re-run 'bash tools/setup_env.sh'; finished steps" \
         "are skipped." >&2
    trap - ERR
    exit "${2:-1}"
}
on_exit() {
    if [[ -n "$BUILD_PID" ]] && kill -0 "$BUILD_PID" 2>/dev/null; then
        echo "Stopping the mmcv build (pid $BUILD_PID)." >&2
        kill -TERM -- "-$BUILD_PID" 2>/dev/null || kill -TERM "$BUILD_PID" || true
    fi
    if [[ -n "${TMP_BUILD:-}" && -d "$TMP_BUILD" ]]; then rm -rf "$TMP_BUILD"; fi
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR
trap on_exit EXIT
trap 'exit 130' INT TERM

die() { fail "$*"; }
step() {
    STEP="$1"; T_STEP=$SECONDS
    echo; echo "==> [$STEP] $2"
}
done_step() { echo "    done ($((SECONDS - T_STEP)) s)"; }
skip() { echo "    skip: $*"; }
# NUMPY_PIN is set once torch is known: NumPy 1.x for torch < 2.3, whose
# wheels were built against NumPy 1. Every later install repeats it, so pip
# picks the opencv, pandas, onnx, ... releases that support that NumPy.
NUMPY_PIN=()
pip_install() { "$VPY" -m pip install --progress-bar off "$@" "${NUMPY_PIN[@]}"; }

# Prints the requirements (PEP 508 strings) not satisfied in .venv.
unmet() {
    [[ -x "$VPY" ]] || { printf '%s\n' "$@"; return; }
    "$VPY" - "$@" <<'EOF'
import sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:  # no packaging yet: treat everything as missing
    print('\n'.join(sys.argv[1:]))
    raise SystemExit
for spec in sys.argv[1:]:
    req = Requirement(spec)
    try:
        have = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        print(spec)
        continue
    if not req.specifier.contains(have, prereleases=True):
        print(spec)
EOF
}

# ---------------------------------------------------------------------------
step preflight "checking python, compiler, disk"
PY="$VPY"
[[ -x "$VPY" ]] || PY="${MMIRESNET_PYTHON:-python3}"
command -v "$PY" >/dev/null || die "'$PY' not found (need Python >= 3.9, < 3.14; set MMIRESNET_PYTHON)."
PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
"$PY" -c 'import sys; sys.exit(not ((3, 9) <= sys.version_info[:2] < (3, 14)))' \
    || die "$PY is Python $PYVER; need Python >= 3.9 and < 3.14 (set MMIRESNET_PYTHON)."
echo "    python: $PY ($PYVER)"
# The last step's stamp: once set up, only changed inputs need work.
STAMP="$VENV/.mmiresnet-editable"
ENV_COMPLETE=0
[[ -x "$VPY" && -f "$STAMP" ]] && ENV_COMPLETE=1
if [[ "$ENV_COMPLETE" == 0 ]]; then
    # Needed only while something still has to be installed or built.
    if [[ ! -x "$VPY" ]]; then
        "$PY" -c 'import venv, ensurepip' 2>/dev/null || die "$PY lacks the venv/ensurepip" \
            "modules (Debian/Ubuntu: apt-get install python$PYVER-venv)."
    fi
    command -v "${CXX:-g++}" >/dev/null || die "no C++ compiler: '${CXX:-g++}' not found" \
        "(needed to build mmcv's ops; Debian/Ubuntu: apt-get install g++)."
    "$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
        || die "Python.h not found for $PY (needed to build mmcv's ops;" \
            "Debian/Ubuntu: apt-get install python$PYVER-dev)."
    mkdir -p "$CACHE"
    for d in "$ROOT" "$CACHE" "${TMPDIR:-/tmp}"; do
        free_gb=$(( $(df -Pk "$d" | awk 'NR==2 {print $4}') / 1024 / 1024 ))
        if (( free_gb < MIN_FREE_GB )); then
            die "only ${free_gb} GB free on the disk of $d; need about" \
                "${MIN_FREE_GB} GB (torch ~6 GB, mmcv build ~1 GB)."
        fi
    done
    echo "    compiler: $(command -v "${CXX:-g++}"), disk: ok"
else
    echo "    environment already installed; compiler/disk checks not needed"
fi
done_step

# ---------------------------------------------------------------------------
step venv "virtual environment at $VENV"
if [[ -x "$VPY" ]]; then
    "$VPY" -m pip --version >/dev/null || die "$VENV exists but its pip is broken;" \
        "delete $VENV and re-run."
    skip "exists"
else
    "$PY" -m venv "$VENV"
    # pip >= 21.3 is needed for editable installs of setup.py projects.
    if ! "$VPY" -c 'import sys, pip; sys.exit(int(pip.__version__.split(".")[0]) < 22)'; then
        pip_install -q "pip>=22"
    fi
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
done_step

# ---------------------------------------------------------------------------
step build-tools "${BUILD_TOOLS[*]}"
mapfile -t missing < <(unmet "${BUILD_TOOLS[@]}")
if (( ${#missing[@]} )); then pip_install "${BUILD_TOOLS[@]}"; else skip "present"; fi
done_step

# ---------------------------------------------------------------------------
step torch "$TORCH_SPEC"
read -r -a torch_reqs <<<"$TORCH_SPEC"
mapfile -t missing < <(unmet "${torch_reqs[@]}")
if (( ${#missing[@]} )); then
    # shellcheck disable=SC2086  # TORCH_PIP_ARGS is a list of words
    pip_install "${torch_reqs[@]}" "$SETUPTOOLS" $TORCH_PIP_ARGS
else
    skip "already installed"
fi
read -r TORCH_VER TORCH_TAG CUDA_OK PYTAG < <("$VPY" - <<'EOF'
import sys, torch
cuda = torch.version.cuda
print(torch.__version__.split('+')[0],
      'cu' + cuda.replace('.', '') if cuda else 'cpu',
      int(torch.cuda.is_available()),
      'cp%d%d' % sys.version_info[:2])
EOF
)
echo "    torch $TORCH_VER ($TORCH_TAG), GPU visible: $CUDA_OK"
if "$VPY" -c 'import sys, torch; v = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]); sys.exit(v >= (2, 3))'; then
    NUMPY_PIN=("numpy<2")
    echo "    torch $TORCH_VER was built against NumPy 1: every install keeps numpy<2"
    # torchvision pulled the newest NumPy in; replace it before mmcv builds.
    mapfile -t missing < <(unmet "${NUMPY_PIN[@]}")
    (( ${#missing[@]} == 0 )) || pip_install "$SETUPTOOLS"
fi
done_step

# ---------------------------------------------------------------------------
step mmcv "mmcv $MMCV_VERSION with compiled ops"
NVCC="$(command -v nvcc || true)"
[[ -z "$NVCC" && -n "${CUDA_HOME:-}" && -x "$CUDA_HOME/bin/nvcc" ]] && NVCC="$CUDA_HOME/bin/nvcc"
case "$MMCV_CUDA" in
    auto) if [[ -n "$NVCC" && "$CUDA_OK" == 1 && "$TORCH_TAG" != cpu ]]; then WITH_CUDA=1; else WITH_CUDA=0; fi ;;
    1) WITH_CUDA=1 ;;
    0) WITH_CUDA=0 ;;
    *) die "MMIRESNET_MMCV_CUDA must be auto, 0 or 1 (got '$MMCV_CUDA')." ;;
esac
# Cache key: python, torch release and torch's CUDA tag; "-cpuops" marks a
# wheel built without CUDA kernels against a CUDA torch (no GPU/nvcc here).
KEY="$PYTAG-torch$TORCH_VER-$TORCH_TAG"
[[ "$TORCH_TAG" != cpu && "$WITH_CUDA" == 0 ]] && KEY="$KEY-cpuops"
KEY_FILE="$VENV/.mmiresnet-mmcv-key"
WHEEL_DIR="$CACHE/wheels/$KEY"
# OK if mmcv.ops imports (compiled ops present, ABI matches torch) and, when
# this script installed it, it was built for the current key (torch change).
mmcv_ok() {
    "$VPY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" >/dev/null 2>&1 \
        && [[ ! -f "$KEY_FILE" || "$(cat "$KEY_FILE")" == "$KEY" ]]
}
if mmcv_ok; then
    skip "mmcv $MMCV_VERSION ops import ($KEY)"
else
    WHEEL="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
    if [[ -n "$WHEEL" ]]; then
        echo "    cached wheel: $WHEEL"
    else
        echo "    no cached wheel in $WHEEL_DIR: building from source" \
             "(CUDA ops: $WITH_CUDA; CPU-only took ~23 min on 2 cores)"
        command -v "${CXX:-g++}" >/dev/null || die "no C++ compiler: '${CXX:-g++}' not" \
            "found (needed to build mmcv's ops; Debian/Ubuntu: apt-get install g++)."
        if [[ "$WITH_CUDA" == 1 ]]; then
            [[ -n "$NVCC" ]] || die "MMIRESNET_MMCV_CUDA=1 but nvcc was not found."
            nvcc_major="$("$NVCC" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')"
            [[ "$nvcc_major" == "${TORCH_TAG:2:2}" ]] || die "nvcc is CUDA $nvcc_major but torch" \
                "was built for $TORCH_TAG: install a matching CUDA toolkit (or torch), or" \
                "set MMIRESNET_MMCV_CUDA=0 for CPU-only ops."
        fi
        TMP_BUILD="$(mktemp -d "${TMPDIR:-/tmp}/mmiresnet-mmcv.XXXXXX")"
        if [[ -n "${MMIRESNET_MMCV_SDIST:-}" ]]; then
            cp "$MMIRESNET_MMCV_SDIST" "$TMP_BUILD/"
        else
            "$VPY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
                "mmcv==$MMCV_VERSION" -d "$TMP_BUILD"
        fi
        tar -xzf "$TMP_BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$TMP_BUILD"
        SRC="$TMP_BUILD/mmcv-$MMCV_VERSION"
        # mmcv 2.1.0 compiles with -std=c++17; torch headers that demand C++20
        # (torch/all.h: "#error C++20 or later", torch >= 2.10) need c++20.
        TORCH_INC="$("$VPY" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "include"))')"
        if grep -qs '__cplusplus < 202002L' "$TORCH_INC/torch/csrc/api/include/torch/all.h"; then
            gxx_major="$("${CXX:-g++}" -dumpversion | cut -d. -f1)"
            (( gxx_major >= 10 )) || die "torch $TORCH_VER needs C++20: g++ >= 10 required" \
                "(found $gxx_major)."
            sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
            echo "    torch headers require C++20: patched mmcv setup.py to -std=c++20"
        fi
        mkdir -p "$CACHE/logs"
        LOG="$CACHE/logs/mmcv-$MMCV_VERSION-$KEY-$(date +%Y%m%d-%H%M%S).log"
        echo "    build log: $LOG"
        (
            cd "$SRC"
            export MMCV_WITH_OPS=1 FORCE_CUDA="$WITH_CUDA" MAX_JOBS="${MAX_JOBS:-$(nproc)}"
            exec setsid "$VPY" -m pip wheel -v --no-build-isolation --no-deps . -w "$TMP_BUILD/out"
        ) >"$LOG" 2>&1 &
        BUILD_PID=$!
        t0=$SECONDS; last=$SECONDS
        while kill -0 "$BUILD_PID" 2>/dev/null; do
            sleep 2
            if (( SECONDS - last >= 30 )); then
                last=$SECONDS
                prog="$(grep -o '^ *\[[0-9]*/[0-9]*\]' "$LOG" | tail -n1 | tr -d ' ' || true)"
                echo "    mmcv build: ${prog:+compile step }${prog:-preparing}, $((SECONDS - t0)) s elapsed"
            fi
        done
        if ! wait "$BUILD_PID"; then
            BUILD_PID=""
            echo "---- last 40 lines of $LOG ----" >&2
            tail -n 40 "$LOG" >&2
            die "mmcv build failed; full log: $LOG"
        fi
        BUILD_PID=""
        built="$(ls "$TMP_BUILD"/out/mmcv-"$MMCV_VERSION"-*.whl)"
        echo "    built $(basename "$built") in $((SECONDS - t0)) s"
        # Atomic publish: copy next to the target, then rename.
        mkdir -p "$WHEEL_DIR"
        cp "$built" "$WHEEL_DIR/.partial.$$"
        mv "$WHEEL_DIR/.partial.$$" "$WHEEL_DIR/$(basename "$built")"
        WHEEL="$WHEEL_DIR/$(basename "$built")"
        echo "    cached: $WHEEL"
    fi
    pip_install --no-deps --force-reinstall "$WHEEL"
    echo "$KEY" >"$KEY_FILE"
    # mmcv's own runtime dependencies (installed --no-deps above).
    pip_install addict "mmengine==0.10.7" numpy packaging Pillow pyyaml yapf "opencv-python>=3" \
        "mmcv==$MMCV_VERSION" "$SETUPTOOLS"
    mmcv_ok || die "mmcv $MMCV_VERSION was installed but 'import mmcv.ops' fails."
fi
done_step

# ---------------------------------------------------------------------------
step openmmlab "${OPENMMLAB[*]}"
mapfile -t missing < <(unmet "${OPENMMLAB[@]}")
if (( ${#missing[@]} )); then
    # mmcv==2.1.0 is listed so that pip keeps the installed build.
    pip_install "${OPENMMLAB[@]}" "$SETUPTOOLS"
    mmcv_ok || die "installing ${OPENMMLAB[*]} replaced the mmcv build; re-run this script."
else
    skip "installed"
fi
done_step

# ---------------------------------------------------------------------------
step openmim "openmim (--no-deps) + ${MIM_DEPS[*]}"
mapfile -t missing < <(unmet openmim==0.3.9 "${MIM_DEPS[@]}")
if (( ${#missing[@]} )); then
    pip_install "${MIM_DEPS[@]}" "$SETUPTOOLS"
    pip_install --no-deps openmim==0.3.9
    "$VENV/bin/mim" --version >/dev/null 2>&1 || die "'mim --version' fails."
else
    skip "installed"
fi
done_step

# ---------------------------------------------------------------------------
step extras "${EXTRAS[*]}"
mapfile -t missing < <(unmet "${EXTRAS[@]}" "${NUMPY_PIN[@]}")
if (( ${#missing[@]} )); then
    pip_install "${EXTRAS[@]}" "mmcv==$MMCV_VERSION" "$SETUPTOOLS"
else
    skip "installed"
fi
done_step

# ---------------------------------------------------------------------------
step mmiresnet "pip install -e .[tests] (editable)"
want="$ROOT $(cksum <"$ROOT/setup.py")"
if [[ "$(cat "$STAMP" 2>/dev/null)" == "$want" ]] \
        && "$VPY" -c "import importlib.util as u, sys; s = u.find_spec('mmiresnet'); sys.exit(s is None or not s.origin.startswith('$ROOT/'))" 2>/dev/null; then
    skip "editable install present"
else
    # Every dependency is installed by now; --no-deps guarantees no changes.
    pip_install --no-deps --no-build-isolation -e "$ROOT"
    mapfile -t missing < <(unmet "${OPENMMLAB[@]}" "$SETUPTOOLS" "${EXTRAS[@]}")
    (( ${#missing[@]} == 0 )) || die "unmet requirements: ${missing[*]}"
    echo "$want" >"$STAMP"
fi
# The wheel's start-up hook for mmiresnet:: base configs (setup.py,
# docs/packaging.md); an editable install does not install it.
SITE="$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cmp -s "$ROOT/mmiresnet-config.pth" "$SITE/mmiresnet-config.pth" \
    || cp "$ROOT/mmiresnet-config.pth" "$SITE/mmiresnet-config.pth"
done_step

# ---------------------------------------------------------------------------
step verify "imports and summary"
"$VPY" - <<'EOF' || die "'import mmcv.ops, mmdet, mmpretrain' fails in $VENV."
import sys
import traceback
from importlib import metadata

import numpy
import torch
torch.from_numpy(numpy.zeros(2))  # torch and NumPy agree on the ABI
import mmcv.ops  # noqa: F401
import mmdet  # noqa: F401
import mmpretrain  # noqa: F401
from mmcv.ops import get_compiling_cuda_version

for n in ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet', 'mmpretrain',
          'openmim', 'numpy', 'setuptools', 'mmiresnet'):
    try:
        v = metadata.version(n)
    except metadata.PackageNotFoundError:
        v = 'NOT INSTALLED'
    print(f'    {n:12s} {v}')
print(f'    mmcv ops     compiled (CUDA: {get_compiling_cuda_version()}), '
      f'torch CUDA available: {torch.cuda.is_available()}')
try:
    import mmiresnet  # noqa: F401
except Exception:  # the environment is fine; the package code is not
    print("    WARNING: 'import mmiresnet' fails (error in the package code, "
          'not in the environment):', file=sys.stderr)
    traceback.print_exc()
EOF
mim_version="$("$VENV/bin/mim" --version 2>/dev/null)" || die "'mim --version' fails."
echo "    mim: $mim_version"
done_step

echo
echo "mmiresnet environment ready in $((SECONDS - T_START)) s: $VENV"
echo "  activate: source .venv/bin/activate   info: .venv/bin/python tools/env_info.py"
