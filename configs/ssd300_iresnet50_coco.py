# The users' command, kept at its first path:
#   mim train mmdet configs/ssd300_iresnet50_coco.py
# It is configs/ssd/ssd300_iresnet50_coco.py (SSD300 with a truncated
# iResNet-50 trunk on COCO, the iResNet paper's recipe); see
# configs/ssd/README.md.
_base_ = ['./ssd/ssd300_iresnet50_coco.py']
