//===- OnnxOps.h - The ONNX node handler interface --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// An op handler turns one ONNX node into kiln ops. The importer gives it a
// `NodeBuilder`: the builder positioned in @predict, the node's operands
// (as kiln tensors, or as values known at compile time), typed attribute
// accessors with ONNX's defaults, and `emitError`, which names the file and
// the node (name, op type, opset) so that every diagnostic points into the
// user's model.
//
// Handlers are registered per op family (ElementwiseOps.cpp, ...) in one
// table keyed by op type, each entry covering a range of opset versions:
// the ONNX operator versions whose semantics the handler implements. The
// dispatch picks the entry whose range holds the model's opset, so that
// every opset difference is explicit; `kiln compile --list-ops` prints
// this same table.
//
// ONNX tensors of other element types than float32 (shapes, axes, indices,
// masks) are mostly known at compile time: a `HostTensor` that handlers fold
// (Shape, Gather, Concat, Unsqueeze ... of int64 shapes, as exporters write
// them) and that handlers needing a constant operand read (Reshape's shape,
// Clip's bounds). At run time kiln computes in float32, except for the ops
// of indices and booleans (comparisons, logical ops, Where, Cast, ArgMax,
// Gather's indices), whose operands may be int32/int64/bool (i1) kiln
// tensors: the operands each registry entry lists as `anyTypeOperands`.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNX_ONNXOPS_H
#define KILN_FRONTEND_ONNX_ONNXOPS_H

#include "frontend/Import.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class NodeProto;
class AttributeProto;
} // namespace onnx

namespace mlir::kiln::onnx_import {

/// How a kiln tensor held batch-first makes up a tensor of the file whose
/// dynamic batch is not its first dimension, alone or merged with other
/// dimensions: a sequence-first tensor (seq, batch, ...) of a recurrent op
/// or of PyTorch's attention, which also folds the heads into the batch,
/// (seq, batch * heads, head_dim). The file's tensor is the held value
/// transposed to the order of `atoms` (atom k is held dimension atoms[k])
/// and reshaped: file dimension j is the product, in order, of the next
/// groups[j] atoms (of none: size 1). Held dimension 0 is the batch.
/// `NodeBuilder::fromHeld` keeps the form small: no held dimension of size
/// 1, the atoms that stay together merged into one, and no held form at
/// all where the batch is the file's first dimension on its own.
struct HeldLayout {
  SmallVector<int64_t> atoms;
  SmallVector<int64_t> groups;

  int64_t rank() const { return groups.size(); }
  /// The atoms of file dimension j.
  ArrayRef<int64_t> group(int64_t j) const;
  /// The file dimension whose atoms hold the batch.
  int64_t batchDim() const;
  bool operator==(const HeldLayout &other) const {
    return atoms == other.atoms && groups == other.groups;
  }
};

/// A held tensor and its layout (the identity for a batched tensor in the
/// file's layout).
struct HeldValue {
  Value value;
  HeldLayout layout;
};

/// The size of a file dimension in a held layout: a static factor, times
/// the dynamic batch when `batch`.
struct HeldDim {
  int64_t factor;
  bool batch;
};

/// "(6, None, 8)": file dimensions in a held layout, those that hold the
/// batch as None.
std::string formatHeldDims(ArrayRef<HeldDim> dims);

/// A value of the ONNX graph: a kiln tensor in @predict, a tensor known at
/// compile time, or both (a known float tensor that an op has used as
/// data).
struct OnnxValue {
  Value value;
  std::optional<HostTensor> known;
  /// A float32 model input whose value was given (`kiln run`, the
  /// conformance runner): known only to the operands an op needs known
  /// (OpKind::knownOperands), a kiln tensor everywhere else, so that the
  /// compiled code computes with it rather than the importer folding it.
  bool givenInput = false;
  /// An initializer stored in the layout its first use reads (a Gemm's
  /// transB weight, a Conv kernel channels-last): value dim d = tensor dim
  /// layout[d].
  SmallVector<int64_t> layout;
  /// An activation whose dynamic batch the file has elsewhere than in the
  /// first dimension, held batch-first (kiln's dynamic batch is dimension
  /// 0). The ops that move or merge dimensions (Reshape, Transpose,
  /// Squeeze, Unsqueeze, Flatten; Gather and Concat where the batch is a
  /// dimension of its own, Slice and Split also along a dimension of its
  /// own where the batch is merged), the elementwise ops, MatMul,
  /// Gemm, Softmax, the reductions, LayerNormalization and the recurrent
  /// ops read it as held (`heldInput`, `layoutInput`, `transposedInput`);
  /// `input` refuses it.
  std::optional<HeldLayout> held;
  /// A sequence of tensors (SplitToSequence: PyTorch's current exporter
  /// writes split_with_sizes so without its optimizer), which only
  /// SequenceAt reads (`NodeBuilder::sequenceInput`); no value itself.
  std::shared_ptr<const std::vector<OnnxValue>> sequence;

  static OnnxValue ofValue(Value v) { return OnnxValue{v, std::nullopt}; }
  static OnnxValue ofKnown(HostTensor t) { return OnnxValue{{}, std::move(t)}; }
};

class NodeBuilder {
public:
  virtual ~NodeBuilder() = default;

  OpBuilder &builder;
  Location loc;
  const onnx::NodeProto &node;
  /// The opset of the default domain the model imports.
  int64_t opset;

  /// An error about this node: "node 'name' (Op, opset N): ...".
  virtual InFlightDiagnostic emitError() = 0;

  /// The number of operands, counting trailing optional ones left empty.
  int64_t numInputs() const;
  /// True when operand `i` is given (present and not the empty name).
  bool hasInput(int64_t i) const;
  /// Operand `i` as a kiln float32 tensor: a known float tensor is
  /// materialized (a `kiln.constant`, or a parameter for an initializer).
  /// An error when it is absent or not float32.
  virtual FailureOr<Value> input(int64_t i) = 0;
  /// Operand `i` transposed by `perm` (result dim d = operand dim
  /// perm[d]). An initializer used here first becomes a parameter stored in
  /// that layout, so that no transpose runs when the model does (a Gemm's
  /// transB weight, a Conv kernel in kiln's channels-last layout).
  virtual FailureOr<Value> transposedInput(int64_t i,
                                           ArrayRef<int64_t> perm) = 0;
  /// Operand `i` as held: its kiln tensor and the layout of it (value dim d
  /// = tensor dim layout[d]; the identity when it is in the file's layout).
  /// An error for a tensor held with its batch merged with another
  /// dimension (OnnxValue::held).
  virtual FailureOr<std::pair<Value, SmallVector<int64_t>>>
  layoutInput(int64_t i) = 0;
  /// Operand `i`, a run-time tensor with a dynamic batch, as held
  /// (OnnxValue::held; the identity layout for one in the file's layout).
  virtual FailureOr<HeldValue> heldInput(int64_t i) = 0;
  /// A model input whose first dimension is the dynamic batch (for ops
  /// that build batch-sized tensors), or null when none is.
  virtual Value batchReference() = 0;
  /// True when operand `i` is a tensor held batch-first whose dynamic batch
  /// the file has in another dimension (OnnxValue::held).
  virtual bool heldTransposed(int64_t i) = 0;
  /// Like `input`, but an initializer becomes non-trainable state that the
  /// train step updates (BatchNormalization's running statistics).
  virtual FailureOr<Value> stateInput(int64_t i) = 0;
  /// Operand `i` as integer ids computed at run time (an int32/int64 model
  /// input or computed tensor); an error otherwise.
  virtual FailureOr<Value> idsInput(int64_t i) = 0;
  /// Operand `i`, a sequence (OnnxValue::sequence): its tensors; an error
  /// for a tensor. Every other accessor refuses a sequence.
  virtual FailureOr<ArrayRef<OnnxValue>> sequenceInput(int64_t i) = 0;
  /// Operand `i` as a kiln tensor of its own element type: float32, int32,
  /// int64 or bool (i1). A known tensor of one of these types becomes a
  /// `kiln.constant` (a float initializer, a parameter). An error for other
  /// types.
  virtual FailureOr<Value> anyInput(int64_t i) = 0;
  /// Operand `i` when it is known at compile time (an initializer, a
  /// Constant, a folded shape computation, an input whose value was
  /// given); null otherwise.
  virtual const HostTensor *known(int64_t i) = 0;
  /// `known(i)`, and a trainable initializer's value too: for a result no
  /// gradient flows through (a Cast of a weight to an integer type), which
  /// folds.
  virtual const HostTensor *knownEvenTrained(int64_t i) = 0;
  /// Operand `i`'s static shape and element type, whichever form it has;
  /// failure (after an error) when it is absent.
  virtual FailureOr<std::pair<SmallVector<int64_t>, OnnxType>>
  inputInfo(int64_t i) = 0;
  /// Operand `i`, which the node needs at compile time; an error naming
  /// it when it is not known.
  FailureOr<const HostTensor *> requireKnown(int64_t i, StringRef what);
  /// The known operand `i` as a list of integers (an int64/int32 tensor of
  /// rank 0 or 1), or nullopt when absent; failure (after an error) when
  /// it is present but not known or not integral.
  /// The dynamic batch size (from Shape of a batched tensor) is refused
  /// unless `allowBatch`, where it reads as ShapedType::kDynamic.
  FailureOr<std::optional<SmallVector<int64_t>>>
  knownInts(int64_t i, StringRef what, bool allowBatch = false);

  /// Attributes: nullptr / `fallback` when absent; an error (failure)
  /// when present with another type.
  const onnx::AttributeProto *attribute(StringRef name) const;
  FailureOr<int64_t> getInt(StringRef name, int64_t fallback);
  FailureOr<float> getFloat(StringRef name, float fallback);
  FailureOr<std::string> getString(StringRef name, StringRef fallback);
  /// A list of integers; nullopt when absent.
  FailureOr<std::optional<SmallVector<int64_t>>> getInts(StringRef name);
  FailureOr<std::optional<SmallVector<float>>> getFloats(StringRef name);

  /// Helpers for handlers.
  RankedTensorType typeOf(Value v) const {
    return cast<RankedTensorType>(v.getType());
  }
  /// The output that is `v` with value dim d = tensor dim layout[d]: `v`
  /// transposed to the file's layout, or `v` itself with the layout
  /// recorded where that transpose would move the dynamic batch away from
  /// the first dimension.
  OnnxValue permuted(Value v, ArrayRef<int64_t> layout);

  /// True when operand `i` is a run-time tensor with a dynamic batch, in
  /// the file's layout or held (HeldLayout.cpp).
  bool isBatched(int64_t i);
  /// Held layouts (HeldLayout.cpp). The output that is the held tensor
  /// `held` (batch first) in `layout`, in its small form: the file's
  /// tensor itself where the batch is its first dimension on its own.
  OnnxValue fromHeld(Value held, HeldLayout layout);
  /// `held` (N, k..., r...) as the file's tensor whose dimension
  /// `mergedDim` merges the batch with the k atoms (held layout `group`: 0
  /// the batch, 1... the k atoms, in the file's order) and whose other
  /// dimensions are the r ones, in order: the output of an op run over a
  /// batch merged with other rows (a Conv, a recurrent op).
  OnnxValue fromMergedBatch(Value held, ArrayRef<int64_t> group,
                            int64_t mergedDim);
  /// The sizes of the file dimensions of `x`.
  SmallVector<HeldDim> heldDims(const HeldValue &x);
  /// `x` reshaped to file dimensions of sizes `target`: the atoms split
  /// (never the batch's) and grouped anew; an error where the reshape does
  /// not keep the batch an atom of its own.
  FailureOr<OnnxValue> reshapeHeld(const HeldValue &x,
                                   ArrayRef<HeldDim> target);
  /// `x` sliced to [start[d], start[d] + count[d]) along each file
  /// dimension d, where each dimension sliced is one held dimension other
  /// than the batch (an error otherwise): Slice and Split of a tensor whose
  /// batch is merged with others.
  FailureOr<OnnxValue> sliceHeld(const HeldValue &x, ArrayRef<int64_t> start,
                                 ArrayRef<int64_t> count);
  /// `x` transposed by `perm` (file dim k = `x`'s dim perm[k]).
  OnnxValue transposeHeld(const HeldValue &x, ArrayRef<int64_t> perm);
  /// `x` (a tensor of the file's layout, any element type) in the frame of
  /// the held tensor of `frame`: a tensor that broadcasts against the held
  /// tensor as `x` does against the file's, NumPy's way; an error where it
  /// does not broadcast so.
  FailureOr<Value> intoHeldFrame(Value x, const HeldValue &frame,
                                 StringRef what);
  /// `x` @ `matrix` (K, N) over the file's last dimension of `x`.
  FailureOr<OnnxValue> matmulHeld(const HeldValue &x, Value matrix);
  /// NumPy's matmul of two tensors with a dynamic batch, held or not, whose
  /// dimensions before the last two are the same.
  FailureOr<OnnxValue> batchMatmulHeld(const HeldValue &a, const HeldValue &b);
  /// `x` held with the file dimensions `axes` (distinct, none holding the
  /// batch) as its last dimensions, in that order, one each (1 for a file
  /// dimension of size 1); the batch first and the other atoms in the
  /// file's order before them. An op along `axes` (Softmax, a reduction,
  /// LayerNormalization) computes on it along its last dimensions, and
  /// `fromHeld` takes the result back.
  FailureOr<HeldValue> heldAxesLast(const HeldValue &x, ArrayRef<int64_t> axes);
  /// The held dimensions of file dimensions `axes` (none holding the
  /// batch), sorted: where a reduction over `axes` reduces the held tensor.
  FailureOr<SmallVector<int64_t>> heldAxesOf(const HeldValue &x,
                                             ArrayRef<int64_t> axes);

  /// A float32 scalar / tensor constant.
  Value scalar(double value);
  Value constant(ArrayRef<int64_t> shape, ArrayRef<float> values);
  /// `axes` in [-rank, rank) as non-negative axes, in their order; an error
  /// for one out of range or listed twice.
  FailureOr<SmallVector<int64_t>> distinctAxes(ArrayRef<int64_t> axes,
                                               int64_t rank);
  /// `x` reshaped (float32), or `x` itself when it has that shape.
  Value reshape(Value x, ArrayRef<int64_t> shape);
  /// x[start : start + size] along `axis`, or `x` when that is all of it.
  Value sliceAxis(Value x, int64_t axis, int64_t start, int64_t size);
  /// `x` with dimension `axis` moved last, the others in order; and the
  /// inverse, the last dimension moved back to `axis` (`x` itself when
  /// `axis` is the last).
  Value moveAxisLast(Value x, int64_t axis);
  Value moveLastAxisTo(Value x, int64_t axis);
  /// Operand `i`, integer indices (known, or run-time int32/int64), as a
  /// float32 tensor: the form `kiln.one_hot` reads.
  FailureOr<Value> floatIds(int64_t i);

protected:
  NodeBuilder(OpBuilder &builder, Location loc, const onnx::NodeProto &node,
              int64_t opset)
      : builder(builder), loc(loc), node(node), opset(opset) {}
};

using NodeOutputs = SmallVector<OnnxValue, 1>;
/// Builds the node's outputs (as many as it names; an unused trailing
/// optional output may be left out).
using OpHandler = FailureOr<NodeOutputs> (*)(NodeBuilder &node);

/// The newest opset of the default domain kiln reads (ONNX 1.16): an entry
/// whose op has not changed since ends there.
constexpr int64_t kNewestOpset = 21;

/// How kiln imports one ONNX op over a range of opsets.
struct OpKind {
  /// The first and last opset of the default domain this handler
  /// implements (both inclusive).
  int64_t sinceVersion;
  int64_t lastVersion;
  OpHandler handler;
  /// The attributes the handler reads; the importer refuses any other.
  ArrayRef<StringLiteral> attributes;
  /// Operand positions the node needs at compile time (bit i: operand i):
  /// what a tool that knows its inputs' values (the conformance runner,
  /// `kiln run`) must give.
  uint32_t knownOperands = 0;
  /// Operand positions that take run-time tensors of any element type
  /// kiln computes with (int32, int64, bool as well as float32), read with
  /// `anyInput`/`idsInput`: where a model input of such a type may go.
  uint32_t anyTypeOperands = 0;
  /// The most operands the op version takes, for the versions newer than
  /// libonnx's checker (OnnxChecker.h), which counts the others': -1 then.
  int64_t maxInputs = -1;
  /// An elementwise op (NumPy broadcasting, the result shaped as its
  /// operands): it runs on a held tensor (OnnxValue::held) in the held
  /// layout, its other operands brought into it.
  bool elementwise = false;
  /// A given integer input (one a tool that knows the inputs gives: the
  /// conformance runner, `kiln run`) reaching an any-type operand stays
  /// known: the op only moves its elements (Reshape, Concat, Gather's
  /// data) or folds known operands (integer Add, Sub, Mul, Max, Min, Mod).
  /// Otherwise the op computes with it and it is a run-time tensor.
  bool keepsKnownIntegers = false;
};
using OpRegistry = llvm::StringMap<SmallVector<OpKind, 2>>;

/// The whole dispatch table, built once.
const OpRegistry &getOpRegistry();

/// Elementwise unary and binary math (the trigonometric, hyperbolic and
/// rounding functions included), activations, Clip, Min/Max/Sum/Mean,
/// comparisons, IsNaN/IsInf and Where on known tensors (ElementwiseOps.cpp).
void registerElementwiseOps(OpRegistry &registry);
/// Gemm, MatMul (LinearOps.cpp).
void registerLinearOps(OpRegistry &registry);
/// Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice,
/// Gather, Expand, Tile, Cast, CastLike, Constant, ConstantOfShape, Shape,
/// Identity, Dropout, DepthToSpace, SpaceToDepth, OneHot, GatherElements,
/// GatherND, ScatterElements, ScatterND, Scatter (ShapeOps.cpp).
void registerShapeOps(OpRegistry &registry);
/// Softmax, LogSoftmax, Hardmax, the reductions, CumSum (ReductionOps.cpp).
void registerReductionOps(OpRegistry &registry);
/// Conv, ConvTranspose, MaxPool, AveragePool, the global poolings
/// (ConvolutionOps.cpp).
void registerConvolutionOps(OpRegistry &registry);
/// Pad, Resize, Upsample (ResizeOps.cpp).
void registerResizeOps(OpRegistry &registry);
/// BatchNormalization, InstanceNormalization, LayerNormalization,
/// MeanVarianceNormalization, LRN (NormalizationOps.cpp).
void registerNormalizationOps(OpRegistry &registry);
/// RNN, LSTM, GRU (RecurrentOps.cpp).
void registerRecurrentOps(OpRegistry &registry);

/// The maximum of `x` over `axes` (sorted, distinct, the dynamic batch not
/// among them), and the product (an error past a number of factors), the
/// reduced axes kept as 1s under `keepDims` (ReductionOps.cpp).
Value reduceMax(NodeBuilder &node, Value x, ArrayRef<int64_t> axes,
                bool keepDims);
FailureOr<Value> reduceProd(NodeBuilder &node, Value x, ArrayRef<int64_t> axes,
                            bool keepDims);

/// The NumPy broadcast of two known tensors through `fn`, in `resultType`;
/// an error naming the dimensions where they do not broadcast
/// (ElementwiseOps.cpp).
FailureOr<HostTensor> foldBroadcast(NodeBuilder &node, const HostTensor &a,
                                    const HostTensor &b, OnnxType resultType,
                                    function_ref<double(double, double)> fn);

/// Rounds a folded value to its type: integer division truncates, float32
/// rounds to float (ElementwiseOps.cpp).
double roundTo(OnnxType type, double v);

/// The handler's helper: one output that is a kiln tensor.
inline FailureOr<NodeOutputs> single(FailureOr<Value> v) {
  if (failed(v))
    return failure();
  return NodeOutputs{OnnxValue::ofValue(*v)};
}

} // namespace mlir::kiln::onnx_import

#endif // KILN_FRONTEND_ONNX_ONNXOPS_H
