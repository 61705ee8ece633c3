#!/usr/bin/env bash
# The GPU figures in one run, for a lent GPU machine (the `device` tool), each a ratio
# against a baseline measured in the same run:
#   1. pre-segmenting a folder of 1080p photos / the bare forward (Swin-T size, edge 800);
#   2. a training step of `panoptix train` / a bare forward + backward + AdamW step
#      (Mask2Former Swin-T size, then the demo model's size);
#   3. a Segment Anything click (SAM 2.1 Hiera-T size) at 1080p and 12 MP.
# Everything goes to stdout and to $OUT/gpu_figures.txt (when OUT is set).
#     bash bench/gpu_figures.sh [DEVICE]        # default cuda
set -euo pipefail
device="${1:-cuda}"
log="${OUT:-/tmp}/gpu_figures.txt"
export HF_HUB_OFFLINE=1 PYTHONPATH="$(pwd)/desktop${PYTHONPATH:+:$PYTHONPATH}"
python=${PYTHON:-python}
{
  echo "== $(date -u +%FT%TZ) on $device"
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true
  uptime
  echo "== 1. pre-segmentation / bare forward"
  $python bench/bench_presegment.py --device "$device" --images 8 --rounds 3
  echo "== 2. training step / bare step"
  $python bench/bench_train.py --device "$device" --model swin-t --batch 4 --steps 6 --rounds 3
  $python bench/bench_train.py --device "$device" --model small --batch 4 --steps 6 --rounds 3
  echo "== 3. SAM click"
  $python bench/bench_sam.py --device "$device"
  uptime
} 2>&1 | tee "$log"
