"""The environment built by tools/setup_env.sh: mmcv ops, libraries, tools."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch


def test_versions():
    import mmcv
    import mmdet
    import mmengine
    import mmpretrain
    assert mmcv.__version__ == '2.1.0'
    assert mmengine.__version__ == '0.10.7'
    assert mmdet.__version__ == '3.3.0'
    assert mmpretrain.__version__ == '1.2.0'


def test_mmcv_nms_cpu():
    from mmcv.ops import nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [20., 20., 30., 30.], [0., 0., 10., 9.]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    # box 3 (score .95) suppresses 0 (IoU .9), 0 would suppress 1 but is gone;
    # IoU(3, 1) = 72 / 118 > .5, so only 3 and 2 survive.
    assert keep.tolist() == [3, 2]
    torch.testing.assert_close(dets[:, :4], boxes[[3, 2]])
    torch.testing.assert_close(dets[:, 4], scores[[3, 2]])


@pytest.mark.parametrize('aligned', [True, False])
def test_mmcv_roi_align_cpu(aligned):
    from mmcv.ops import RoIAlign

    # f(y, x) = x + 10 y is linear, so bilinear sampling is exact.
    ys, xs = torch.meshgrid(torch.arange(6.), torch.arange(6.), indexing='ij')
    feat = (xs + 10 * ys)[None, None].repeat(1, 2, 1, 1)
    feat[:, 1] *= 2
    rois = torch.tensor([[0., 1., 1., 5., 5.]])  # batch idx, x1, y1, x2, y2
    op = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=aligned)
    out = op(feat, rois)
    assert out.shape == (1, 2, 2, 2)
    off = 0.5 if aligned else 0.0  # aligned: pixel centres at integer + .5
    centres = torch.tensor([2., 4.]) - off  # bin centres of [1, 5] in 2 bins
    expected = centres[None, :] + 10 * centres[:, None]
    torch.testing.assert_close(out[0, 0], expected)
    torch.testing.assert_close(out[0, 1], 2 * expected)
    from torchvision.ops import roi_align
    torch.testing.assert_close(
        out, roi_align(feat, rois, (2, 2), 1.0, 2, aligned=aligned))


def test_import_mmiresnet():
    import mmiresnet
    assert mmiresnet.__version__


def test_installed_versions_satisfy_the_declared_ranges():
    """What this environment runs lies in setup.py's ranges."""
    from importlib import metadata

    from packaging.requirements import Requirement
    requires = [Requirement(r) for r in metadata.requires('mmiresnet')]
    checked = 0
    for req in requires:
        if req.marker is not None:  # extras
            continue
        have = metadata.version(req.name)
        assert req.specifier.contains(have, prereleases=True), (req, have)
        checked += 1
    assert checked >= 8


def test_mim_cli():
    mim = Path(sys.executable).parent / 'mim'
    if not mim.exists():
        pytest.skip(f'no {mim} (not set up by tools/setup_env.sh)')
    out = subprocess.run([str(mim), '--version'],
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr


def test_env_info_runs(repo_root):
    out = subprocess.run([sys.executable, 'tools/env_info.py'],
                         cwd=repo_root,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'mmcv ops    compiled' in out.stdout
    assert 'registered by mmiresnet:' in out.stdout
