#!/usr/bin/env bash
# Quickstart (after the set-up): make the synthetic shapes set, train SSD with
# a truncated iResNet-18 trunk from scratch with `mim train mmdet`, evaluate
# it with CocoMetric and draw its detections on held-out images into
# work_dirs/quickstart/detections.png. See tools/quickstart.py and
# docs/detection.md. Options are passed on to tools/quickstart.py, e.g.
#   tools/quickstart.sh --fresh
#   tools/quickstart.sh -- --cfg-options train_cfg.max_epochs=4
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-.venv/bin/python}
if [ ! -x "$PYTHON" ] && ! command -v "$PYTHON" >/dev/null; then
    echo "error: $PYTHON not found; run the set-up first (tools/setup_env.sh)" >&2
    exit 1
fi
exec "$PYTHON" tools/quickstart.py "$@"
