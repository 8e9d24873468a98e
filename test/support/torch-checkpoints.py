"""
Builds the checkpoints that test/unit/export-chexnet.test.ts feeds to tools/export-chexnet.py, and the
PyTorch reference the test compares the exported model against. Run with Debian's /usr/bin/python3
(python3-torch 1.13, python3-torchvision 0.14):

    /usr/bin/python3 test/support/torch-checkpoints.py OUT_DIR

One set of random weights is saved in every form a CheXNet user meets, so every export must give
the same numbers:

- arnoweng-legacy.pth.tar: what arnoweng/CheXNet's model.pth.tar is: a dict with `state_dict` (and
  epoch/arch/optimizer beside it) from `torch.nn.DataParallel(DenseNet121(14))` on a GPU under
  torchvision < 0.4: keys `module.densenet121.features.denseblock1.denselayer1.norm.1.weight`, no
  `num_batches_tracked`, torch's legacy (non-zip) serialisation, storages tagged `cuda:0` (so loading
  without map_location fails on a machine without CUDA, as the real file does).
- state-dict.pth: a bare state_dict as users re-save it: no wrapper prefixes, today's layer names,
  the classifier as a plain Linear (`classifier.weight`); zip serialisation.
- whole-model.pth: `torch.save(model)` of `DataParallel(DenseNet121)` where DenseNet121 is a class
  defined in `__main__`, as in arnoweng's script; zip serialisation. The exporter cannot import that
  class, which is the point.
- whole-model-legacy.pth: `torch.save(model)` of the DenseNet121 itself (no DataParallel), legacy
  serialisation from a GPU, where torch also pickles each module class's source.

and the files the exporter must refuse: missing-key.pth, unexpected-key.pth, fifteen-classes.pth,
not-a-checkpoint.txt, chest.png, and evil.pth, whose unpickling runs `touch "$CHEXDESK_PWNED"` (this
script proves it does with plain torch.load; the exporter must not run it).

The reference (reference.json, input.f32) comes from the PyTorch model itself, before any saving, so
it is independent of the exporter: probabilities = model(x) (torchvision's forward, Sigmoid
classifier) and cam = classifier weight applied to relu(features(x)), for a [2, 3, 224, 224] input.
"""
import collections
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

N_CLASSES = 14
SEED = 20171205  # arbitrary; fixed so that a failure reproduces


class DenseNet121(nn.Module):
    """arnoweng/CheXNet's model class (model.py), with random instead of ImageNet weights."""

    def __init__(self, out_size):
        super(DenseNet121, self).__init__()
        self.densenet121 = torchvision.models.densenet121(weights=None)
        num_ftrs = self.densenet121.classifier.in_features
        self.densenet121.classifier = nn.Sequential(nn.Linear(num_ftrs, out_size), nn.Sigmoid())

    def forward(self, x):
        return self.densenet121(x)


def random_model():
    """Random weights that still give varied probabilities: the BatchNorm statistics are measured on
    random inputs (else the activations blow up through 121 layers and every probability is 0 or 1,
    which would hide any difference), and every parameter is perturbed so a mis-mapped key shows."""
    torch.manual_seed(SEED)
    model = DenseNet121(N_CLASSES)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
                m.momentum = None  # cumulative average over the calibration batches
        model.train()
        for _ in range(2):
            model(torch.randn(4, 3, 224, 224))
        model.eval()
        linear = model.densenet121.classifier[0]
        linear.weight.mul_(6.0)
        linear.bias.normal_(0.0, 0.5)
    return model


def inputs():
    """Two images in ImageNet-normalised range: noise, and a radial pattern under weaker noise (the
    network's statistics come from noise, so a pure pattern would saturate every probability)."""
    g = torch.Generator().manual_seed(SEED + 1)
    noise = torch.randn(2, 3, 224, 224, generator=g)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 224), torch.linspace(-1, 1, 224), indexing='ij')
    pattern = torch.cos(6.0 * torch.sqrt(xx * xx + yy * yy)).expand(3, 224, 224)
    noise[1] = 0.8 * noise[1] + 0.6 * pattern
    return noise.contiguous()


LEGACY_NAME = {'norm1': 'norm.1', 'norm2': 'norm.2', 'conv1': 'conv.1', 'conv2': 'conv.2'}


def legacy_key(key):
    """torchvision < 0.4 named the layers of a _DenseLayer 'norm.1', 'conv.1', ... (the inverse of the
    regex in torchvision/models/densenet.py _load_state_dict)."""
    parts = key.split('.')
    out = []
    for i, p in enumerate(parts):
        if p in LEGACY_NAME and i > 0 and parts[i - 1].startswith('denselayer'):
            out.append(LEGACY_NAME[p])
        else:
            out.append(p)
    return '.'.join(out)


class _TagAsCuda:
    """While active, torch.save records every CPU storage as 'cuda:0', as a checkpoint saved on a GPU
    has it (torch.serialization picks the first tagger, by priority, that returns a location)."""

    active = False

    @staticmethod
    def tagger(obj):
        return 'cuda:0' if _TagAsCuda.active and obj.device.type == 'cpu' else None


torch.serialization.register_package(1, _TagAsCuda.tagger, lambda obj, location: None)


def save_legacy_gpu(obj, path):
    _TagAsCuda.active = True
    try:
        torch.save(obj, path, _use_new_zipfile_serialization=False)
    finally:
        _TagAsCuda.active = False


class Payload:
    """Pickles as a call to os.system: what a hostile checkpoint can do to plain torch.load."""

    def __reduce__(self):
        return (os.system, ('touch "$CHEXDESK_PWNED"',))


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = random_model()
    x = inputs()
    with torch.no_grad():
        probabilities = model(x)
        net = model.densenet121
        fmap = F.relu(net.features(x))
        cam = torch.einsum('kc,nchw->nkhw', net.classifier[0].weight, fmap)

    # Every tensor gets its own storage (a .clone()), as in a state_dict saved from a live model.
    sd = collections.OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())

    # 1. arnoweng's model.pth.tar
    dp = nn.DataParallel(model)
    legacy = collections.OrderedDict(
        (legacy_key(k), v.clone()) for k, v in dp.state_dict().items() if not k.endswith('num_batches_tracked'))
    assert 'module.densenet121.features.denseblock1.denselayer1.norm.1.weight' in legacy
    assert 'module.densenet121.classifier.0.weight' in legacy
    save_legacy_gpu({
        'epoch': 7,
        'arch': 'densenet121',
        'state_dict': legacy,
        'best_loss': 0.1523,
        'optimizer': {'state': {}, 'param_groups': [{'lr': 1e-4, 'betas': (0.9, 0.999), 'params': list(range(len(legacy)))}]},
    }, os.path.join(out_dir, 'arnoweng-legacy.pth.tar'))

    # 2. a bare state_dict without wrappers, plain-Linear classifier
    bare = collections.OrderedDict()
    for k, v in sd.items():
        k = k[len('densenet121.'):]
        bare[k.replace('classifier.0.', 'classifier.')] = v.clone()
    torch.save(bare, os.path.join(out_dir, 'state-dict.pth'))

    # 3. the whole pickled DataParallel model (class DenseNet121 lives in __main__), and the model
    # itself in the legacy format
    torch.save(dp, os.path.join(out_dir, 'whole-model.pth'))
    save_legacy_gpu(model, os.path.join(out_dir, 'whole-model-legacy.pth'))

    # Refusals
    missing_key = 'features.denseblock3.denselayer7.conv2.weight'
    broken = collections.OrderedDict((k, v) for k, v in bare.items() if k != missing_key)
    torch.save(broken, os.path.join(out_dir, 'missing-key.pth'))

    extra = collections.OrderedDict(bare)
    extra['features.denseblock4.denselayer17.norm1.weight'] = torch.ones(1024)
    torch.save(extra, os.path.join(out_dir, 'unexpected-key.pth'))

    fifteen = collections.OrderedDict(sd)
    fifteen['densenet121.classifier.0.weight'] = torch.randn(15, 1024)
    fifteen['densenet121.classifier.0.bias'] = torch.randn(15)
    torch.save({'state_dict': fifteen, 'epoch': 1}, os.path.join(out_dir, 'fifteen-classes.pth'))

    with open(os.path.join(out_dir, 'not-a-checkpoint.txt'), 'w') as f:
        f.write('This is not a checkpoint.\nIt is a text file that someone renamed.\n')
    Image.new('L', (64, 64), 128).save(os.path.join(out_dir, 'chest.png'))

    evil = os.path.join(out_dir, 'evil.pth')
    torch.save({'epoch': 1, 'payload': Payload()}, evil)
    control = os.path.join(out_dir, 'payload-ran')
    os.environ['CHEXDESK_PWNED'] = control
    torch.load(evil)  # plain unpickling runs the payload...
    assert os.path.exists(control), 'the payload of evil.pth did not run under plain torch.load'
    os.remove(control)  # ...so the exporter not running it means something

    x.numpy().astype('<f4').tofile(os.path.join(out_dir, 'input.f32'))
    with open(os.path.join(out_dir, 'reference.json'), 'w') as f:
        json.dump({
            'torch': torch.__version__,
            'inputShape': list(x.shape),
            'probabilities': probabilities.tolist(),
            'cam': cam.tolist(),
            'missingKey': missing_key,
            'unexpectedKey': 'features.denseblock4.denselayer17.norm1.weight',
        }, f)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: torch-checkpoints.py OUT_DIR')
    main(sys.argv[1])
