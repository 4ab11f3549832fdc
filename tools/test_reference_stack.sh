#!/usr/bin/env bash
# OpenMMLab's reference stack: torch 2.1.2 + torchvision 0.16.2 with NumPy
# 1.x, in its own environment (.venv-torch2.1), and the part of the suite
# that covers the model code on it: every family's forward and backward,
# the SSD head, the weights and their scheme, and one `mim train mmdet` of
# configs/ssd300_iresnet50_coco.py. Run from anywhere; CI runs it after
# the whole suite on the default stack (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export MMIRESNET_VENV="${MMIRESNET_VENV:-.venv-torch2.1}"
export MMIRESNET_TORCH="${MMIRESNET_TORCH:-torch==2.1.2 torchvision==0.16.2}"
bash tools/setup_env.sh
"$MMIRESNET_VENV/bin/python" -m pytest -q \
    tests/test_env.py tests/test_compat.py tests/test_backbones.py \
    tests/test_archs.py \
    tests/test_ssd_head.py tests/test_weights.py "$@"
