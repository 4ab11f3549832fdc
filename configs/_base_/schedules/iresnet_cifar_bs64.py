# iResNet CIFAR-10/100 recipe (Duta et al. 2020, Sec. 4 and App. A.3): the
# ImageNet optimizer on one GPU, batch 64, 164 epochs, lr 0.1 divided by 10
# at epochs 81 and 122; augmentation as He et al. (the CIFAR data bases).
# Left open by the paper: no warm-up is mentioned (He et al. warm up their
# 1001-layer nets at lr 0.01; add a LinearLR if a deep net diverges).
_base_ = './iresnet_imagenet_bs256.py'
param_scheduler = dict(milestones=[81, 122])
train_cfg = dict(max_epochs=164)
auto_scale_lr = dict(base_batch_size=64)
