#!/usr/bin/env bash
# Distributed testing with torchrun (python -m torch.distributed.run), as
# MMDetection's / MMPretrain's tools/dist_test.sh:
#
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py options ...]
#
# e.g. tools/dist_test.sh configs/ssd300_iresnet50_coco.py epoch_130.pth 8
# GPUS processes on this node, each running tools/test.py CONFIG CHECKPOINT
# --launcher pytorch (detection or classification, by the config's
# default_scope). Without CUDA the processes run on the CPU with gloo.
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
# PORT (29500), PYTHON (python).
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [tools/test.py options ...]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$TOOLS_DIR/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
