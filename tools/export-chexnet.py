#!/usr/bin/env python3
"""
Converts a CheXNet checkpoint into a CheXDesk model folder (model.onnx + model.json, format
chexdesk-model/1: ../shared/models/README.md).

    python3 tools/export-chexnet.py CHECKPOINT OUT_DIR [--name NAME] [--version VERSION] [--force]

CHECKPOINT may be any of the forms CheXNet weights circulate in:
  - arnoweng/CheXNet's model.pth.tar: a dict whose `state_dict` comes from a GPU
    `nn.DataParallel(DenseNet121)` under torchvision < 0.4 (keys like
    `module.densenet121.features.denseblock1.denselayer1.norm.1.weight`), legacy serialisation;
  - a bare state_dict, with or without the `module.` / `densenet121.` prefixes, old or new layer
    names, the classifier as `classifier.0.*` (Linear in a Sequential with the Sigmoid) or
    `classifier.*` (a plain Linear);
  - a whole pickled model (`torch.save(model)`), whose class the exporter does not need.

Steps: load on the CPU, find the weights, rename them to today's torchvision DenseNet121 with a
Linear(1024, 14) + Sigmoid classifier, refuse (naming the keys/shapes) when they do not fit, export
ONNX (opset 17, dynamic batch; outputs `probabilities` [N, 14] and `cam` [N, 14, 7, 7]), check the
ONNX against PyTorch with onnxruntime-node, then write model.json from assets/chexnet.model.json.

Needs torch, torchvision and onnx for the Python that runs it (Debian: `sudo apt-get install
python3-torch python3-torchvision python3-onnx`, which only /usr/bin/python3 sees; elsewhere
`pip install torch torchvision onnx`), and node with the project's npm packages installed for the
check. Exit codes: 0 written, 1 usage, 2 refused or failed (one line on stderr; --debug for details).
"""
import argparse
import collections
import contextlib
import datetime
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / 'assets' / 'chexnet.model.json'
PROG = 'export-chexnet'
N_CLASSES = 14
N_FEATURES = 1024  # DenseNet121's final feature channels
OPSET = 17
# Largest difference allowed between onnxruntime's and PyTorch's probabilities (the bound).
TOLERANCE = 1e-5
# CAM values are unbounded logits-per-cell; their bound is relative to the largest |value|.
CAM_RELATIVE_TOLERANCE = 1e-4
REEXEC_FLAG = 'CHEXDESK_EXPORT_REEXEC'


class Refusal(Exception):
    """A reason, for a person, why no model folder was written. Printed as one line."""


class Usage(Exception):
    pass


# ─── Python environment ──────────────────────────────────────────────────────────────────────────

def import_ml():
    """Imports torch, torchvision and onnx. On Debian these are only visible to /usr/bin/python3,
    while another python3 often comes first on PATH; rather than make every user learn that, re-run
    this script once under /usr/bin/python3 when it exists."""
    try:
        import torch
        import torchvision
        import onnx
        return torch, torchvision, onnx
    except ImportError as err:
        missing = err.name or str(err)
    system = '/usr/bin/python3'
    if os.environ.get(REEXEC_FLAG) != '1' and os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system):
        os.environ[REEXEC_FLAG] = '1'
        os.execv(system, [system, os.path.abspath(__file__)] + sys.argv[1:])
    raise Refusal(
        f'{sys.executable} cannot import {missing}: this tool needs torch, torchvision and onnx '
        '(Debian/Ubuntu: sudo apt-get install python3-torch python3-torchvision python3-onnx, then run it with '
        '/usr/bin/python3; elsewhere: pip install torch torchvision onnx)')


# ─── Reading the checkpoint without running its code ─────────────────────────────────────────────

def sha256_of(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def sniff(path):
    """What the file is when it is plainly not a checkpoint, else None (torch.load decides)."""
    with open(path, 'rb') as f:
        head = f.read(512)
    if not head:
        return 'is empty'
    if head.startswith(b'PK\x03\x04') or head[0] == 0x80 or head[257:262] == b'ustar':
        return None  # zip (torch >= 1.6), pickle protocol 2+ (legacy torch.save), tar (torch < 0.1.10)
    if head.startswith(b'\x89PNG\r\n\x1a\n'):
        return 'is a PNG image, not a PyTorch checkpoint'
    if head.startswith(b'\xff\xd8\xff'):
        return 'is a JPEG image, not a PyTorch checkpoint'
    if head[128:132] == b'DICM':
        return 'is a DICOM file, not a PyTorch checkpoint'
    if head.startswith(b'version https://git-lfs'):
        return 'is a Git LFS pointer, not the weights (fetch the real file, e.g. git lfs pull)'
    lower = head.lstrip().lower()
    if lower.startswith(b'<!doctype html') or lower.startswith(b'<html'):
        return 'is a web page (HTML), not a PyTorch checkpoint: the download probably failed'
    if head.startswith(b'\x1f\x8b'):
        return 'is gzip-compressed: decompress it first'
    return None


def looks_like_text(path):
    with open(path, 'rb') as f:
        head = f.read(4096)
    try:
        head.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return all(b >= 32 or b in (9, 10, 13) for b in head)


class _Stub:
    """Stands in for every class a checkpoint names that is not plain data (the model's own classes,
    torch.nn modules, optimizers, argparse.Namespace, …). It only keeps the state pickle hands it, so
    unpickling never imports or runs the checkpoint's code, a whole model loads without its class
    (arnoweng's DenseNet121 lives in a script's __main__), and a module's weights are read from its
    `_parameters`/`_buffers`/`_modules` exactly as nn.Module.state_dict() would."""

    _origin = '?'
    dump_patches = False  # read by torch's legacy loader when a pickled module's source changed

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and all(s is None or isinstance(s, dict) for s in state):
            for part in state:
                if part:
                    self.__dict__.update(part)
        elif isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self.__dict__['_stub_state'] = state

    def __setitem__(self, key, value):
        self.__dict__.setdefault('_stub_items', {})[key] = value

    def append(self, value):
        self.__dict__.setdefault('_stub_list', []).append(value)

    def extend(self, values):
        self.__dict__.setdefault('_stub_list', []).extend(values)


def restricted_pickle_module(torch):
    """A pickle module for torch.load(pickle_module=...): plain data, tensors and storages are built
    as usual; everything else becomes a _Stub. torch 1.13's weights_only loader would refuse the
    whole-model form outright, and plain pickle would need (and run) the model's classes."""
    import _compat_pickle
    import types

    allowed = {
        ('collections', 'OrderedDict'), ('collections', 'defaultdict'), ('copyreg', '_reconstructor'),
        ('builtins', 'set'), ('builtins', 'frozenset'), ('builtins', 'slice'), ('builtins', 'complex'),
        ('builtins', 'bytearray'), ('builtins', 'object'), ('builtins', 'list'), ('builtins', 'dict'),
        ('builtins', 'tuple'), ('builtins', 'int'), ('builtins', 'float'), ('builtins', 'str'), ('builtins', 'bool'),
        ('torch', 'Size'), ('torch', 'device'), ('torch', 'Tensor'), ('torch.nn.parameter', 'Parameter'),
        ('torch._tensor', '_rebuild_from_type_v2'), ('torch.serialization', '_get_layout'),
        ('numpy', 'dtype'), ('numpy', 'ndarray'),
        ('numpy.core.multiarray', 'scalar'), ('numpy.core.multiarray', '_reconstruct'),
        ('numpy._core.multiarray', 'scalar'), ('numpy._core.multiarray', '_reconstruct'),
    }
    stubs = {}

    def is_allowed(module, name):
        if (module, name) in allowed:
            return True
        if module == 'torch._utils' and name.startswith('_rebuild_'):
            return True
        if module == 'torch':
            value = getattr(torch, name, None)
            return isinstance(value, torch.dtype) or (isinstance(value, type) and name.endswith('Storage'))
        return False

    class RestrictedUnpickler(pickle.Unpickler):
        def find_class(self, module, name):
            # Protocol-2 pickles (torch.save's default) spell Python 2 names: __builtin__, copy_reg.
            m, n = _compat_pickle.NAME_MAPPING.get((module, name), (_compat_pickle.IMPORT_MAPPING.get(module, module), name))
            if is_allowed(m, n):
                return super().find_class(module, name)
            key = f'{m}.{n}'
            if key not in stubs:
                stubs[key] = type(n, (_Stub,), {'_origin': key, '__module__': m})
            return stubs[key]

    def load(file, **kwargs):
        return RestrictedUnpickler(file, **kwargs).load()

    mod = types.ModuleType('chexdesk_restricted_pickle')  # torch.load compares its __name__ with 'dill'
    mod.__dict__.update({k: v for k, v in vars(pickle).items() if not k.startswith('__')})
    mod.Unpickler = RestrictedUnpickler
    mod.load = load
    return mod


@contextlib.contextmanager
def restricted_torch_load(torch):
    """torch.load as it should be with pickle_module=restricted. torch 1.13.0 (Debian's python3-torch)
    ignores that argument (`else: pickle_module = pickle` in torch/serialization.py), so the module's
    own `pickle` name is swapped for the duration; the argument is passed too, for versions that
    honour it."""
    module = restricted_pickle_module(torch)
    saved = torch.serialization.pickle
    torch.serialization.pickle = module
    try:
        yield lambda path, **kw: torch.load(path, map_location='cpu', pickle_module=module, **kw)
    finally:
        torch.serialization.pickle = saved


def short_error(err):
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:200]


def load_checkpoint(path, torch):
    name = os.path.basename(path)
    what = sniff(path)
    if what:
        raise Refusal(f'{name} {what}')
    try:
        with restricted_torch_load(torch) as load:
            try:
                return load(path)
            except UnicodeDecodeError:
                # A Python 2 pickle with byte strings: latin1 is the lossless decoding.
                return load(path, encoding='latin1')
    except Refusal:
        raise
    except MemoryError:
        raise Refusal(f'{name}: not enough memory to load it')
    except Exception as err:
        if looks_like_text(path):
            raise Refusal(f'{name} is a text file, not a PyTorch checkpoint')
        with open(path, 'rb') as f:
            is_zip = f.read(4) == b'PK\x03\x04'
        kind = 'a zip archive but not a PyTorch checkpoint' if is_zip else 'not a PyTorch checkpoint'
        raise Refusal(f'{name} is {kind} (torch.load: {short_error(err)})')


# ─── Finding the weights in what was loaded ──────────────────────────────────────────────────────

def is_module_like(obj):
    d = getattr(obj, '__dict__', None)
    return isinstance(d, dict) and isinstance(d.get('_modules'), dict) and isinstance(d.get('_parameters'), dict)


def module_tensors(obj, prefix='', out=None, depth=0):
    """nn.Module.state_dict() over a module rebuilt from its pickled state (see _Stub)."""
    out = collections.OrderedDict() if out is None else out
    if depth > 64:
        raise Refusal('the pickled model nests modules more than 64 deep')
    d = obj.__dict__
    non_persistent = d.get('_non_persistent_buffers_set') or set()
    for key, t in d.get('_parameters', {}).items():
        if t is not None:
            out[prefix + key] = t
    for key, t in (d.get('_buffers') or {}).items():
        if t is not None and key not in non_persistent:
            out[prefix + key] = t
    for key, child in d.get('_modules', {}).items():
        if child is not None and is_module_like(child):
            module_tensors(child, prefix + key + '.', out, depth + 1)
    return out


STATE_DICT_KEYS = ('state_dict', 'model_state_dict', 'model', 'net', 'network', 'module')


def find_weights(obj, torch, name, depth=0):
    """(state_dict, description of the form) from a loaded checkpoint."""
    if isinstance(obj, torch.jit.ScriptModule):
        return collections.OrderedDict(obj.state_dict()), 'a TorchScript module'
    if is_module_like(obj):
        cls = getattr(type(obj), '_origin', type(obj).__name__)
        sd = module_tensors(obj)
        if not sd:
            raise Refusal(
                f'{name} holds a whole pickled model ({cls}) but no weights could be read from it; '
                'in the code that trained it, save the weights alone: torch.save(model.state_dict(), "weights.pth")')
        return sd, f'a whole pickled model ({cls})'
    if isinstance(obj, dict) and depth < 3:
        if obj and all(isinstance(k, str) for k in obj) and all(torch.is_tensor(v) for v in obj.values()):
            return obj, 'a state_dict'
        for key in STATE_DICT_KEYS:
            if key in obj:
                sd, form = find_weights(obj[key], torch, name, depth + 1)
                return sd, f"a dict whose '{key}' is {form}"
        keys = ', '.join(sorted(str(k) for k in obj)[:8]) or 'none'
        raise Refusal(f'{name} holds a dict without weights (its keys: {keys}); expected a state_dict or a dict with "state_dict"')
    kind = getattr(type(obj), '_origin', type(obj).__name__)
    raise Refusal(f'{name} holds a {kind}, not a model or a state_dict')


# ─── Fitting the weights to torchvision's DenseNet121 ────────────────────────────────────────────

# torchvision's own pattern for pre-0.4 DenseNet keys (torchvision/models/densenet.py,
# _load_state_dict): 'denselayer1.norm.1.weight' -> 'denselayer1.norm1.weight'.
LEGACY_KEY = re.compile(r'^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$')
ANCHOR = 'features.conv0.weight'


def normalise_keys(sd):
    """Returns (state_dict in today's names, new name -> original name, notes on what was renamed)."""
    keys = list(sd.keys())
    anchored = [k for k in keys if k == ANCHOR or k.endswith('.' + ANCHOR)]
    # Whatever wraps the DenseNet ('module.densenet121.' in arnoweng's file) precedes its first conv.
    prefix = anchored[0][: -len(ANCHOR)] if len(anchored) == 1 else None
    out = collections.OrderedDict()
    origin = {}
    legacy = 0
    plain_linear = False
    for key in keys:
        new = key
        if prefix is not None:
            if prefix and new.startswith(prefix):
                new = new[len(prefix):]
        else:
            while new.startswith('module.'):
                new = new[len('module.'):]
            if new.startswith('densenet121.'):
                new = new[len('densenet121.'):]
        m = LEGACY_KEY.match(new)
        if m:
            new = m.group(1) + m.group(2)
            legacy += 1
        if new in ('classifier.weight', 'classifier.bias'):
            new = 'classifier.0.' + new.split('.')[1]
            plain_linear = True
        if new in out:
            raise Refusal(f'keys "{origin[new]}" and "{key}" are the same weight ({new}); the checkpoint holds two models?')
        out[new] = sd[key]
        origin[new] = key
    notes = []
    if prefix:
        notes.append(f"prefix '{prefix}' removed")
    if legacy:
        notes.append(f'{legacy} legacy layer names renamed')
    if plain_linear:
        notes.append('plain Linear classifier')
    return out, origin, notes


def build_densenet(torchvision, nn):
    model = torchvision.models.densenet121(weights=None)
    model.classifier = nn.Sequential(nn.Linear(N_FEATURES, N_CLASSES), nn.Sigmoid())
    return model


def listed(names, limit=3):
    shown = ', '.join(names[:limit])
    return shown + (f' and {len(names) - limit} more' if len(names) > limit else '')


def fit_weights(sd, origin, model, torch):
    """Checks the weights against the model and loads them; every refusal names what does not fit."""
    for key, t in sd.items():
        if not torch.is_tensor(t):
            raise Refusal(f'{origin[key]} is a {type(t).__name__}, not a tensor')

    w = sd.get('classifier.0.weight')
    if w is not None and w.dim() == 2:
        if w.shape[1] != N_FEATURES:
            raise Refusal(
                f'classifier takes {w.shape[1]} features, DenseNet121 gives {N_FEATURES}: '
                'this is not a DenseNet121 checkpoint (DenseNet169 gives 1664, DenseNet201 1920, DenseNet161 2208)')
        if w.shape[0] != N_CLASSES:
            raise Refusal(f'classifier has {w.shape[0]} outputs, CheXNet has {N_CLASSES} (the ChestX-ray14 labels)')

    expected = model.state_dict()
    missing = [k for k in expected if k not in sd and not k.endswith('num_batches_tracked')]
    unexpected = [origin[k] for k in sd if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f'{len(missing)} weight(s) missing: {listed(missing)}')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected key(s): {listed(unexpected)}')
        raise Refusal('the checkpoint does not fit CheXNet\'s DenseNet121: ' + '; '.join(parts))

    wrong = [f'{origin[k]} is {list(sd[k].shape)}, DenseNet121 needs {list(v.shape)}'
             for k, v in expected.items() if k in sd and tuple(sd[k].shape) != tuple(v.shape)]
    if wrong:
        raise Refusal(f'{len(wrong)} weight(s) have the wrong shape: {listed(wrong, 2)}')

    state = collections.OrderedDict()
    for k, v in expected.items():
        if k not in sd:  # num_batches_tracked: absent before torch 0.4.1, unused in eval mode
            state[k] = torch.zeros_like(v)
            continue
        t = sd[k]
        if v.is_floating_point():
            if not t.is_floating_point():
                raise Refusal(f'{origin[k]} holds {t.dtype} values, expected floating point')
            t = t.to(torch.float32)
            if not bool(torch.isfinite(t).all()):
                raise Refusal(f'{origin[k]} contains NaN or infinite values')
        else:
            t = t.to(v.dtype)
        state[k] = t
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


# ─── ONNX export and its check ───────────────────────────────────────────────────────────────────

def export_module(model, torch, nn):
    """The graph the app runs: torchvision's DenseNet forward (features -> ReLU -> global average
    pool -> Linear -> Sigmoid) plus the class activation maps, i.e. the classifier weights applied to
    the ReLU'd final feature map (no bias, no sigmoid; ../shared/models/README.md). A 1x1 Conv gives
    the CAM static [N, 14, 7, 7] dims in the graph."""
    F = torch.nn.functional

    class CheXNetGraph(nn.Module):
        def __init__(self, densenet):
            super().__init__()
            self.features = densenet.features
            self.linear = densenet.classifier[0]

        def forward(self, x):
            fmap = F.relu(self.features(x))
            pooled = torch.flatten(F.adaptive_avg_pool2d(fmap, (1, 1)), 1)
            probabilities = torch.sigmoid(self.linear(pooled))
            cam = F.conv2d(fmap, self.linear.weight[:, :, None, None])
            return probabilities, cam

    return CheXNetGraph(model).eval()


def export_onnx(model, path, torch, nn, onnx, debug):
    graph = export_module(model, torch, nn)
    example = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(
            graph, example, path,
            input_names=['input'], output_names=['probabilities', 'cam'],
            dynamic_axes={'input': {0: 'batch'}, 'probabilities': {0: 'batch'}, 'cam': {0: 'batch'}},
            opset_version=OPSET, do_constant_folding=True, export_params=True, verbose=debug)
    try:
        onnx.checker.check_model(path)
    except Exception as err:
        raise Refusal(f'the exported ONNX model fails onnx.checker: {short_error(err)}')
    proto = onnx.load(path, load_external_data=False)
    dims = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in proto.graph.output}
    want = {'probabilities': ['batch', N_CLASSES], 'cam': ['batch', N_CLASSES, 7, 7]}
    if dims != want:
        raise Refusal(f'the exported ONNX outputs are {dims}, expected {want}')


def check_inputs(torch):
    """Inputs of the check: ImageNet-normalised noise, batch 3 (and its 2nd image alone, so the
    dynamic batch is exercised at two sizes)."""
    g = torch.Generator().manual_seed(20171114)
    return torch.randn(3, 3, 224, 224, generator=g)


def torch_reference(model, x, torch):
    """What the app must reproduce: the model's own forward for probabilities, and the CAM written
    as an einsum (a different expression from the exported graph's Conv)."""
    with torch.no_grad():
        probabilities = model(x)
        fmap = torch.nn.functional.relu(model.features(x))
        cam = torch.einsum('kc,nchw->nkhw', model.classifier[0].weight, fmap)
    return probabilities.numpy(), cam.numpy()


# Runs the model in onnxruntime-node, the runtime CheXDesk uses: onnxruntime is not available to
# Debian's python (no python3-onnxruntime, and PyPI may be unreachable), and onnx 1.12 has no
# reference evaluator. Checking in the app's own runtime is also the stronger check. Inputs and
# outputs go through raw float32 files, not JSON numbers.
NODE_CHECK = r"""
const fs = require('fs');
const [root, specPath] = process.argv.slice(1);
const out = (o) => { process.stdout.write(JSON.stringify(o) + '\n'); };
let ort, version;
try {
  ort = require(require.resolve('onnxruntime-node', { paths: [root] }));
  version = require(require.resolve('onnxruntime-node/package.json', { paths: [root] })).version;
} catch (e) {
  out({ error: 'no-onnxruntime', message: String((e && e.message) || e).split('\n')[0] });
  process.exit(0);
}
(async () => {
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const session = await ort.InferenceSession.create(spec.model);
  const runs = [];
  for (const run of spec.runs) {
    const buf = fs.readFileSync(run.input);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const result = await session.run({ [spec.input]: new ort.Tensor('float32', data, run.shape) });
    const dims = {};
    for (const name of spec.outputs) {
      const t = result[name];
      if (!t) throw new Error('no output named ' + name);
      fs.writeFileSync(run.prefix + name + '.f32', Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      dims[name] = t.dims.map(Number);
    }
    runs.push(dims);
  }
  out({ version, runs });
})().catch((e) => { out({ error: 'run', message: String((e && e.message) || e).split('\n')[0] }); });
"""


def check_with_onnxruntime(onnx_path, model, torch, work):
    import numpy as np

    node = shutil.which('node')
    if not node:
        raise Refusal('cannot check the ONNX model: node is not on PATH (the check runs it in onnxruntime-node, '
                      'as the app does; install Node.js 20+ and run npm install in the CheXDesk folder, or pass --no-check)')
    x = check_inputs(torch)
    probabilities, cam = torch_reference(model, x, torch)
    batches = [(np.arange(3), x), (np.array([1]), x[1:2])]
    runs = []
    for i, (_, xb) in enumerate(batches):
        input_path = os.path.join(work, f'input{i}.f32')
        xb.numpy().astype('<f4').tofile(input_path)
        runs.append({'input': input_path, 'shape': list(xb.shape), 'prefix': os.path.join(work, f'out{i}-')})
    spec_path = os.path.join(work, 'spec.json')
    with open(spec_path, 'w') as f:
        json.dump({'model': onnx_path, 'input': 'input', 'outputs': ['probabilities', 'cam'], 'runs': runs}, f)
    proc = subprocess.run([node, '-e', NODE_CHECK, str(REPO), spec_path], capture_output=True, text=True, timeout=900)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('{')]
    if proc.returncode != 0 or not lines:
        raise Refusal(f'the onnxruntime-node check did not run (node exit {proc.returncode}): {short_error(proc.stderr or proc.stdout or "no output")}')
    report = json.loads(lines[-1])
    if report.get('error') == 'no-onnxruntime':
        raise Refusal(f'cannot check the ONNX model: onnxruntime-node is not installed under {REPO} '
                      '(run npm install there, or pass --no-check)')
    if report.get('error'):
        raise Refusal(f'onnxruntime-node could not run the exported model: {report.get("message")}')

    worst_p = 0.0
    worst_cam = 0.0
    cam_scale = max(1.0, float(np.abs(cam).max()))
    for i, (rows, _) in enumerate(batches):
        n = len(rows)
        got_p = np.fromfile(runs[i]['prefix'] + 'probabilities.f32', dtype='<f4')
        got_c = np.fromfile(runs[i]['prefix'] + 'cam.f32', dtype='<f4')
        if got_p.size != n * N_CLASSES or got_c.size != n * N_CLASSES * 49:
            raise Refusal(f'onnxruntime-node returned outputs of shape {report["runs"][i]} for a batch of {n}')
        worst_p = max(worst_p, float(np.abs(got_p.reshape(n, N_CLASSES) - probabilities[rows]).max()))
        worst_cam = max(worst_cam, float(np.abs(got_c.reshape(n, N_CLASSES, 7, 7) - cam[rows]).max()))
    if worst_p > TOLERANCE:
        raise Refusal(f'the ONNX model differs from PyTorch by {worst_p:.2e} in a probability (allowed {TOLERANCE:g}); nothing written')
    if worst_cam > CAM_RELATIVE_TOLERANCE * cam_scale:
        raise Refusal(f'the ONNX model\'s class activation map differs from PyTorch by {worst_cam:.2e} '
                      f'(allowed {CAM_RELATIVE_TOLERANCE * cam_scale:.2e}); nothing written')
    return {
        'runtime': f'onnxruntime-node {report["version"]}',
        'images': int(sum(len(r) for r, _ in batches)),
        'batchSizes': [len(r) for r, _ in batches],
        'maxAbsDiffProbabilities': worst_p,
        'maxAbsDiffCam': worst_cam,
        'tolerance': TOLERANCE,
    }


# ─── The model folder ────────────────────────────────────────────────────────────────────────────

def prepare_out_dir(out_dir, force):
    """Refuses early (before the slow part) when OUT_DIR would clobber something."""
    if os.path.exists(out_dir):
        if not os.path.isdir(out_dir):
            raise Refusal(f'{out_dir} exists and is not a folder')
        if os.listdir(out_dir) and not force:
            raise Refusal(f'{out_dir} is not empty (pass --force to replace its model.onnx and model.json)')
    parent = os.path.dirname(os.path.abspath(out_dir))
    if not os.path.isdir(parent):
        raise Refusal(f'{parent} does not exist')
    if not os.access(parent, os.W_OK):
        raise Refusal(f'cannot write in {parent}')


def manifest_for(args, checkpoint_name, checkpoint_sha, onnx_sha, form, notes, check, versions):
    with open(TEMPLATE, encoding='utf-8') as f:
        manifest = json.load(f)
    if len(manifest.get('labels', [])) != N_CLASSES:
        raise Refusal(f'{TEMPLATE} does not hold {N_CLASSES} labels')
    manifest['trained'] = True
    if args.name:
        manifest['name'] = args.name
    manifest['version'] = args.version or f'sha256-{checkpoint_sha[:12]}'
    manifest['provenance'] = {
        'source': 'tools/export-chexnet.py',
        'checkpoint': checkpoint_name,
        'checkpointSha256': checkpoint_sha,
        'checkpointForm': form + (f' ({", ".join(notes)})' if notes else ''),
        'exportedAt': datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace('+00:00', 'Z'),
        **versions,
        'opset': OPSET,
        'onnxSha256': onnx_sha,
        'check': check,
    }
    return manifest


def export(args):
    if not os.path.isfile(args.checkpoint):
        raise Refusal(f'{args.checkpoint}: ' + ('is a folder, not a file' if os.path.isdir(args.checkpoint) else 'file not found'))
    prepare_out_dir(args.out_dir, args.force)
    torch, torchvision, onnx = import_ml()
    nn = torch.nn
    name = os.path.basename(args.checkpoint)

    checkpoint_sha = sha256_of(args.checkpoint)
    size_mb = os.path.getsize(args.checkpoint) / 1e6
    say(f'reading {name} ({size_mb:.1f} MB, sha256 {checkpoint_sha[:12]}…)')
    loaded = load_checkpoint(args.checkpoint, torch)
    raw, form = find_weights(loaded, torch, name)
    sd, origin, notes = normalise_keys(raw)
    model = fit_weights(sd, origin, build_densenet(torchvision, nn), torch)
    say(f'{form}' + (f'; {", ".join(notes)}' if notes else '') + ': fits DenseNet121 + Linear(1024, 14) + Sigmoid')

    out_dir = os.path.abspath(args.out_dir)
    staging = tempfile.mkdtemp(prefix='.export-chexnet-', dir=os.path.dirname(out_dir))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp's 0700 would follow the folder when it is renamed
    work = tempfile.mkdtemp(prefix='export-chexnet-check-')
    try:
        onnx_path = os.path.join(staging, 'model.onnx')
        say(f'exporting ONNX (opset {OPSET}, dynamic batch)…')
        export_onnx(model, onnx_path, torch, nn, onnx, args.debug)
        if args.no_check:
            check = {'skipped': True}
            say('onnxruntime check skipped (--no-check)')
        else:
            check = check_with_onnxruntime(onnx_path, model, torch, work)
            say(f'checked with {check["runtime"]} on {check["images"]} images (batch {" and ".join(map(str, check["batchSizes"]))}): '
                f'largest probability difference from PyTorch {check["maxAbsDiffProbabilities"]:.1e} (allowed {TOLERANCE:g})')
        versions = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'onnx': onnx.__version__}
        manifest = manifest_for(args, name, checkpoint_sha, sha256_of(onnx_path), form, notes, check, versions)
        with open(os.path.join(staging, 'model.json'), 'w', encoding='utf-8') as f:
            json.dump(manifest, f, indent=2)
            f.write('\n')
        # model.json last, and the folder appears whole: an interrupted export leaves no half model.
        if os.path.isdir(out_dir):
            for fname in ('model.onnx', 'model.json'):
                os.replace(os.path.join(staging, fname), os.path.join(out_dir, fname))
        else:
            os.rename(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    size = os.path.getsize(os.path.join(out_dir, 'model.onnx')) / 1e6
    say(f'wrote {args.out_dir} (model.onnx {size:.1f} MB, model.json: "{manifest["name"]}" version {manifest["version"]})')


# ─── Command line ────────────────────────────────────────────────────────────────────────────────

QUIET = False


def say(message):
    if not QUIET:
        print(f'{PROG}: {message}', flush=True)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Usage(message)


def parse_args(argv):
    p = Parser(prog='export-chexnet.py', description='Convert a CheXNet checkpoint into a CheXDesk model folder.')
    p.add_argument('checkpoint', help='model.pth.tar, a state_dict, or a whole pickled model')
    p.add_argument('out_dir', help='the model folder to write (must not exist, or be empty)')
    p.add_argument('--name', help='model name in model.json (default: "CheXNet")')
    p.add_argument('--version', help='model version in model.json (default: sha256-<first 12 hex of the checkpoint>)')
    p.add_argument('--force', action='store_true', help='replace model.onnx and model.json in a non-empty OUT_DIR')
    p.add_argument('--no-check', action='store_true', help='skip the onnxruntime-node comparison (not recommended)')
    p.add_argument('--quiet', action='store_true', help='print nothing on success')
    p.add_argument('--debug', action='store_true', help='show warnings and the traceback of a failure')
    return p.parse_args(argv)


def main(argv):
    global QUIET
    try:
        args = parse_args(argv)
    except Usage as err:
        print(f'{PROG}: {err}\nusage: python3 tools/export-chexnet.py CHECKPOINT OUT_DIR [--name NAME] [--version VERSION] [--force]', file=sys.stderr)
        return 1
    QUIET = args.quiet
    if not args.debug:
        warnings.filterwarnings('ignore')
    try:
        export(args)
        return 0
    except (Refusal, KeyboardInterrupt, Exception) as err:
        if isinstance(err, Refusal):
            message = str(err)
        elif isinstance(err, KeyboardInterrupt):
            message = 'interrupted; nothing written'
        else:  # anything unforeseen still ends as one line; --debug shows where
            message = f'failed: {type(err).__name__}: {short_error(err)} (run with --debug for details)'
        if args.debug:
            import traceback
            traceback.print_exc()
    print(f'{PROG}: {message}', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
