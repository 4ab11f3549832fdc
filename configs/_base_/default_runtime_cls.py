# Runtime of the classification configs: MMPretrain's default runtime
# (v1.2.0) plus the plugin import. A local copy rather than a
# `mmpretrain::` base: mmengine 0.10.7 resolves each `pkg::` base through
# pkg_resources (about 0.4 s each; removed in setuptools >= 82).
# CheckpointFitHook (mmiresnet.checks.hooks) refuses a checkpoint (load_from,
# --resume, the test's CHECKPOINT) whose keys or shapes differ from the
# model's; strict=False (tools: --no-strict-load) keeps mmengine's lenient
# loading.
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmpretrain'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    checkpoint_fit=dict(type='CheckpointFitHook', strict=True),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
