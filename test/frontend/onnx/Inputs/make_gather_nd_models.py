"""Writes small ONNX models for gather_nd.test and onnx_gather_nd.test
(onnx.helper, Debian's python3-onnx; run with /usr/bin/python3): GatherND
with index tuples computed at run time, and the batch's row numbers,
Range(0, batch, 1), as Hugging Face's attention masks build them; the
integer arithmetic and CumSum of RoBERTa's position ids.

  pick      x (N, 5, 4) scaled by a parameter w (4,), then GatherND with
            batch_dims 1 by int64 tuples idx (N, 3, 1), a model input:
            each sample's rows, negative ones counting from the end,
            repeats allowed -> (N, 3, 4)
  rows      the mask pattern: r = Range(0, Shape(x)[0], 1), Unsqueeze-d
            and Expand-ed to (N, 5), its Max with the positions taken for
            its broadcast shape, stacked with the positions into (N, 5, 2)
            (row, position) tuples; GatherND of the bool mask m (N, 5) by
            them (batch_dims 0); Where(picked, x, -100) with x (N, 5)
  across    GatherND of x * w (N, 4) by constant tuples (3, 2) that read
            rows 0, 1 and -1 of the batch: no batch in the result (3,)
  scatter, scatter_add, scatter_mul, scatter_max
            ScatterND of a parameter u (3,) into x * w (N, 4) at three
            (row, column) tuples, rows of the batch (reduction none; add
            and mul at opset 16, mul and max writing one place twice; max
            at opset 18)
  positions RoBERTa's position ids from int64 ids (N, 6): Not(Equal(ids,
            1)) cast to int32, its CumSum along the sequence times itself,
            cast to int64, plus 1 (Max, Sub: integer arithmetic at run
            time), rows of a parameter table (10, 3) -> (N, 6, 3)
  cumsum    CumSum of x * w (N, 5) forwards times its exclusive reverse
            running sums
  x.npy, idx.npy, m.npy, x2.npy (N, 5), x4.npy (N, 4), ids.npy (N, 6)
            inputs of a batch of 3 for the numeric checks
  errors    a tuple longer than the data's rank, a known index out of
            range, batch dimensions that differ, ScatterND writing twice at
            one place (also of known operands, which fold), ScatterND's max at the
            batch's last row (-1, which
            only the batch size places), ScatterND at a column out of
            range, ScatterND's mul by tuples computed at run time,
            Range(1, batch, 1), Max of booleans at run time, Concat of
            int64 and float tensors at run time, CumSum along the batch,
            CumSum given two axes
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(0)


def save(name, nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def tensor(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


N = "N"
scale = numpy_helper.from_array(
    rng.uniform(0.5, 1.5, 4).astype(np.float32), "w")

save("pick", [
    helper.make_node("Mul", ["x", "w"], ["xw"]),
    helper.make_node("GatherND", ["xw", "idx"], ["y"], batch_dims=1),
], [tensor("x", TensorProto.FLOAT, [N, 5, 4]),
    tensor("idx", TensorProto.INT64, [N, 3, 1])],
    [tensor("y", TensorProto.FLOAT, [N, 3, 4])], [scale])


def row_tuples(x, prefix=""):
    """(N, 5, 2) int64 (row, position) tuples of a batched x (N, 5)."""
    return [
        helper.make_node("Shape", [x], [prefix + "shape"]),
        helper.make_node("Gather", [prefix + "shape", "zero"],
                         [prefix + "batch"], axis=0),
        helper.make_node("Range", ["zero", prefix + "batch", "one"],
                         [prefix + "r"]),
        helper.make_node("Unsqueeze", [prefix + "r", "axis1"],
                         [prefix + "r1"]),
        helper.make_node("Max", [prefix + "r1", "positions"],
                         [prefix + "both"]),
        helper.make_node("Shape", [prefix + "both"], [prefix + "bshape"]),
        helper.make_node("Expand", [prefix + "r1", prefix + "bshape"],
                         [prefix + "rows"]),
        helper.make_node("Expand", ["positions", prefix + "bshape"],
                         [prefix + "cols"]),
        helper.make_node("Unsqueeze", [prefix + "rows", "axis2"],
                         [prefix + "rows2"]),
        helper.make_node("Unsqueeze", [prefix + "cols", "axis2"],
                         [prefix + "cols2"]),
        helper.make_node("Concat", [prefix + "rows2", prefix + "cols2"],
                         [prefix + "tuples"], axis=-1),
    ]


tuple_inits = [ints("zero", 0), ints("one", 1), ints("axis1", [1]),
               ints("axis2", [2]), ints("positions", [[4, 3, 2, 1, 0]])]
save("rows", row_tuples("x") + [
    helper.make_node("GatherND", ["m", "tuples"], ["picked"]),
    helper.make_node("Where", ["picked", "x", "fill"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 5]),
    tensor("m", TensorProto.BOOL, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [N, 5])],
    tuple_inits + [numpy_helper.from_array(np.float32(-100), "fill")])

save("across", [
    helper.make_node("Mul", ["x", "w"], ["xw"]),
    helper.make_node("GatherND", ["xw", "tuples"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 4])],
    [tensor("y", TensorProto.FLOAT, [3])],
    [scale, ints("tuples", [[0, 3], [1, -4], [-1, 2]])])

updates = numpy_helper.from_array(
    rng.standard_normal(3).astype(np.float32), "u")
for name, opset, attrs, tuples in (
        ("scatter", 13, {}, [[0, 1], [2, -1], [1, 0]]),
        ("scatter_add", 16, {"reduction": "add"}, [[0, 1], [2, -1], [1, 0]]),
        ("scatter_mul", 16, {"reduction": "mul"}, [[0, 1], [2, -1], [0, 1]]),
        ("scatter_max", 18, {"reduction": "max"}, [[0, 1], [2, -1], [0, -3]])):
    save(name, [
        helper.make_node("Mul", ["x", "w"], ["xw"]),
        helper.make_node("ScatterND", ["xw", "tuples", "u"], ["y"], **attrs),
    ], [tensor("x", TensorProto.FLOAT, [N, 4])],
        [tensor("y", TensorProto.FLOAT, [N, 4])],
        [scale, updates, ints("tuples", tuples)], opset=opset)

# RoBERTa's position ids: the running count of the non-padding tokens (id
# 1 pads), times the mask, plus the padding id, in int32 and int64.
table = numpy_helper.from_array(
    rng.standard_normal((10, 3)).astype(np.float32), "table")
save("positions", [
    helper.make_node("Equal", ["ids", "pad"], ["is_pad"]),
    helper.make_node("Not", ["is_pad"], ["ne"]),
    helper.make_node("Cast", ["ne"], ["m"], to=TensorProto.INT32),
    helper.make_node("CumSum", ["m", "axis1"], ["count"]),
    helper.make_node("Mul", ["count", "m"], ["kept"]),
    helper.make_node("Cast", ["kept"], ["kept64"], to=TensorProto.INT64),
    helper.make_node("Add", ["kept64", "pad"], ["pos"]),
    helper.make_node("Max", ["pos", "pad"], ["pos1"]),
    helper.make_node("Sub", ["pos1", "pad"], ["pos0"]),
    helper.make_node("Gather", ["table", "pos0"], ["y"]),
], [tensor("ids", TensorProto.INT64, [N, 6])],
    [tensor("y", TensorProto.FLOAT, [N, 6, 3])],
    [table, ints("pad", 1), ints("axis1", 1)], opset=14)
# Running sums of floats, forwards and exclusive backwards.
weights5 = numpy_helper.from_array(
    rng.uniform(0.5, 1.5, 5).astype(np.float32), "w")
save("cumsum", [
    helper.make_node("Mul", ["x", "w"], ["xw"]),
    helper.make_node("CumSum", ["xw", "axis1"], ["forward"]),
    helper.make_node("CumSum", ["xw", "minus1"], ["backward"], exclusive=1,
                     reverse=1),
    helper.make_node("Mul", ["forward", "backward"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [N, 5])],
    [weights5, ints("axis1", 1), ints("minus1", -1)], opset=14)

x = rng.standard_normal((3, 5, 4)).astype(np.float32)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "idx.npy"),
        np.array([[[0], [4], [-1]], [[2], [2], [-5]], [[3], [1], [0]]],
                 np.int64))
np.save(os.path.join(out, "m.npy"), rng.random((3, 5)) < 0.6)
np.save(os.path.join(out, "x2.npy"), x[:, :, 0].copy())
np.save(os.path.join(out, "x4.npy"), x[:, 0, :].copy())
np.save(os.path.join(out, "ids.npy"),
        np.array([[5, 7, 2, 1, 1, 1], [1, 3, 4, 6, 9, 1], [8, 1, 2, 3, 4, 5]],
                 np.int64))

# Errors, each a model of its own.
save("error_tuple", [
    helper.make_node("GatherND", ["x", "idx"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 5]),
    tensor("idx", TensorProto.INT64, [N, 3])],
    [tensor("y", TensorProto.FLOAT, [N])])
save("error_range", [
    helper.make_node("GatherND", ["x", "tuples"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [1])], [ints("tuples", [[0, 5]])])
save("error_batch_dims", [
    helper.make_node("GatherND", ["x", "tuples"], ["y"], batch_dims=1),
], [tensor("x", TensorProto.FLOAT, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [1])], [ints("tuples", [[1]])])
save("error_range_start", [
    helper.make_node("Shape", ["x"], ["shape"]),
    helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
    helper.make_node("Range", ["one", "batch", "one"], ["r"]),
    helper.make_node("Cast", ["r"], ["rf"], to=TensorProto.FLOAT),
    helper.make_node("Unsqueeze", ["rf", "axis1"], ["rf1"]),
    helper.make_node("Add", ["x", "rf1"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [N, 5])],
    [ints("zero", 0), ints("one", 1), ints("axis1", [1])])
save("error_scatter_twice", [
    helper.make_node("ScatterND", ["x", "tuples", "u"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 4])],
    [tensor("y", TensorProto.FLOAT, [N, 4])],
    [ints("tuples", [[0, 1], [0, -3]]),
     numpy_helper.from_array(np.ones(2, np.float32), "u")])
save("error_scatter_last_row", [
    helper.make_node("ScatterND", ["x", "tuples", "u"], ["y"], reduction="max"),
], [tensor("x", TensorProto.FLOAT, [N, 4])],
    [tensor("y", TensorProto.FLOAT, [N, 4])],
    [ints("tuples", [[-1, 1], [2, 1]]),
     numpy_helper.from_array(np.ones(2, np.float32), "u")], opset=18)
save("error_scatter_range", [
    helper.make_node("ScatterND", ["x", "tuples", "u"], ["y"], reduction="add"),
], [tensor("x", TensorProto.FLOAT, [N, 4])],
    [tensor("y", TensorProto.FLOAT, [N, 4])],
    [ints("tuples", [[0, 4]]),
     numpy_helper.from_array(np.ones(1, np.float32), "u")], opset=16)
save("error_scatter_fold_twice", [
    helper.make_node("ScatterND", ["table", "tuples", "u"], ["t"]),
    helper.make_node("Cast", ["t"], ["f"], to=TensorProto.FLOAT),
    helper.make_node("Add", ["x", "f"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 4])],
    [tensor("y", TensorProto.FLOAT, [N, 4])],
    [ints("table", [0, 1, 2, 3]), ints("tuples", [[1], [-3]]),
     ints("u", [5, 6])])
save("error_scatter_mul_runtime", [
    helper.make_node("ScatterND", ["x", "idx", "u"], ["y"], reduction="mul"),
], [tensor("x", TensorProto.FLOAT, [N, 4]),
    tensor("idx", TensorProto.INT64, [2, 2])],
    [tensor("y", TensorProto.FLOAT, [N, 4])],
    [numpy_helper.from_array(np.ones(2, np.float32), "u")], opset=16)
save("error_cumsum_batch", [
    helper.make_node("CumSum", ["x", "zero"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [N, 5])], [ints("zero", 0)], opset=14)
save("error_cumsum_axis", [
    helper.make_node("CumSum", ["x", "axes"], ["y"]),
], [tensor("x", TensorProto.FLOAT, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [N, 5])], [ints("axes", [1, 1])],
    opset=14)
save("error_bool_max", [
    helper.make_node("Max", ["m", "m"], ["y"]),
], [tensor("m", TensorProto.BOOL, [N, 5])],
    [tensor("y", TensorProto.BOOL, [N, 5])])
save("error_concat_types", [
    helper.make_node("Cast", ["x"], ["xi"], to=TensorProto.INT64),
    helper.make_node("Concat", ["xi", "x"], ["y"], axis=1),
], [tensor("x", TensorProto.FLOAT, [N, 5])],
    [tensor("y", TensorProto.FLOAT, [N, 10])])
