"""Checks that kiln trains timm's models as PyTorch does: each model (random
weights, no dropout, 10 classes) is exported as README.md says a model to
train is exported, then both take three full-batch SGD steps (lr 0.05) on
one random batch of 4, and their losses are compared. A development tool,
not a test (it needs torch and timm; see timm_sweep.py):

  /tmp/tv/bin/python tools/dev/timm_train_check.py resnet18 mobilenetv3_small_050

Unstable models (a loss that rises) amplify small differences.
"""
import sys, os, subprocess, json
import numpy as np, torch, timm
KILN = os.environ.get('KILN', 'build/bin/kiln')
OUT = os.environ.get('OUT', '/tmp/timm-train-check')
DYNAMO = os.environ.get('DYNAMO') == '1'  # torch.export, as in timm_sweep.py
def one(name, res=64, steps=3, lr=0.05, batch=4):
    d = os.path.join(OUT, name); os.makedirs(d, exist_ok=True)
    torch.manual_seed(0)
    m = None
    for r, extra in ((res, {'img_size': res}), (res, {}), (224, {})):
        try:
            m = timm.create_model(name, pretrained=False, num_classes=10, drop_rate=0.0, **extra)
            x = torch.randn(batch, 3, r, r)
            m.eval(); m(x); break
        except Exception as e:
            m = None; last = e
    if m is None: raise last
    t = torch.randint(0, 10, (batch,))
    path = os.path.join(d, 'model.onnx')
    m.eval()
    if DYNAMO:
        torch.onnx.export(m, (x,), path, input_names=['x'], output_names=['y'],
                          dynamic_shapes=({0: torch.export.Dim('b')},), opset_version=18, dynamo=True,
                          optimize=False)  # README: an optimized export ties and folds parameters
    else:
        torch.onnx.export(m, (x,), path, input_names=['x'], output_names=['y'],
                          dynamic_axes={'x': {0: 'b'}, 'y': {0: 'b'}}, opset_version=17, dynamo=False,
                          do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE, export_params=True, keep_initializers_as_inputs=True)
    np.save(os.path.join(d, 'x.npy'), x.numpy()); np.save(os.path.join(d, 't.npy'), t.numpy().astype(np.int64))
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=lr)
    want = []
    for s in range(steps):
        opt.zero_grad(); loss = torch.nn.functional.cross_entropy(m(x), t); loss.backward(); opt.step(); want.append(loss.item())
    exe = os.path.join(d, 'model')
    r = subprocess.run([KILN, 'compile', path, '--loss', 'sparse_categorical_crossentropy:from_logits=true',
                        '--optimizer', f'sgd:learning_rate={lr}', '-o', exe], capture_output=True, text=True)
    if r.returncode: return 'COMPILE-FAIL: ' + r.stderr.strip()[-400:]
    r = subprocess.run([exe, 'train', '--data', os.path.join(d, 'x.npy') + ',' + os.path.join(d, 't.npy'), '--epochs', str(steps),
                        '--batch-size', str(batch), '--no-shuffle', '--verbose', '0', '--history', os.path.join(d, 'h.json')],
                       capture_output=True, text=True)
    if r.returncode: return 'TRAIN-FAIL: ' + r.stderr.strip()[-400:]
    got = json.load(open(os.path.join(d, 'h.json')))['loss']
    err = max(abs(a - b) / max(1, abs(b)) for a, b in zip(got, want))
    return f"{'ok' if err < 1e-4 else 'DIFF'} {err:.1e} torch {['%.5f' % v for v in want]} kiln {['%.5f' % v for v in got]}"
if __name__ == '__main__':
    for n in sys.argv[1:]:
        try: res = one(n)
        except Exception as e: res = 'PY-FAIL ' + repr(e)[:300]
        print(f'{n}: {res}', flush=True)
