"""Writes small ONNX models for held_layouts.test (onnx.helper, Debian's
python3-onnx; run with /usr/bin/python3): tensors whose dynamic batch N is
not their first dimension, the way PyTorch's attention moves and merges
it, and one model per error the held layouts report.

  heads     x (N, 4, 6) -> (4, N, 6) -> (4, 2N, 3) -> (2N, 4, 3) ->
            (N, 2, 4, 3): the heads folded into the batch and out again
  attention x scaled by a parameter (6,), the same for q, k, v, then (2N, 4, 3) @ (2N, 3, 4), Softmax,
            @ (2N, 4, 3), a scale (Mul by a scalar), back to (4, N, 6) and
            (4N, 6) @ W (Gemm with a bias), LayerNormalization on
            (4, N, 6), ReduceMean over the sequence, Relu
  legacy    the heads' reshape from Shape arithmetic, as PyTorch's
            TorchScript exporter writes it: Shape(x)[1] * 2 in the shape
  einsum_shapes
            tf2onnx's einsum shape arithmetic: ReduceProd of Shape's batch
            dimensions, Max and Min of shapes that hold the batch
  tokens_bn LeViT's BatchNorm1d of the tokens: x (N, 4, 6) flattened to
            (4N, 6) (the batch merged with the tokens), BatchNormalization
            over the 6 channels, back to (N, 4, 6)
  window_repeats
            timm's gcvit: Tile's repeats are the windows per sample,
            Shape(windows)[0] / Shape(x)[0], placed by OneHot; the
            tiled tensor reshaped with Shape(windows)[0] / 2 (N)
  qkv_split timm's attention: q, k and v split from (3, N, heads, tokens,
            dim), the batch in dimension 1
  merged_slices
            timm's maxvit: Slice and Split along the last dimension of
            (2N, 2, 6), the batch merged with the windows
  batch_repeat
            timm's XCiT: a position encoding (1, 2, 6) tiled by (N, 2, 1),
            N = Shape(x)[0], added to x; batch_repeat_batched tiles x
            itself by (N, 1, 1), which is refused
  held_normalize
            timm's SwinV2: F.normalize of (2N, 2, 6), the batch merged
            with the windows: ReduceL2 over the last dimension, Clip, and
            Expand to Shape of the tensor (2N held), then Div;
            held_expand_rank expands it to a shape of another rank, which
            is refused
  held_conv timm's MViTv2/TNT: a Conv (and a grouped one) of (2N, 3, 2, 2),
            the batch merged with 2 windows, x (N, 6, 2, 2) reshaped;
            held_conv_batch_inner merges them the other way round, (N, 2)
            from x's (2, N) after a Transpose; held_conv_channels has
            the batch in the channels, which is refused
  row_lstm  timm's Sequencer2d: a bidirectional LSTM over the rows of
            x (N, 3, 4, 2) read as (N, H, W, C), (W, 3N, C) with zero
            states from ConstantOfShape((2, 3N, 5)); its Y and Y_h back
            as (N, 3, 4, 10) and (N, 3, 2, 5); row_lstm_state starts
            from ones, which is refused (row_lstm and as_strided are the
            importer fuzzer's seeds test/fuzz/seeds/importer/onnx_*)
  many_rows (N, 2048, 3) as (2048N, 3) and back through Shape(...)[0] /
            2048; many_rows_huge takes Shape of (2^22 N, 1), refused
  as_strided
            torch.export's aten.as_strided of (N, 4, 1, 1): a Gather from
            the flattened (4N,) at Range(0, N) * 4 plus known offsets;
            as_strided_other_rows reads the next row's, refused
  x.npy     an input batch of 3 for the numeric checks, t.npy targets
  errors    an output held, an op that does not read held tensors (ArgMax),
            two held operands in different layouts (the batch inside
            and outside in their 2N; held_layouts_moved, the same atoms
            in other places, is no error), 2N read where only
            Reshape, ConstantOfShape and Expand read it (Expand of a
            trained initializer; ConstantOfShape of (2N, 2N); Tile's
            repeats), the batch split in a Reshape, the
            batch compared with a size (Equal)
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


def floats(name, shape):
    return numpy_helper.from_array(
        rng.standard_normal(shape).astype(np.float32), name)


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def heads(prefix, x):
    """x (N, 4, 6) -> (N, 2, 4, 3), through the 2N-batched (2N, 4, 3)."""
    return [
        helper.make_node("Transpose", [x], [prefix + "seq"], perm=[1, 0, 2],
                         name=prefix + "seq_first"),
        helper.make_node("Reshape", [prefix + "seq", "split"],
                         [prefix + "folded"], name=prefix + "fold"),
        helper.make_node("Transpose", [prefix + "folded"], [prefix + "bh"],
                         perm=[1, 0, 2], name=prefix + "heads_first"),
    ], prefix + "bh"


nodes, bh = heads("", "x")
save("heads", nodes + [
    helper.make_node("Reshape", [bh, "unfold"], ["y"], name="unfold"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 2, 4, 3])],
    [ints("split", [4, -1, 3]), ints("unfold", [-1, 2, 4, 3])])

q, qn = heads("q_", "xs")
k, kn = heads("k_", "xs")
v, vn = heads("v_", "xs")
save("attention", [
    helper.make_node("Mul", ["x", "x_scale"], ["xs"], name="x_scale"),
] + q + k + v + [
    helper.make_node("Transpose", [kn], ["kt"], perm=[0, 2, 1], name="kt"),
    helper.make_node("MatMul", [qn, "kt"], ["scores"], name="scores"),
    helper.make_node("Mul", ["scores", "scale"], ["scaled"], name="scale"),
    helper.make_node("Softmax", ["scaled"], ["weights"], axis=-1,
                     name="softmax"),
    helper.make_node("MatMul", ["weights", vn], ["context"], name="context"),
    helper.make_node("Transpose", ["context"], ["context_seq"],
                     perm=[1, 0, 2], name="context_seq"),
    helper.make_node("Reshape", ["context_seq", "rows"], ["flat"],
                     name="rows"),
    helper.make_node("Gemm", ["flat", "w", "b"], ["proj"], transB=1,
                     name="proj"),
    helper.make_node("Reshape", ["proj", "seq_shape"], ["proj_seq"],
                     name="unrows"),
    helper.make_node("LayerNormalization", ["proj_seq", "gamma", "beta"],
                     ["norm"], axis=-1, name="norm"),
    helper.make_node("ReduceMean", ["norm"], ["pooled"], axes=[0],
                     keepdims=0, name="pool"),
    helper.make_node("Relu", ["pooled"], ["y"], name="relu"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 6])],
    [ints("split", [4, -1, 3]), ints("rows", [-1, 6]),
     ints("seq_shape", [4, -1, 6]),
     numpy_helper.from_array(np.array(0.5, np.float32), "scale"),
     floats("w", (6, 6)), floats("b", (6,)), floats("gamma", (6,)),
     floats("beta", (6,)), floats("x_scale", (6,))])

save("legacy", [
    helper.make_node("Transpose", ["x"], ["seq"], perm=[1, 0, 2],
                     name="seq_first"),
    helper.make_node("Shape", ["seq"], ["shape"], name="shape"),
    helper.make_node("Gather", ["shape", "one"], ["batch"], axis=0,
                     name="batch"),
    helper.make_node("Mul", ["batch", "two"], ["batch_heads"],
                     name="batch_heads"),
    helper.make_node("Unsqueeze", ["batch_heads", "zero"], ["bh"],
                     name="bh"),
    helper.make_node("Concat", ["four", "bh", "three"], ["target"], axis=0,
                     name="target"),
    helper.make_node("Reshape", ["seq", "target"], ["split"], name="fold"),
    helper.make_node("Shape", ["split"], ["split_shape"], name="split_shape"),
    helper.make_node("Transpose", ["split"], ["bh_first"], perm=[1, 0, 2],
                     name="heads_first"),
    helper.make_node("Reshape", ["bh_first", "unfold"], ["y"],
                     name="unfold"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 2, 4, 3])],
    [ints("one", 1), ints("two", 2), ints("zero", [0]), ints("four", [4]),
     ints("three", [3]), ints("unfold", [-1, 2, 4, 3])])

# tf2onnx's einsum: the batch dimensions of Shape multiplied (ReduceProd)
# into one, and broadcast back with Max of two shapes' batch dimensions:
# (N, 2, 4, 3) -> (2N, 4, 3) -> (N, 2, 4, 3), which is x itself.
save("einsum_shapes", [
    helper.make_node("Shape", ["x"], ["shape"], name="shape"),
    helper.make_node("Gather", ["shape", "batch_axes"], ["batch_dims"],
                     axis=0, name="batch_dims"),
    helper.make_node("ReduceProd", ["batch_dims"], ["batch"], keepdims=1,
                     name="batch_prod"),
    helper.make_node("Concat", ["batch", "rest"], ["target"], axis=0,
                     name="target"),
    helper.make_node("Reshape", ["x", "target"], ["merged"], name="merge"),
    helper.make_node("Shape", ["merged"], ["merged_shape"],
                     name="merged_shape"),
    helper.make_node("Gather", ["merged_shape", "first"], ["n2"], axis=0,
                     name="n2"),
    helper.make_node("Max", ["batch_dims", "ones"], ["batch_again"],
                     name="batch_max"),
    helper.make_node("Min", ["n2", "one_list"], ["one_again"],
                     name="one_min"),
    helper.make_node("Concat", ["batch_again", "rest", "one_again"],
                     ["back"], axis=0, name="back"),
    helper.make_node("Reshape", ["merged", "back"], ["y4"], name="unmerge"),
    helper.make_node("Squeeze", ["y4", "last"], ["y"], name="squeeze"),
], [value("x", ["N", 2, 4, 3])], [value("y", ["N", 2, 4, 3])],
    [ints("batch_axes", [0, 1]), ints("rest", [4, 3]), ints("first", [0]),
     ints("ones", [1, 1]), ints("one_list", [1]), ints("last", [4])])


def held_error(name, tail, outputs, inits=()):
    nodes, bh = heads("", "x")
    save(name, nodes + tail, [value("x", ["N", 4, 6])], outputs,
         [ints("split", [4, -1, 3])] + list(inits))


held_error("held_output", [], [value("bh", ["2N", 4, 3])])
held_error("held_argmax", [
    helper.make_node("ArgMax", ["bh"], ["y"], axis=2, name="argmax"),
], [value("y", ["2N", 4, 1], TensorProto.INT64)])
# Two tensors (2N, 4, 3) held in the same atoms, in other places: added
# in one layout (timm's TNT), then back to (N, 8, 3).
held_error("held_layouts_moved", [
    helper.make_node("Reshape", ["x", "per_head"], ["x4"], name="per_head"),
    helper.make_node("Transpose", ["x4"], ["x4t"], perm=[0, 2, 1, 3],
                     name="x4t"),
    helper.make_node("Reshape", ["x4t", "merge"], ["bh2"], name="merge"),
    helper.make_node("Add", ["bh", "bh2"], ["s"], name="add"),
    helper.make_node("Reshape", ["s", "back"], ["y"], name="back"),
], [value("y", ["N", 8, 3])],
    [ints("per_head", [-1, 4, 2, 3]), ints("merge", [-1, 4, 3]),
     ints("back", [-1, 8, 3])])
# The same shape whose 2N merges the batch inside the 2, not outside.
held_error("held_layouts_differ", [
    helper.make_node("Reshape", ["x", "per_half"], ["x4"], name="per_half"),
    helper.make_node("Transpose", ["x4"], ["x4t"], perm=[1, 0, 2, 3],
                     name="halves_first"),
    helper.make_node("Reshape", ["x4t", "merge"], ["bh2"], name="merge"),
    helper.make_node("Add", ["bh", "bh2"], ["y"], name="add"),
], [value("y", ["2N", 4, 3])],
    [ints("per_half", [-1, 2, 4, 3]), ints("merge", [-1, 4, 3])])
held_error("held_conv_channels", [
    helper.make_node("Transpose", ["bh"], ["tb"], perm=[1, 0, 2],
                     name="t"),
    helper.make_node("Conv", ["tb", "wc"], ["y"], name="conv"),
], [value("y", [4, 2, 3])],
    [numpy_helper.from_array(np.ones((2, 1, 1), np.float32), "wc")])
held_error("held_expand", [
    helper.make_node("Shape", ["bh"], ["shape"], name="shape"),
    helper.make_node("Expand", ["one_f", "shape"], ["y"], name="expand"),
], [value("y", ["2N", 4, 3])],
    [numpy_helper.from_array(np.ones((1,), np.float32), "one_f")])
held_error("held_tile_rows", [
    helper.make_node("Shape", ["bh"], ["shape"], name="shape"),
    helper.make_node("Slice", ["shape", "first", "one"], ["rows"],
                     name="rows"),
    helper.make_node("Concat", ["rows", "one", "one"], ["repeats"], axis=0,
                     name="repeats"),
    helper.make_node("Tile", ["x", "repeats"], ["y"], name="tile"),
], [value("y", ["2NN", 4, 6])], [ints("first", [0]), ints("one", [1])])
held_error("held_fill_twice", [
    helper.make_node("Shape", ["bh"], ["shape"], name="shape"),
    helper.make_node("Slice", ["shape", "first", "one"], ["rows"],
                     name="rows"),
    helper.make_node("Concat", ["rows", "rows"], ["twice"], axis=0,
                     name="twice"),
    helper.make_node("ConstantOfShape", ["twice"], ["y"], name="fill"),
], [value("y", ["2N", "2N"])], [ints("first", [0]), ints("one", [1])])
held_error("held_fill_int", [
    helper.make_node("Shape", ["bh"], ["shape"], name="shape"),
    helper.make_node("ConstantOfShape", ["shape"], ["y"], name="fill",
                     value=numpy_helper.from_array(np.ones(1, np.int64))),
], [value("y", ["2N", 4, 3], TensorProto.INT64)])
save("batch_split", [
    helper.make_node("Transpose", ["x"], ["seq"], perm=[1, 0, 2],
                     name="seq_first"),
    helper.make_node("Reshape", ["seq", "target"], ["y"], name="split"),
], [value("x", ["N", 4, 6])], [value("y", [4, 2, "N/2", 6])],
    [ints("target", [4, 2, -1, 6])])
save("batch_equal", [
    helper.make_node("Shape", ["x"], ["shape"], name="shape"),
    helper.make_node("Equal", ["shape", "sizes"], ["same"], name="equal"),
    helper.make_node("Where", ["same", "x", "x"], ["y"], name="where"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 4, 6])],
    [ints("sizes", [3, 4, 6])])

save("tokens_bn", [
    helper.make_node("Reshape", ["x", "flat"], ["f"], name="flatten"),
    helper.make_node("BatchNormalization", ["f", "s", "b", "m", "v"], ["n"],
                     name="bn", epsilon=1e-3),
    helper.make_node("Reshape", ["n", "back"], ["y"], name="unflatten"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 4, 6])],
    [ints("flat", [-1, 6]), ints("back", [-1, 4, 6]),
     numpy_helper.from_array(rng.uniform(0.5, 1.5, 6).astype(np.float32), "s"),
     numpy_helper.from_array(rng.standard_normal(6).astype(np.float32), "b"),
     numpy_helper.from_array(rng.standard_normal(6).astype(np.float32), "m"),
     numpy_helper.from_array(rng.uniform(0.5, 2, 6).astype(np.float32), "v")])

# timm's gcvit repeats a per-sample tensor once per window: the repeats
# are (windows * N) / N, put in place by OneHot, both folded.
save("window_repeats", [
    helper.make_node("Reshape", ["x", "win"], ["w"], name="windows"),
    helper.make_node("Shape", ["w"], ["ws"], name="ws"),
    helper.make_node("Gather", ["ws", "zero"], ["wn"], axis=0, name="wn"),
    helper.make_node("Shape", ["x"], ["xs"], name="xs"),
    helper.make_node("Gather", ["xs", "zero"], ["n"], axis=0, name="n"),
    helper.make_node("Div", ["wn", "n"], ["per"], name="per_sample"),
    helper.make_node("Reshape", ["per", "one_d"], ["per1"], name="per1"),
    helper.make_node("Concat", ["one_d", "per1"], ["onoff"], axis=0,
                     name="onoff"),
    helper.make_node("OneHot", ["one_d", "three", "onoff"], ["rep1"],
                     name="onehot"),
    helper.make_node("Reshape", ["rep1", "flat3"], ["repeats"],
                     name="repeats"),
    helper.make_node("ReduceMean", ["x"], ["q"], axes=[1], keepdims=1,
                     name="q"),
    helper.make_node("Div", ["wn", "two"], ["nb"], name="batch_again"),
    helper.make_node("Reshape", ["nb", "one_d"], ["nb1"], name="nb1"),
    helper.make_node("Concat", ["nb1", "rest"], ["qshape"], axis=0,
                     name="qshape"),
    helper.make_node("Reshape", ["q", "qshape"], ["q2"], name="q2"),
    helper.make_node("Tile", ["q2", "repeats"], ["y"], name="tile"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 2, 6])],
    [ints("win", [-1, 2, 6]), ints("zero", 0), ints("one_d", [1]),
     ints("three", 3), ints("flat3", [3]), ints("two", 2),
     ints("rest", [1, 6])])

# timm's attention: one qkv projection reshaped to (N, tokens, 3, heads,
# dim), transposed to (3, N, heads, tokens, dim) (the batch in dimension
# 1), and split into q, k and v.
save("qkv_split", [
    helper.make_node("MatMul", ["x", "wqkv"], ["qkv"], name="qkv"),
    helper.make_node("Reshape", ["qkv", "per_head"], ["r"], name="per_head"),
    helper.make_node("Transpose", ["r"], ["t"], perm=[2, 0, 3, 1, 4],
                     name="qkv_first"),
    helper.make_node("Split", ["t", "ones3"], ["q1", "k1", "v1"], axis=0,
                     name="split"),
    helper.make_node("Squeeze", ["q1", "zero1"], ["q"], name="q"),
    helper.make_node("Squeeze", ["k1", "zero1"], ["k"], name="k"),
    helper.make_node("Squeeze", ["v1", "zero1"], ["v"], name="v"),
    helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2],
                     name="kt"),
    helper.make_node("MatMul", ["q", "kt"], ["s"], name="scores"),
    helper.make_node("Softmax", ["s"], ["p"], axis=-1, name="softmax"),
    helper.make_node("MatMul", ["p", "v"], ["o"], name="attend"),
    helper.make_node("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3],
                     name="tokens_first"),
    helper.make_node("Reshape", ["ot", "merge"], ["y"], name="merge"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 4, 6])],
    [floats("wqkv", (6, 18)), ints("per_head", [-1, 4, 3, 2, 3]),
     ints("ones3", [1, 1, 1]), ints("zero1", [0]),
     ints("merge", [-1, 4, 6])])

# timm's maxvit slices q, k and v out of (batch * windows, tokens, 3C):
# Slice and Split of a tensor whose batch is merged with another
# dimension, along a dimension of its own.
save("merged_slices", [
    helper.make_node("Reshape", ["x", "windows"], ["r"], name="windows"),
    helper.make_node("Slice", ["r", "st", "en", "ax"], ["a"], name="slice"),
    helper.make_node("Split", ["r", "halves"], ["b", "c"], axis=2,
                     name="split"),
    helper.make_node("Mul", ["b", "c"], ["bc"], name="mul"),
    helper.make_node("Add", ["a", "bc"], ["s"], name="add"),
    helper.make_node("Reshape", ["s", "back3"], ["y"], name="back"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 4, 3])],
    [ints("windows", [-1, 2, 6]), ints("st", [1]), ints("en", [4]),
     ints("ax", [2]), ints("halves", [3, 3]), ints("back3", [-1, 4, 3])])

save("merged_steps", [
    helper.make_node("Reshape", ["x", "windows"], ["r"], name="windows"),
    helper.make_node("Slice", ["r", "st", "en", "ax", "sp"], ["y"],
                     name="slice"),
], [value("x", ["N", 4, 6])], [value("y", ["2N", 2, 3])],
    [ints("windows", [-1, 2, 6]), ints("st", [0]), ints("en", [6]),
     ints("ax", [2]), ints("sp", [2])])
save("merged_atoms", [
    helper.make_node("Transpose", ["x"], ["t"], perm=[2, 1, 0],
                     name="reversed"),
    helper.make_node("Reshape", ["t", "merge"], ["r"], name="merge"),
    helper.make_node("Slice", ["r", "st", "en", "ax"], ["y"], name="slice"),
], [value("x", ["N", 4, 6])], [value("y", [5, "N"])],
    [ints("merge", [24, -1]), ints("st", [0]), ints("en", [5]),
     ints("ax", [0])])

# timm's XCiT: `pos.repeat(B, 1, 1, 1)` of a tensor without the batch.
batch_repeat_nodes = [
    helper.make_node("Shape", ["x"], ["xs"], name="xs"),
    helper.make_node("Slice", ["xs", "zero1", "one1"], ["n"], name="n"),
    helper.make_node("Concat", ["n", "rest"], ["repeats"], axis=0,
                     name="repeats"),
]
save("batch_repeat", batch_repeat_nodes + [
    helper.make_node("Tile", ["pos", "repeats"], ["p"], name="tile"),
    helper.make_node("Add", ["x", "p"], ["y"], name="add"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 4, 6])],
    [floats("pos", (1, 2, 6)), ints("zero1", [0]), ints("one1", [1]),
     ints("rest", [2, 1])])
save("batch_repeat_batched", batch_repeat_nodes + [
    helper.make_node("Tile", ["x", "repeats"], ["y"], name="tile"),
], [value("x", ["N", 4, 6])], [value("y", ["N2", 4, 6])],
    [ints("zero1", [0]), ints("one1", [1]), ints("rest", [1, 1])])

# timm's SwinV2: F.normalize(q, dim=-1) of windows merged with the batch,
# q / Expand(Clip(ReduceL2(q)), Shape(q)).
normalize_nodes = [
    helper.make_node("Reshape", ["x", "windows"], ["r"], name="windows"),
    helper.make_node("ReduceL2", ["r"], ["n"], axes=[-1], keepdims=1,
                     name="norm"),
    helper.make_node("Clip", ["n", "tiny"], ["nc"], name="clip"),
    helper.make_node("Shape", ["r"], ["rs"], name="rs"),
]
save("held_normalize", normalize_nodes + [
    helper.make_node("Expand", ["nc", "rs"], ["e"], name="expand"),
    helper.make_node("Div", ["r", "e"], ["d"], name="div"),
    helper.make_node("Reshape", ["d", "back"], ["y"], name="back"),
], [value("x", ["N", 4, 6])], [value("y", ["N", 4, 6])],
    [ints("windows", [-1, 2, 6]), ints("back", [-1, 4, 6]),
     numpy_helper.from_array(np.array(1e-12, np.float32), "tiny")])
save("held_expand_rank", normalize_nodes + [
    helper.make_node("Concat", ["one_d", "rs"], ["rs4"], axis=0, name="rs4"),
    helper.make_node("Expand", ["nc", "rs4"], ["y"], name="expand"),
], [value("x", ["N", 4, 6])], [value("y", [1, "2N", 2, 6])],
    [ints("windows", [-1, 2, 6]), ints("one_d", [1]),
     numpy_helper.from_array(np.array(1e-12, np.float32), "tiny")])

# timm's MViTv2 and TNT: convolutions of tensors whose batch is merged
# with heads or patches.
save("held_conv", [
    helper.make_node("Reshape", ["x", "split"], ["r"], name="split"),
    helper.make_node("Conv", ["r", "w", "b"], ["c"], pads=[1, 1, 1, 1],
                     name="conv"),
    helper.make_node("Conv", ["c", "wg"], ["g"], group=2, name="grouped"),
    helper.make_node("Reshape", ["g", "merge"], ["y"], name="merge"),
], [value("x", ["N", 6, 2, 2])], [value("y", ["N", 8, 2, 2])],
    [ints("split", [-1, 3, 2, 2]), floats("w", (4, 3, 3, 3)),
     floats("b", (4,)), floats("wg", (4, 2, 1, 1)),
     ints("merge", [-1, 8, 2, 2])])
save("held_conv_batch_inner", [
    helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2, 3],
                     name="t"),
    helper.make_node("Reshape", ["t", "split"], ["r"], name="split"),
    helper.make_node("Conv", ["r", "w"], ["c"], name="conv"),
    helper.make_node("Reshape", ["c", "back"], ["u"], name="back"),
    helper.make_node("Transpose", ["u"], ["y"], perm=[1, 0, 2, 3, 4],
                     name="batch_first"),
], [value("x", ["N", 2, 3, 4])], [value("y", ["N", 2, 2, 2, 4])],
    [ints("split", [-1, 1, 3, 4]), floats("w", (2, 1, 2, 1)),
     ints("back", [2, -1, 2, 2, 4])])


# A (2048N, 3) view of x (N, 2048, 3), the batch read back as
# Shape(rows)[0] / 2048: a multiple of the batch past the 1023 of the
# old encoding. many_rows_huge merges 2^22 (past the bound).
save("many_rows", [
    helper.make_node("Reshape", ["x", "flat"], ["rows"], name="rows"),
    helper.make_node("Relu", ["rows"], ["r"], name="relu"),
    helper.make_node("Shape", ["r"], ["shape"], name="shape"),
    helper.make_node("Slice", ["shape", "first", "one"], ["n2048"],
                     name="n2048"),
    helper.make_node("Div", ["n2048", "tokens"], ["n"], name="n"),
    helper.make_node("Concat", ["n", "tokens", "three"], ["back"], axis=0,
                     name="back"),
    helper.make_node("Reshape", ["r", "back"], ["y"], name="unrows"),
], [value("x", ["N", 2048, 3])], [value("y", ["N", 2048, 3])],
    [ints("flat", [-1, 3]), ints("first", [0]), ints("one", [1]),
     ints("tokens", [2048]), ints("three", [3])])
save("many_rows_huge", [
    helper.make_node("Reshape", ["x", "flat"], ["rows"], name="rows"),
    helper.make_node("Shape", ["rows"], ["shape"], name="shape"),
    helper.make_node("Reshape", ["rows", "shape"], ["y"], name="again"),
], [value("x", ["N", 4194304])], [value("y", ["4194304N", 1])],
    [ints("flat", [-1, 1])])

# PyTorch's current exporter's aten.as_strided of AdaptiveAvgPool2d's
# (N, 4, 1, 1): Gather from the flattened (4N,) at Range(0, N) * 4 plus
# the offsets (1, 4, 1, 1) (every sample's own 4 elements, here reversed);
# as_strided_other_rows reads the next row's, which is refused.
def as_strided(name, offsets):
    save(name, [
        helper.make_node("ReduceMean", ["x4"], ["pooled"], axes=[2, 3],
                         keepdims=1, name="pool"),
        helper.make_node("Reshape", ["pooled", "flat"], ["f"], name="flat"),
        helper.make_node("Shape", ["x4"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0,
                         name="n"),
        helper.make_node("Range", ["zero", "n", "one"], ["rows"],
                         name="rows"),
        helper.make_node("Mul", ["rows", "four"], ["starts"], name="starts"),
        helper.make_node("Unsqueeze", ["starts", "inner"], ["starts4"],
                         name="starts4"),
        helper.make_node("Add", ["starts4", "offsets"], ["ids"], name="ids"),
        helper.make_node("Gather", ["f", "ids"], ["y"], axis=0,
                         name="as_strided"),
    ], [value("x4", ["N", 4, 3, 3])], [value("y", ["N", 4, 1, 1])],
        [ints("flat", [-1]), ints("zero", 0),
         ints("one", 1), ints("four", 4), ints("inner", [1, 2, 3]),
         numpy_helper.from_array(
             np.array(offsets, np.int64).reshape(1, 4, 1, 1), "offsets")])


as_strided("as_strided", [3, 2, 1, 0])
as_strided("as_strided_other_rows", [4, 5, 6, 7])


def row_lstm(name, fill):
    rows = [
        helper.make_node("Reshape", ["x", "rows_shape"], ["rows"],
                         name="rows"),
        helper.make_node("Transpose", ["rows"], ["seq"], perm=[1, 0, 2],
                         name="seq_first"),
        helper.make_node("Shape", ["rows"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0,
                         name="n"),
        helper.make_node("Unsqueeze", ["n", "zero_axis"], ["n1"],
                         name="n1"),
        helper.make_node("Concat", ["two", "n1", "five"], ["state_shape"],
                         axis=0, name="state_shape"),
        helper.make_node("ConstantOfShape", ["state_shape"], ["state"],
                         value=numpy_helper.from_array(
                             np.array([fill], np.float32)),
                         name="zeros"),
        helper.make_node("LSTM", ["seq", "w", "r", "b", "", "state", "state"],
                         ["y_seq", "h_seq"], direction="bidirectional",
                         hidden_size=5, name="lstm"),
        helper.make_node("Transpose", ["y_seq"], ["y_t"], perm=[0, 2, 1, 3],
                         name="y_t"),
        helper.make_node("Reshape", ["y_t", "keep_two"], ["y_flat"],
                         name="y_flat"),
        helper.make_node("Transpose", ["y_flat"], ["y_rows"],
                         perm=[1, 0, 2], name="y_rows"),
        helper.make_node("Reshape", ["y_rows", "y_shape"], ["y"], name="y"),
        helper.make_node("Transpose", ["h_seq"], ["h_rows"], perm=[1, 0, 2],
                         name="h_rows"),
        helper.make_node("Reshape", ["h_rows", "h_shape"], ["h"], name="h"),
    ]
    save(name, rows, [value("x", ["N", 3, 4, 2])],
         [value("y", ["N", 3, 4, 10]), value("h", ["N", 3, 2, 5])],
         [ints("rows_shape", [-1, 4, 2]), ints("zero", 0),
          ints("zero_axis", [0]), ints("two", [2]), ints("five", [5]),
          floats("w", (2, 20, 2)), floats("r", (2, 20, 5)),
          floats("b", (2, 40)), ints("keep_two", [0, 0, -1]),
          ints("y_shape", [-1, 3, 4, 10]), ints("h_shape", [-1, 3, 2, 5])])


row_lstm("row_lstm", 0.0)
row_lstm("row_lstm_state", 1.0)

# An input batch for the numeric checks (test/e2e/onnx_held_layouts.test).
np.save(os.path.join(out, "x.npy"),
        rng.standard_normal((3, 4, 6)).astype(np.float32))
np.save(os.path.join(out, "t.npy"),
        rng.standard_normal((3, 4, 6)).astype(np.float32))
