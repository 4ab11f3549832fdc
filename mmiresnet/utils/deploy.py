"""Deployment helpers: plain-tensor forward, ``torch.export`` and ONNX.

OpenMMLab models take ``(inputs, data_samples, mode)``; exporters want a
module that maps image tensors to output tensors. :class:`TensorForward`
is that module for backbones, MMPretrain classifiers (class scores) and
MMDetection detectors (raw head outputs, before box decoding and NMS).
Fusing BN into the convs is ``mmcv.cnn.fuse_conv_bn(model.eval())`` on any
of them (see docs/deployment.md).
"""
import os.path as osp

import torch
import torch.nn as nn

from mmiresnet.checkpoint import write_atomic


class TensorForward(nn.Module):
    """A model as ``images -> tensor or tuple of tensors``.

    Args:
        model (nn.Module): A backbone, an MMPretrain classifier (returns the
            class scores, ``mode='tensor'``) or an MMDetection detector
            (returns the head's raw outputs, ``_forward``).
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, inputs):
        model = self.model
        if hasattr(model, 'bbox_head') or hasattr(model, 'roi_head'):
            outs = model._forward(inputs)
        elif hasattr(model, 'data_preprocessor'):  # OpenMMLab BaseModel
            outs = model(inputs, mode='tensor')
        else:
            outs = model(inputs)
        return _flatten(outs)


def _flatten(outs):
    if torch.is_tensor(outs):
        return outs
    flat = []
    for out in outs:
        out = _flatten(out)
        flat.extend([out] if torch.is_tensor(out) else out)
    return tuple(flat)


def max_relative_difference(outs, refs):
    """Largest ``max|out - ref| / max|ref|`` over matching output tensors.

    Args:
        outs (Tensor | Sequence[Tensor]): Outputs to check.
        refs (Tensor | Sequence[Tensor]): Reference outputs, same structure.
    """
    outs, refs = _flatten(outs), _flatten(refs)
    outs = (outs, ) if torch.is_tensor(outs) else outs
    refs = (refs, ) if torch.is_tensor(refs) else refs
    if len(outs) != len(refs) or not refs:
        raise ValueError(f'{len(outs)} outputs vs {len(refs)} references')
    return max(
        float((o.detach().double() - r.detach().double()).abs().max() /
              r.detach().double().abs().max().clamp_min(1e-30))
        for o, r in zip(outs, refs))


def _check_inputs(inputs):
    if not (torch.is_tensor(inputs) and inputs.dim() == 4):
        shape = tuple(inputs.shape) if torch.is_tensor(inputs) else \
            type(inputs).__name__
        raise ValueError('example inputs must be an (N, C, H, W) tensor, '
                         f'got {shape}')


def _batch_dim(dynamic_batch, inputs):
    if dynamic_batch and inputs.shape[0] < 2:
        raise ValueError('a dynamic batch needs example inputs of batch >= 2 '
                         '(torch.export fixes a batch of 1); got 1')
    return ({0: torch.export.Dim('batch', min=1, max=1024)}, ) \
        if dynamic_batch else None


def export_program(model, inputs, dynamic_batch=True):
    """``torch.export.export`` of ``TensorForward(model)`` in eval mode.

    Args:
        model (nn.Module): See :class:`TensorForward`.
        inputs (Tensor): Example images ``(N, C, H, W)``.
        dynamic_batch (bool): Let the batch size vary (H, W stay fixed).
    """
    _check_inputs(inputs)
    dynamic_shapes = _batch_dim(dynamic_batch, inputs)
    module = TensorForward(model).eval()
    return torch.export.export(
        module, (inputs, ), dynamic_shapes=dynamic_shapes)


def export_onnx(model, inputs, path, dynamic_batch=True, force=False):
    """Export ``TensorForward(model)`` to an ONNX file (torch.export based).

    The file is written under a temporary name and renamed when complete,
    so an interrupted export leaves nothing behind.

    Args:
        model (nn.Module): See :class:`TensorForward`.
        inputs (Tensor): Example images ``(N, C, H, W)``.
        path (str): Output ``.onnx`` file.
        dynamic_batch (bool): Let the batch size vary (H, W stay fixed).
        force (bool): Replace an existing ``path``.
    """
    _check_inputs(inputs)
    path = _output_path(path, force)
    module = TensorForward(model).eval()

    def write(tmp):
        torch.onnx.export(
            module, (inputs, ),
            tmp,
            dynamo=True,
            input_names=['inputs'],
            external_data=False,
            dynamic_shapes=_batch_dim(dynamic_batch, inputs),
            verbose=False)

    write_atomic(path, force, write, '.onnx')
    return path


def save_program(program, path, force=False):
    """``torch.export.save`` of an exported program, written atomically.

    Args:
        program (ExportedProgram): From :func:`export_program`.
        path (str): Output ``.pt2`` file (``torch.export.load`` reads it).
        force (bool): Replace an existing ``path``.
    """
    path = _output_path(path, force)
    write_atomic(path, force, lambda tmp: torch.export.save(program, tmp),
                 '.pt2')
    return path


def _output_path(path, force):
    path = osp.abspath(path)
    if osp.exists(path) and not force:
        raise FileExistsError(f'{path} exists; pass --force to replace it')
    folder = osp.dirname(path)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'output folder {folder} does not exist')
    return path


def onnxruntime_outputs(path, inputs):
    """Outputs (list of numpy arrays) of an ONNX file run by onnxruntime.

    Args:
        path (str): ``.onnx`` file from :func:`export_onnx`.
        inputs (Tensor): Images ``(N, C, H, W)``.
    """
    import onnxruntime
    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    return session.run(None, {name: inputs.detach().cpu().numpy()})
