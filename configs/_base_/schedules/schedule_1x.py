# MMDetection's 1x schedule (12 epochs, SGD lr 0.02 for 8 GPUs x 2 images,
# steps at epochs 8 and 11) with linear lr scaling switched on: other totals,
# e.g. one GPU, get lr * total / 16.
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'
auto_scale_lr = dict(enable=True, base_batch_size=16)
