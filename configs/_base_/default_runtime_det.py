# Runtime of the detection configs: MMDetection's default runtime plus the
# plugin import. Checkpoints: the 3 latest and the best (each recipe names
# its metric). CheckpointFitHook (mmiresnet.checks.hooks) refuses a
# checkpoint (load_from, --resume, the test's CHECKPOINT) whose keys or
# shapes differ from the model's; strict=False (tools: --no-strict-load)
# keeps mmengine's lenient loading.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmdet'
default_hooks = dict(
    checkpoint=dict(max_keep_ckpts=3, rule='greater'),
    checkpoint_fit=dict(type='CheckpointFitHook', strict=True))
