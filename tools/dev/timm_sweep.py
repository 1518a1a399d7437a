"""Sweeps timm's vision models through PyTorch's TorchScript exporter and
kiln: each model (random weights, 10 classes, 64x64 where it takes it) is
exported with a symbolic batch, compiled by `kiln compile`, and its
predictions compared with PyTorch's (relative to the largest output).
A development tool, not a test: it needs torch and timm, which the tests'
environment lacks:

  python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch timm onnx
  /tmp/tv/bin/python tools/dev/timm_sweep.py resnet18 deit_tiny_patch16_224

Set KILN to the kiln binary (default build/bin/kiln) and OUT to a scratch
folder (default /tmp/timm-sweep); DYNAMO=1 exports with PyTorch's current
exporter (torch.export, opset 18) instead, which some models need (VOLO's
F.fold becomes Col2Im there; the TorchScript exporter fails on it). A model whose output is all zeros (timm
zero-initializes some heads) is no evidence.
"""
import sys, os, subprocess, json, traceback
import numpy as np, torch, timm
KILN = os.environ.get('KILN', 'build/bin/kiln')
OUT = os.environ.get('OUT', '/tmp/timm-sweep')
DYNAMO = os.environ.get('DYNAMO') == '1'
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)

def one(name, res=64, kw=None):
    kw = kw or {}
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    m = None
    for r, extra in ((res, {'img_size': res}), (res, {}), (224, {})):
        try:
            m = timm.create_model(name, pretrained=False, num_classes=10, **kw, **extra).eval()
            x = torch.randn(2, 3, r, r)
            with torch.no_grad():
                want = m(x).numpy()
            break
        except Exception as e:
            m = None
            last = e
    if m is None:
        raise last
    path = os.path.join(d, 'model.onnx')
    if DYNAMO:
        torch.onnx.export(m, (x,), path, input_names=['x'], output_names=['y'],
                          dynamic_shapes=({0: torch.export.Dim('b')},),
                          opset_version=18, dynamo=True)
    else:
        torch.onnx.export(m, (x,), path, input_names=['x'], output_names=['y'],
                          dynamic_axes={'x': {0: 'b'}, 'y': {0: 'b'}},
                          opset_version=17, dynamo=False)
    np.save(os.path.join(d, 'x.npy'), x.numpy())
    exe = os.path.join(d, 'model')
    r = subprocess.run([KILN, 'compile', path, '-o', exe], capture_output=True, text=True, timeout=900)
    if r.returncode:
        return 'KILN-FAIL: ' + (r.stderr.strip().splitlines() or ['?'])[-1][:400]
    r = subprocess.run([exe, 'predict', '--input', os.path.join(d, 'x.npy'), '--output', os.path.join(d, 'y.npy'), '--batch-size', '1'],
                       capture_output=True, text=True, timeout=900)
    if r.returncode:
        return 'PREDICT-FAIL: ' + (r.stderr.strip().splitlines() or ['?'])[-1][:400]
    got = np.load(os.path.join(d, 'y.npy'))
    err = float(np.max(np.abs(got - want)) / (np.max(np.abs(want)) + 1e-12))
    return f'ok rel {err:.2e} (|y| {np.max(np.abs(want)):.2e})'

if __name__ == '__main__':
    for spec in sys.argv[1:]:
        name, _, res = spec.partition('@')
        try:
            res = one(name, int(res) if res else 64)
        except Exception as e:
            res = 'PY-FAIL: ' + repr(e)[:300]
        print(f'{name}: {res}', flush=True)
