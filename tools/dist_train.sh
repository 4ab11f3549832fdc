#!/usr/bin/env bash
# Distributed training with torchrun (python -m torch.distributed.run), as
# MMDetection's / MMPretrain's tools/dist_train.sh:
#
#   tools/dist_train.sh CONFIG GPUS [tools/train.py options ...]
#
# e.g. tools/dist_train.sh configs/ssd300_iresnet50_coco.py 8
#      tools/dist_train.sh configs/iresnet/iresnet50_8xb32_in1k.py 8 --amp
# GPUS processes on this node, each running tools/train.py CONFIG
# --launcher pytorch (detection or classification, by the config's
# default_scope). Without CUDA the processes run on the CPU with gloo.
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
# PORT (29500), PYTHON (python). Several nodes: run it on every node with the
# same NNODES, MASTER_ADDR and PORT and NODE_RANK=0..NNODES-1.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [tools/train.py options ...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
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
    "$TOOLS_DIR/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
