# MMDetection's SSD300 VOC schedule (pascal_voc/ssd300_voc0712.py, v3.3.0):
# its 2x schedule (24 epochs of the 10x repeated data, 500-iteration warm-up)
# with SGD lr 1e-3 and weight decay 5e-4 for 8 GPUs x 8 images, lr steps at
# epochs 16 and 20; the lr scales linearly for other totals (mmdet ships
# this switched off).
_base_ = 'mmdet::_base_/schedules/schedule_2x.py'
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], milestones=[16, 20])
]
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=5e-4))
auto_scale_lr = dict(enable=True, base_batch_size=64)
