"""Writes ONNX backend node tests of the op versions of opsets 18 to 21
(ONNX 1.13 to 1.16), which Debian's libonnx-testdata (ONNX 1.12, opsets up
to 17) predates, for the ops that kiln imports.

The tests are ONNX's own (onnx.backend.test.case.node, in the tests'
virtual environment: onnx 1.23.2, tools/dev/venv-requirements.txt), with
their expected outputs from ONNX's numpy reference. ONNX 1.23 writes them
at its newest opset; a test is kept when every op of its graph has at
opset 21 the version it has there, or one that differs in element types
only (the same attributes, defaults and formal inputs and outputs: the
test means the same at opset 21), and one of them is a version of opset 18
on. Its model is rewritten to
opset 21 and IR version 10 and checked with onnx.checker (full check,
shape inference included). ONNX Runtime 1.20.1 runs each one too, as a
second opinion: the tests where it fails or disagrees with ONNX's reference
are listed (its known differences: align_corners downsampling, the types
it lacks), and kept.

  /opt/kiln-venv/bin/python test/onnx/generate_newer_node_tests.py \\
      build/bin/kiln build/test/onnx/node-opset21

ctest runs it (test/onnx/CMakeLists.txt) before kiln-onnx-conformance reads
the folder. The first argument is a kiln binary: `kiln compile --list-ops`
names the ops kiln imports. The folder is replaced; each test is
<name>/model.onnx and test_data_set_<i>/{input,output}_<j>.pb, the layout
of ONNX's data. numpy's generator is seeded: the same inputs every time.
"""
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import onnx
import onnx.backend.test.case.node as node_cases
import onnxruntime
from onnx import numpy_helper

TARGET_OPSET = 21
TARGET_IR = 10
FIRST_NEW_OPSET = 18

kiln, out_dir = sys.argv[1], sys.argv[2]
listing = subprocess.run([kiln, "compile", "--list-ops"], check=True,
                         capture_output=True, text=True).stdout
kiln_ops = {line.split()[0] for line in listing.splitlines()[1:]
            if line.strip()}


def version(op, opset):
    try:
        return onnx.defs.get_schema(op, opset, "").since_version
    except onnx.defs.SchemaError:
        return None


def interface(op, opset):
    """What a node of `op` at `opset` may say: its attributes (with
    defaults) and formal inputs and outputs. Versions with the same
    interface differ in the element types they take only."""
    schema = onnx.defs.get_schema(op, opset, "")
    attrs = sorted((name, a.type, str(a.default_value))
                   for name, a in schema.attributes.items())
    formal = [(p.name, p.option) for p in schema.inputs + schema.outputs]
    return attrs, formal


def default_opset(model):
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return None


def plain_graph(model):
    """Only default-domain nodes without subgraphs, no local functions."""
    if model.functions or len(model.opset_import) != 1:
        return False
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            return False
        if any(a.type in (onnx.AttributeProto.GRAPH,
                          onnx.AttributeProto.GRAPHS)
               for a in node.attribute):
            return False
    return True


def agrees(got, want):
    if got.shape != want.shape:
        return False
    if want.dtype.kind == "f":
        return np.allclose(got, want, rtol=1e-3, atol=1e-5, equal_nan=True)
    return np.array_equal(got, want)


onnxruntime.set_default_logger_severity(3)
# The cases draw their inputs from numpy's global generator.
np.random.seed(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    cases = node_cases.collect_testcases(None)

shutil.rmtree(out_dir, ignore_errors=True)
os.makedirs(out_dir)
kept, skipped, noted = [], [], []
for case in cases:
    model = case.model
    if case.kind != "node" or not plain_graph(model):
        continue
    opset = default_opset(model)
    ops = {n.op_type for n in model.graph.node}
    if not ops <= kiln_ops:
        continue
    at_target = {op: version(op, TARGET_OPSET) for op in ops}
    if any(v is None or (v != version(op, opset) and
                         interface(op, TARGET_OPSET) != interface(op, opset))
           for op, v in at_target.items()):
        continue
    if max(at_target.values()) < FIRST_NEW_OPSET:
        continue
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    model.opset_import[0].version = TARGET_OPSET
    model.ir_version = TARGET_IR
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # noqa: BLE001 - onnx raises several kinds
        skipped.append(f"{case.name}: onnx.checker: {str(e).splitlines()[0]}")
        continue
    try:
        session = onnxruntime.InferenceSession(model.SerializeToString())
        names = [i.name for i in session.get_inputs()]
        for inputs, outputs in case.data_sets:
            feed = dict(zip([i.name for i in model.graph.input], inputs))
            got = session.run(None, {n: feed[n] for n in names})
            if not all(agrees(g, np.asarray(w)) for g, w in zip(got, outputs)):
                raise ValueError("outputs differ from ONNX's reference")
    except Exception as e:  # noqa: BLE001
        noted.append(f"{case.name}: {str(e).splitlines()[0]}")
    folder = os.path.join(out_dir, case.name)
    os.makedirs(folder)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for i, (inputs, outputs) in enumerate(case.data_sets):
        data = os.path.join(folder, f"test_data_set_{i}")
        os.makedirs(data)
        for kind, values, infos in (("input", inputs, model.graph.input),
                                    ("output", outputs, model.graph.output)):
            for j, (value, info) in enumerate(zip(values, infos)):
                tensor = numpy_helper.from_array(np.asarray(value), info.name)
                with open(os.path.join(data, f"{kind}_{j}.pb"), "wb") as f:
                    f.write(tensor.SerializeToString())
    kept.append(case.name)

print(f"{len(kept)} tests written to {out_dir}")
for line in skipped:
    print("skipped", line)
for line in noted:
    print("onnxruntime differs (kept):", line)
