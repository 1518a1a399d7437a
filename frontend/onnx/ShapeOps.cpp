//===- ShapeOps.cpp - ONNX shape, layout and constant ops -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Ops that move elements rather than compute them. On kiln tensors they
// become `kiln.reshape` (Reshape, Flatten, Squeeze, Unsqueeze),
// `kiln.transpose`, `kiln.concat`, `kiln.slice` (Split, Slice, Tile's
// copies) and `kiln.gather` (Gather with known indices). On tensors known
// when compiling (the int64 shape arithmetic exporters write: Shape ->
// Gather -> Unsqueeze -> Concat -> Reshape) they are folded on the host, so
// that the shapes kiln needs are constants by the time an op reads them.
// Constant, ConstantOfShape and Shape (of static dimensions) produce known
// tensors.
//===----------------------------------------------------------------------===//

#include "frontend/WindowOps.h"
#include "frontend/onnx/OnnxOps.h"
#include "frontend/onnx/OnnxTensors.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "onnx/onnx_pb.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <map>
#include <set>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// `axis` in [-rank, rank) as a non-negative axis; failure (after an
/// error) otherwise.
static FailureOr<int64_t> normalizeAxis(NodeBuilder &node, int64_t axis,
                                        int64_t rank, StringRef what = "axis") {
  if (axis < -rank || axis >= rank) {
    node.emitError() << what << " " << axis << " is out of range for rank "
                     << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

static FailureOr<NodeOutputs> known(HostTensor t) {
  return NodeOutputs{OnnxValue::ofKnown(std::move(t))};
}

/// A node's operand as a kiln tensor or a known tensor, with its shape.
struct Operand {
  Value value;
  const HostTensor *known = nullptr;
  SmallVector<int64_t> shape;
};

/// Operand `i` as an Operand: a float32 kiln tensor, or with `anyType` one
/// of any element type kiln computes with (for the ops that only move
/// elements: kiln.reshape and kiln.transpose take any).
static FailureOr<Operand> dataOperand(NodeBuilder &node, int64_t i = 0,
                                      bool anyType = false) {
  Operand op;
  op.known = node.known(i);
  if (op.known) {
    op.shape = op.known->shape;
    return op;
  }
  FailureOr<Value> v = anyType ? node.anyInput(i) : node.input(i);
  if (failed(v))
    return failure();
  op.value = *v;
  op.shape.assign(node.typeOf(*v).getShape().begin(),
                  node.typeOf(*v).getShape().end());
  return op;
}

/// Reshapes `op` to `shape`: a known tensor keeps its values.
static FailureOr<NodeOutputs> reshapeOperand(NodeBuilder &node, Operand &op,
                                             ArrayRef<int64_t> shape) {
  if (op.known) {
    HostTensor t = *op.known;
    t.shape.assign(shape.begin(), shape.end());
    return known(std::move(t));
  }
  return single(node.reshape(op.value, shape));
}

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// The layout of a tensor of rank `rank` whose dynamic batch, in
/// dimension `b`, is held first and the other dimensions in order.
static SmallVector<int64_t> batchPulledLayout(int64_t rank, int64_t b) {
  SmallVector<int64_t> layout = {b};
  for (int64_t t = 0; t < rank; ++t)
    if (t != b)
      layout.push_back(t);
  return layout;
}

//===----------------------------------------------------------------------===//
// Reshape, Flatten, Squeeze, Unsqueeze
//===----------------------------------------------------------------------===//

// Reshape(data, shape): 0 copies the input's dimension (unless allowzero),
// -1 is inferred. A tensor with a dynamic batch reshapes in the held form
// (HeldLayout.cpp): the batch may move, and merge with other dimensions,
// as long as it is not split.

/// Reshape's shape operand: its integers, and the multiple of the batch
/// size each one is (0 where none).
struct ShapeOperand {
  SmallVector<int64_t> values;
  SmallVector<int64_t> batchFactors;
};

static FailureOr<ShapeOperand> shapeOperand(NodeBuilder &node) {
  if (!node.hasInput(1)) {
    node.emitError() << "the shape (input 1) is missing";
    return failure();
  }
  FailureOr<const HostTensor *> t = node.requireKnown(1, "the shape");
  if (failed(t))
    return failure();
  if (!isIntegral((*t)->type) || (*t)->shape.size() != 1) {
    node.emitError() << "the shape must be a list of integers, got a "
                     << typeName((*t)->type) << " tensor of rank "
                     << (*t)->shape.size();
    return failure();
  }
  ShapeOperand shape;
  shape.values = (*t)->toInt64();
  for (auto [v, raw] : llvm::zip(shape.values, (*t)->values)) {
    shape.batchFactors.push_back(batchMultiple(raw));
    if (batchMultiple(raw))
      v = ShapedType::kDynamic;
  }
  return shape;
}

/// Reshape's shape for an input of file dimensions `in`: 0 copies (unless
/// `allowZero`), -1 takes what is left, the batch size (Shape of a batched
/// tensor) or a multiple of it is the batch; -1 takes the batch when
/// nothing else does.
static FailureOr<SmallVector<HeldDim>>
reshapeTarget(NodeBuilder &node, ArrayRef<HeldDim> in,
              const ShapeOperand &shape, bool allowZero) {
  ArrayRef<int64_t> target = shape.values;
  SmallVector<HeldDim> out;
  int64_t inferred = -1, total = 1, known = 1, batches = 0;
  for (HeldDim d : in)
    total *= d.factor;
  for (auto [i, d] : llvm::enumerate(target)) {
    HeldDim dim{d, false};
    if (d == 0 && !allowZero) {
      if (i >= in.size()) {
        node.emitError() << "shape copies dimension " << i
                         << ", which the input does not have";
        return failure();
      }
      dim = in[i];
    } else if (d == -1) {
      if (inferred >= 0) {
        node.emitError() << "shape has more than one -1";
        return failure();
      }
      inferred = i;
      dim = HeldDim{1, false};
    } else if (shape.batchFactors[i]) {
      dim = HeldDim{shape.batchFactors[i], true};
    } else if (d < 0) {
      node.emitError() << "shape has the negative dimension " << d;
      return failure();
    }
    batches += dim.batch;
    known *= dim.factor;
    out.push_back(dim);
  }
  if (batches > 1) {
    node.emitError() << "shape places the dynamic batch size in more than "
                        "one dimension";
    return failure();
  }
  bool hasBatch = llvm::any_of(in, [](HeldDim d) { return d.batch; });
  if (inferred >= 0) {
    if (known == 0 || total % known) {
      node.emitError() << "cannot reshape " << formatHeldDims(in) << " into "
                       << formatKerasShape(target);
      return failure();
    }
    out[inferred] = HeldDim{total / known, hasBatch && batches == 0};
    batches += out[inferred].batch;
    known = total;
  }
  if (known != total || batches != int64_t(hasBatch)) {
    node.emitError() << "cannot reshape " << formatHeldDims(in) << " into "
                     << formatKerasShape(target)
                     << (batches == int64_t(hasBatch) ? ""
                         : hasBatch ? " (the shape fixes the dynamic batch "
                                      "size)"
                                    : " (the shape has the dynamic batch size, "
                                      "the input does not)");
    return failure();
  }
  return out;
}

/// Reshape of a tensor with a dynamic batch, in the held form.
static FailureOr<NodeOutputs> reshapeBatched(NodeBuilder &node) {
  FailureOr<HeldValue> held = node.heldInput(0);
  FailureOr<ShapeOperand> target = shapeOperand(node);
  FailureOr<int64_t> allowZero = node.getInt("allowzero", 0);
  if (failed(held) || failed(target) || failed(allowZero))
    return failure();
  FailureOr<SmallVector<HeldDim>> dims =
      reshapeTarget(node, node.heldDims(*held), *target, *allowZero);
  if (failed(dims))
    return failure();
  FailureOr<OnnxValue> y = node.reshapeHeld(*held, *dims);
  if (failed(y))
    return failure();
  return NodeOutputs{std::move(*y)};
}

static FailureOr<NodeOutputs> importReshape(NodeBuilder &node) {
  if (node.isBatched(0))
    return reshapeBatched(node);
  FailureOr<Operand> x = dataOperand(node, 0, /*anyType=*/true);
  FailureOr<ShapeOperand> target = shapeOperand(node);
  FailureOr<int64_t> allowZero = node.getInt("allowzero", 0);
  if (failed(x) || failed(target) || failed(allowZero))
    return failure();
  SmallVector<HeldDim> in;
  for (int64_t d : x->shape)
    in.push_back(HeldDim{d, false});
  FailureOr<SmallVector<HeldDim>> dims =
      reshapeTarget(node, in, *target, *allowZero);
  if (failed(dims))
    return failure();
  SmallVector<int64_t> shape;
  for (HeldDim d : *dims)
    shape.push_back(d.factor);
  return reshapeOperand(node, *x, shape);
}

/// The output of a Flatten, Squeeze or Unsqueeze of a tensor with a
/// dynamic batch, whose file dimensions become `dims`: the held form
/// reshaped.
static FailureOr<NodeOutputs>
reshapeBatchedTo(NodeBuilder &node, const HeldValue &x,
                 function_ref<SmallVector<HeldDim>(ArrayRef<HeldDim>)> dims) {
  FailureOr<OnnxValue> y = node.reshapeHeld(x, dims(node.heldDims(x)));
  if (failed(y))
    return failure();
  return NodeOutputs{std::move(*y)};
}

// Flatten(axis = 1): (d0 * ... * d_{axis-1}, d_axis * ... ).
static FailureOr<NodeOutputs> importFlatten(NodeBuilder &node) {
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  FailureOr<int64_t> attr = node.getInt("axis", 1);
  if (failed(info) || failed(attr))
    return failure();
  int64_t rank = info->first.size();
  int64_t axis = *attr < 0 ? *attr + rank : *attr;
  if (axis < 0 || axis > rank) {
    node.emitError() << "axis " << *attr << " is out of range for rank "
                     << rank;
    return failure();
  }
  if (node.isBatched(0)) {
    FailureOr<HeldValue> x = node.heldInput(0);
    if (failed(x))
      return failure();
    return reshapeBatchedTo(node, *x, [&](ArrayRef<HeldDim> in) {
      SmallVector<HeldDim> out(2, HeldDim{1, false});
      for (auto [i, d] : llvm::enumerate(in)) {
        out[int64_t(i) >= axis].factor *= d.factor;
        out[int64_t(i) >= axis].batch |= d.batch;
      }
      return out;
    });
  }
  FailureOr<Operand> x = dataOperand(node, 0, /*anyType=*/true);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> in = x->shape;
  return reshapeOperand(node, *x,
                        {product(in.take_front(axis)),
                         product(in.drop_front(axis))});
}

/// The axes of Squeeze/Unsqueeze: an attribute before opset 13, an
/// operand since.
static FailureOr<std::optional<SmallVector<int64_t>>>
axesOf(NodeBuilder &node) {
  if (node.opset < 13)
    return node.getInts("axes");
  return node.knownInts(1, "the axes");
}

/// Squeeze without axes drops the dimensions of size 1, which a dynamic
/// one (the batch) may be at run time: refused, the axes must say.
static LogicalResult checkStaticForSqueeze(NodeBuilder &node,
                                           ArrayRef<int64_t> shape) {
  auto dynamic = llvm::find_if(shape, ShapedType::isDynamic);
  if (dynamic == shape.end())
    return success();
  node.emitError() << "squeezes without axes an input of shape "
                   << formatKerasShape(shape) << ", whose dimension "
                   << dynamic - shape.begin()
                   << " is only known at run time (it may be 1): give the "
                      "axes";
  return failure();
}

static FailureOr<NodeOutputs> importSqueeze(NodeBuilder &node) {
  if (node.heldTransposed(0)) {
    FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info =
        node.inputInfo(0);
    FailureOr<std::optional<SmallVector<int64_t>>> axes = axesOf(node);
    FailureOr<HeldValue> held = node.heldInput(0);
    if (failed(info) || failed(axes) || failed(held))
      return failure();
    ArrayRef<int64_t> shape = info->first;
    int64_t rank = shape.size();
    if (!*axes && failed(checkStaticForSqueeze(node, shape)))
      return failure();
    SmallVector<bool> drop(rank, false);
    for (int64_t t = 0; t < rank; ++t)
      drop[t] = !*axes && shape[t] == 1;
    for (int64_t a : *axes ? **axes : SmallVector<int64_t>{}) {
      FailureOr<int64_t> axis = normalizeAxis(node, a, rank);
      if (failed(axis))
        return failure();
      if (shape[*axis] != 1) {
        node.emitError() << "cannot squeeze axis " << a << " of size "
                         << (ShapedType::isDynamic(shape[*axis])
                                 ? std::string("None")
                                 : std::to_string(shape[*axis]));
        return failure();
      }
      drop[*axis] = true;
    }
    return reshapeBatchedTo(node, *held, [&](ArrayRef<HeldDim> in) {
      SmallVector<HeldDim> out;
      for (auto [t, d] : llvm::enumerate(in))
        if (!drop[t])
          out.push_back(d);
      return out;
    });
  }
  FailureOr<Operand> x = dataOperand(node, 0, /*anyType=*/true);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = axesOf(node);
  if (failed(x) || failed(axes))
    return failure();
  int64_t rank = x->shape.size();
  SmallVector<bool> drop(rank, false);
  if (*axes) {
    for (int64_t a : **axes) {
      FailureOr<int64_t> axis = normalizeAxis(node, a, rank);
      if (failed(axis))
        return failure();
      if (x->shape[*axis] != 1) {
        node.emitError() << "cannot squeeze axis " << a << " of size "
                         << x->shape[*axis];
        return failure();
      }
      drop[*axis] = true;
    }
  } else {
    if (failed(checkStaticForSqueeze(node, x->shape)))
      return failure();
    for (int64_t i = 0; i < rank; ++i)
      drop[i] = x->shape[i] == 1;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      shape.push_back(x->shape[i]);
  return reshapeOperand(node, *x, shape);
}

static FailureOr<NodeOutputs> importUnsqueeze(NodeBuilder &node) {
  bool held = node.heldTransposed(0);
  FailureOr<Operand> x =
      held ? Operand() : dataOperand(node, 0, /*anyType=*/true);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = axesOf(node);
  if (failed(x) || failed(info) || failed(axes))
    return failure();
  if (!*axes) {
    node.emitError() << "the axes are missing";
    return failure();
  }
  ArrayRef<int64_t> inShape = info->first;
  int64_t rank = inShape.size() + (*axes)->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : **axes) {
    FailureOr<int64_t> axis = normalizeAxis(node, a, rank);
    if (failed(axis))
      return failure();
    if (inserted[*axis]) {
      node.emitError() << "axis " << a << " is given twice";
      return failure();
    }
    inserted[*axis] = true;
  }
  // A size-1 dim before the dynamic batch moves it (an initial state
  // (1, batch, H) of a recurrent op): the tensor is held batch-first.
  if (held || (!x->known && !inShape.empty() &&
               ShapedType::isDynamic(inShape[0]) && inserted[0])) {
    FailureOr<HeldValue> value = node.heldInput(0);
    if (failed(value))
      return failure();
    return reshapeBatchedTo(node, *value, [&](ArrayRef<HeldDim> in) {
      SmallVector<HeldDim> out;
      int64_t next = 0;
      for (int64_t i = 0; i < rank; ++i)
        out.push_back(inserted[i] ? HeldDim{1, false} : in[next++]);
      return out;
    });
  }
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : inShape[next++]);
  return reshapeOperand(node, *x, shape);
}

//===----------------------------------------------------------------------===//
// Transpose, Concat, Split, Slice, Gather, Tile, Expand
//===----------------------------------------------------------------------===//

/// Row-major strides of `shape`.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Calls `fn(flat output index, input index)` for every element of a host
/// tensor of `outShape` whose input index `map` computes per dimension.
static void forEachIndex(ArrayRef<int64_t> outShape,
                         function_ref<void(ArrayRef<int64_t>)> fn) {
  int64_t n = product(outShape), rank = outShape.size();
  SmallVector<int64_t> index(rank, 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    fn(index);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
}

static FailureOr<NodeOutputs> importTranspose(NodeBuilder &node) {
  FailureOr<Operand> x = node.heldTransposed(0)
                             ? Operand()
                             : dataOperand(node, 0, /*anyType=*/true);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  FailureOr<std::optional<SmallVector<int64_t>>> permAttr =
      node.getInts("perm");
  if (failed(x) || failed(info) || failed(permAttr))
    return failure();
  x->shape = info->first;
  int64_t rank = x->shape.size();
  SmallVector<int64_t> perm;
  if (*permAttr)
    perm = **permAttr;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (int64_t(perm.size()) != rank ||
      llvm::any_of(llvm::enumerate(sorted),
                   [](auto e) { return int64_t(e.index()) != e.value(); })) {
    node.emitError() << "perm is not a permutation of the " << rank << " axes";
    return failure();
  }
  if (x->known) {
    HostTensor t;
    t.type = x->known->type;
    for (int64_t p : perm)
      t.shape.push_back(x->shape[p]);
    SmallVector<int64_t> in = stridesOf(x->shape);
    forEachIndex(t.shape, [&](ArrayRef<int64_t> index) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d)
        offset += index[d] * in[perm[d]];
      t.values.push_back(x->known->values[offset]);
    });
    return known(std::move(t));
  }
  // Composed with the layout the operand is held in: a transpose that
  // moves the dynamic batch (to a sequence-first tensor) is recorded, not
  // run, and one that moves it back cancels it.
  if (node.isBatched(0)) {
    FailureOr<HeldValue> held = node.heldInput(0);
    if (failed(held))
      return failure();
    return NodeOutputs{node.transposeHeld(*held, perm)};
  }
  return single(
      Value(TransposeOp::create(node.builder, node.loc, x->value, perm)));
}

/// Concat of tensors held batch-first in one layout (OnnxValue::layout)
/// along another axis than the batch's (PyTorch's stacked LSTM: the
/// layers' final states, (1, batch, H) each): the held values concatenated
/// along that axis's held dimension.
static FailureOr<NodeOutputs> concatHeldTensors(NodeBuilder &node,
                                                int64_t attr) {
  SmallVector<Value> values;
  SmallVector<int64_t> layout;
  for (int64_t i = 0; i < node.numInputs(); ++i) {
    FailureOr<std::pair<Value, SmallVector<int64_t>>> held =
        node.layoutInput(i);
    if (failed(held))
      return failure();
    if (i > 0 && held->second != layout) {
      node.emitError() << "concatenates tensors whose dynamic batch is in "
                          "different dimensions";
      return failure();
    }
    layout = held->second;
    values.push_back(held->first);
  }
  FailureOr<int64_t> axis = normalizeAxis(node, attr, layout.size());
  if (failed(axis))
    return failure();
  if (layout[0] == *axis) {
    node.emitError() << "cannot concatenate along the dynamic batch";
    return failure();
  }
  int64_t heldAxis = llvm::find(layout, *axis) - layout.begin();
  Value y = values.size() == 1 ? values.front()
                               : Value(ConcatOp::create(node.builder, node.loc,
                                                        values, heldAxis));
  return NodeOutputs{node.permuted(y, layout)};
}

// Concat(axis): known operands concatenate on the host when all are known.
static FailureOr<NodeOutputs> importConcat(NodeBuilder &node) {
  FailureOr<int64_t> attr = node.getInt("axis", 0);
  if (failed(attr))
    return failure();
  for (int64_t i = 0; i < node.numInputs(); ++i)
    if (node.heldTransposed(i))
      return concatHeldTensors(node, *attr);
  bool allKnown = node.numInputs() > 0;
  for (int64_t i = 0; i < node.numInputs(); ++i)
    allKnown &= node.known(i) != nullptr;
  if (allKnown) {
    const HostTensor *first = node.known(0);
    int64_t rank = first->shape.size();
    FailureOr<int64_t> axis = normalizeAxis(node, *attr, rank);
    if (failed(axis))
      return failure();
    HostTensor t;
    t.type = first->type;
    t.shape = first->shape;
    t.shape[*axis] = 0;
    for (int64_t i = 0; i < node.numInputs(); ++i) {
      const HostTensor *in = node.known(i);
      if (int64_t(in->shape.size()) != rank || in->type != t.type) {
        node.emitError() << "inputs differ in rank or type";
        return failure();
      }
      t.shape[*axis] += in->shape[*axis];
    }
    int64_t outer = product(ArrayRef<int64_t>(t.shape).take_front(*axis));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < node.numInputs(); ++i) {
        const HostTensor *in = node.known(i);
        int64_t chunk = product(ArrayRef<int64_t>(in->shape).drop_front(*axis));
        t.values.insert(t.values.end(), in->values.begin() + o * chunk,
                        in->values.begin() + (o + 1) * chunk);
      }
    return known(std::move(t));
  }
  // At run time, of any element type kiln computes with (PyTorch stacks
  // int64 index tuples for GatherND with a Concat).
  SmallVector<Value> inputs;
  for (int64_t i = 0; i < node.numInputs(); ++i) {
    FailureOr<Value> v = node.anyInput(i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
    Type first = node.typeOf(inputs[0]).getElementType();
    if (node.typeOf(*v).getElementType() != first) {
      node.emitError() << "inputs are " << typeName(onnxTypeOf(first))
                       << " and "
                       << typeName(
                              onnxTypeOf(node.typeOf(*v).getElementType()));
      return failure();
    }
  }
  int64_t rank = node.typeOf(inputs[0]).getRank();
  FailureOr<int64_t> axis = normalizeAxis(node, *attr, rank);
  if (failed(axis))
    return failure();
  if (inputs.size() == 1)
    return single(inputs[0]);
  return single(Value(ConcatOp::create(node.builder, node.loc, inputs, *axis)));
}

// Split(axis = 0, split): sizes from the attribute (< 13) or the operand
// (>= 13), else equal parts, one per output; from opset 18 (num_outputs,
// or neither) parts of ceil(D / n), the last one smaller.
/// Operand 0 of Slice and Split when it is held batch-first: `merged` when
/// its batch is merged with other dimensions (they read it along a
/// dimension of its own, sliceHeld), else `layout`, the held value with the
/// batch a dimension of its own and its layout (layoutInput); `shape` is
/// the file's.
struct HeldSource {
  std::optional<HeldValue> merged;
  std::optional<std::pair<Value, SmallVector<int64_t>>> layout;
  SmallVector<int64_t> shape;
};
static FailureOr<HeldSource> heldSource(NodeBuilder &node) {
  FailureOr<HeldValue> x = node.heldInput(0);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  if (failed(x) || failed(info))
    return failure();
  HeldSource source;
  source.shape = std::move(info->first);
  if (llvm::any_of(x->layout.groups, [](int64_t n) { return n > 1; })) {
    source.merged = std::move(*x);
    return source;
  }
  FailureOr<std::pair<Value, SmallVector<int64_t>>> layout =
      node.layoutInput(0);
  if (failed(layout))
    return failure();
  source.layout = std::move(*layout);
  return source;
}

/// Operand 0 split along the axis `attr` into parts of the sizes `sizesOf`
/// gives for that dimension (failure after an error). A tensor held
/// batch-first (its batch a dimension of its own: timm's attention unbinds
/// q, k and v from (3, batch, heads, tokens, dim)) is split as held, along
/// the held dimension of the file's axis.
static FailureOr<NodeOutputs>
splitInput(NodeBuilder &node, int64_t attr,
           function_ref<FailureOr<SmallVector<int64_t>>(int64_t)> sizesOf) {
  std::optional<std::pair<Value, SmallVector<int64_t>>> held;
  std::optional<HeldValue> merged;
  FailureOr<Value> x = Value();
  SmallVector<int64_t> shape;
  if (node.heldTransposed(0)) {
    FailureOr<HeldSource> source = heldSource(node);
    if (failed(source))
      return failure();
    merged = std::move(source->merged);
    held = std::move(source->layout);
    shape = std::move(source->shape);
  } else {
    x = node.input(0);
    if (failed(x))
      return failure();
    shape.assign(node.typeOf(*x).getShape().begin(),
                 node.typeOf(*x).getShape().end());
  }
  FailureOr<int64_t> axis = normalizeAxis(node, attr, shape.size());
  if (failed(axis))
    return failure();
  if (ShapedType::isDynamic(shape[*axis])) {
    node.emitError() << "cannot split the dynamic batch dimension";
    return failure();
  }
  FailureOr<SmallVector<int64_t>> split = sizesOf(shape[*axis]);
  if (failed(split))
    return failure();
  if (llvm::any_of(*split, [](int64_t s) { return s < 0; }) ||
      product(*split) < 0 ||
      std::accumulate(split->begin(), split->end(), int64_t(0)) !=
          shape[*axis]) {
    node.emitError() << "split sizes do not add up to dimension "
                     << shape[*axis] << " in " << split->size() << " parts";
    return failure();
  }
  NodeOutputs outputs;
  int64_t start = 0;
  for (int64_t size : *split) {
    if (merged) {
      SmallVector<int64_t> starts(shape.size(), 0), counts(shape);
      starts[*axis] = start;
      counts[*axis] = size;
      FailureOr<OnnxValue> part = node.sliceHeld(*merged, starts, counts);
      if (failed(part))
        return failure();
      outputs.push_back(std::move(*part));
    } else if (held) {
      int64_t heldAxis = llvm::find(held->second, *axis) - held->second.begin();
      outputs.push_back(node.permuted(
          node.sliceAxis(held->first, heldAxis, start, size), held->second));
    } else {
      outputs.push_back(
          OnnxValue::ofValue(node.sliceAxis(*x, *axis, start, size)));
    }
    start += size;
  }
  return outputs;
}

static FailureOr<NodeOutputs> importSplit(NodeBuilder &node) {
  FailureOr<int64_t> attr = node.getInt("axis", 0);
  FailureOr<std::optional<SmallVector<int64_t>>> sizes =
      node.opset < 13 ? node.getInts("split") : node.knownInts(1, "split");
  FailureOr<int64_t> numOutputs = node.getInt("num_outputs", 0);
  if (failed(attr) || failed(sizes) || failed(numOutputs))
    return failure();
  int64_t parts = node.node.output_size();
  if (node.attribute("num_outputs")) {
    if (*sizes) {
      node.emitError() << "takes the split sizes or num_outputs, not both";
      return failure();
    }
    if (*numOutputs != parts) {
      node.emitError() << "num_outputs is " << *numOutputs
                       << " but the node has " << parts << " outputs";
      return failure();
    }
  }
  return splitInput(
      node, *attr, [&](int64_t dim) -> FailureOr<SmallVector<int64_t>> {
        SmallVector<int64_t> split;
        if (*sizes) {
          split = **sizes;
        } else if (node.opset >= 18 && dim % parts) {
          // Parts of ceil(D / n), the last one what is left.
          int64_t chunk = (dim + parts - 1) / parts;
          split.assign(parts, chunk);
          split.back() = dim - chunk * (parts - 1);
          if (split.back() <= 0) {
            node.emitError() << "cannot split " << dim << " into " << parts
                             << " parts of " << chunk;
            return failure();
          }
        } else {
          if (dim % parts) {
            node.emitError() << "cannot split " << dim << " into " << parts
                             << " equal parts";
            return failure();
          }
          split.assign(parts, dim / parts);
        }
        if (int64_t(split.size()) != parts) {
          node.emitError() << "gives " << split.size() << " split sizes for "
                           << parts << " outputs";
          return failure();
        }
        return split;
      });
}

// SplitToSequence(input, split; axis, keepdims): the parts of Split as a
// sequence: split a list of sizes, a scalar (parts of that size, the last
// what is left) or absent (parts of 1, the axis dropped unless keepdims).
static FailureOr<NodeOutputs> importSplitToSequence(NodeBuilder &node) {
  FailureOr<int64_t> attr = node.getInt("axis", 0);
  FailureOr<int64_t> keepdims = node.getInt("keepdims", 1);
  FailureOr<std::optional<SmallVector<int64_t>>> sizes =
      node.knownInts(1, "split");
  if (failed(attr) || failed(keepdims) || failed(sizes))
    return failure();
  bool scalar = *sizes && node.known(1)->shape.empty();
  if (!*sizes && !*keepdims && node.heldTransposed(0)) {
    node.emitError() << "keepdims = 0 on a tensor that holds the batch in "
                        "another dimension is not supported";
    return failure();
  }
  FailureOr<NodeOutputs> parts = splitInput(
      node, *attr, [&](int64_t dim) -> FailureOr<SmallVector<int64_t>> {
        if (!*sizes)
          return SmallVector<int64_t>(dim, 1);
        if (!scalar)
          return **sizes;
        int64_t chunk = (**sizes)[0];
        if (chunk < 1) {
          node.emitError() << "split " << chunk << " is not positive";
          return failure();
        }
        SmallVector<int64_t> split(dim / chunk, chunk);
        if (dim % chunk)
          split.push_back(dim % chunk);
        return split;
      });
  if (failed(parts))
    return failure();
  if (!*sizes && !*keepdims)
    for (OnnxValue &part : *parts) {
      SmallVector<int64_t> shape(node.typeOf(part.value).getShape());
      int64_t rank = shape.size();
      shape.erase(shape.begin() + (*attr < 0 ? *attr + rank : *attr));
      part.value = node.reshape(part.value, shape);
    }
  OnnxValue sequence;
  sequence.sequence = std::make_shared<const std::vector<OnnxValue>>(
      parts->begin(), parts->end());
  return NodeOutputs{std::move(sequence)};
}

// SequenceAt(sequence, position): a known position, negative from the end.
static FailureOr<NodeOutputs> importSequenceAt(NodeBuilder &node) {
  FailureOr<ArrayRef<OnnxValue>> sequence = node.sequenceInput(0);
  FailureOr<std::optional<SmallVector<int64_t>>> position =
      node.knownInts(1, "the position");
  if (failed(sequence) || failed(position))
    return failure();
  int64_t size = sequence->size();
  if (!*position || (*position)->size() != 1 || (*position)->front() < -size ||
      (*position)->front() >= size) {
    node.emitError() << "the position must be one index into the sequence of "
                     << size;
    return failure();
  }
  int64_t at = (*position)->front();
  return NodeOutputs{(*sequence)[at < 0 ? at + size : at]};
}

/// x's elements at `ids` (of shape `idShape`, non-negative) along `axis`,
/// the indices' dimensions in the axis's place: the axis moved to the
/// front, `kiln.gather` of the rows of its (R, D) reshaping, moved back.
static Value gatherAlong(NodeBuilder &node, Value x, int64_t axis,
                         ArrayRef<int64_t> ids, ArrayRef<int64_t> idShape) {
  OpBuilder &b = node.builder;
  int64_t rank = node.typeOf(x).getRank();
  SmallVector<int64_t> perm{axis};
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  Value table = x;
  if (axis != 0)
    table = TransposeOp::create(b, node.loc, table, perm);
  // kiln.gather reads rows of a (R, D) table with indices of rank >= 1.
  ArrayRef<int64_t> tableShape = node.typeOf(table).getShape();
  SmallVector<int64_t> rest(tableShape.drop_front());
  table = node.reshape(table, {tableShape[0], product(rest)});
  SmallVector<int64_t> idDims(idShape);
  if (idDims.empty())
    idDims.push_back(1);
  auto idType = RankedTensorType::get(idDims, b.getI64Type());
  Value idValues =
      ConstantOp::create(b, node.loc, DenseElementsAttr::get(idType, ids));
  Value rows = GatherOp::create(b, node.loc, table, idValues);
  SmallVector<int64_t> rowsShape(idShape);
  rowsShape.append(rest.begin(), rest.end());
  rows = node.reshape(rows, rowsShape);
  if (axis == 0)
    return rows;
  // rows: (indices..., the other axes in order); put the indices back at
  // `axis`.
  int64_t idRank = idShape.size();
  SmallVector<int64_t> back;
  for (int64_t d = 0; d < axis; ++d)
    back.push_back(idRank + d);
  for (int64_t d = 0; d < idRank; ++d)
    back.push_back(d);
  for (int64_t d = axis; d < rank - 1; ++d)
    back.push_back(idRank + d);
  return TransposeOp::create(b, node.loc, rows, back);
}

// Slice: starts/ends/axes/steps from attributes (< 10) or operands (>= 10),
// clamped as NumPy does. Steps other than 1 (negative ones too) gather
// their elements.
static FailureOr<NodeOutputs> importSlice(NodeBuilder &node) {
  // A tensor held batch-first (OnnxValue::layout) is sliced as held.
  std::optional<std::pair<Value, SmallVector<int64_t>>> held;
  std::optional<HeldValue> merged;
  FailureOr<Operand> x = Operand();
  if (node.heldTransposed(0)) {
    FailureOr<HeldSource> source = heldSource(node);
    if (failed(source))
      return failure();
    merged = std::move(source->merged);
    held = std::move(source->layout);
    x->shape = std::move(source->shape);
  } else {
    x = dataOperand(node);
  }
  if (failed(x))
    return failure();
  std::optional<SmallVector<int64_t>> starts, ends, axes, steps;
  if (node.opset < 10) {
    auto s = node.getInts("starts"), e = node.getInts("ends"),
         a = node.getInts("axes");
    if (failed(s) || failed(e) || failed(a))
      return failure();
    starts = *s, ends = *e, axes = *a;
  } else {
    auto s = node.knownInts(1, "starts"), e = node.knownInts(2, "ends"),
         a = node.knownInts(3, "axes"), st = node.knownInts(4, "steps");
    if (failed(s) || failed(e) || failed(a) || failed(st))
      return failure();
    starts = *s, ends = *e, axes = *a, steps = *st;
  }
  if (!starts || !ends || starts->size() != ends->size()) {
    node.emitError() << "starts and ends must be given, of one length";
    return failure();
  }
  int64_t rank = x->shape.size(), n = starts->size();
  if (!axes) {
    axes.emplace();
    for (int64_t i = 0; i < n; ++i)
      axes->push_back(i);
  }
  if (!steps)
    steps = SmallVector<int64_t>(n, 1);
  if (int64_t(axes->size()) != n || int64_t(steps->size()) != n) {
    node.emitError() << "axes and steps must have the length of starts";
    return failure();
  }
  // Per axis: (start, count, step) after NumPy's clamping.
  SmallVector<int64_t> start(rank, 0), count(x->shape), step(rank, 1);
  for (int64_t i = 0; i < n; ++i) {
    FailureOr<int64_t> axis = normalizeAxis(node, (*axes)[i], rank);
    if (failed(axis))
      return failure();
    int64_t dim = x->shape[*axis], st = (*steps)[i];
    if (ShapedType::isDynamic(dim)) {
      // All of it (PyTorch's x[:, :1] through torch.export slices the
      // batch from 0 to INT64_MAX first) keeps it; any other part would
      // depend on the batch size.
      if (st == 1 && (*starts)[i] == 0 && (*ends)[i] >= INT32_MAX)
        continue;
      node.emitError() << "slices the dynamic batch dimension from "
                       << (*starts)[i] << " to " << (*ends)[i] << " (step "
                       << st
                       << "); kiln keeps all of it or a fixed batch "
                          "(--input-shape)";
      return failure();
    }
    if (st == 0) {
      node.emitError() << "a step is 0";
      return failure();
    }
    // ONNX's clamping: a negative index counts from the end, then starts
    // clamp to [0, dim] and ends to [0, dim] with a positive step; with a
    // negative one starts to [0, dim - 1] and ends to [-1, dim - 1] (-1:
    // through element 0).
    auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v = v < -dim ? -1 : v + dim;
      return std::clamp(v, lo, std::max(lo, hi));
    };
    int64_t b, e;
    if (st > 0) {
      b = clampIndex((*starts)[i], 0, dim);
      e = clampIndex((*ends)[i], 0, dim);
      count[*axis] = e > b ? (e - b + st - 1) / st : 0;
    } else {
      b = clampIndex((*starts)[i], 0, dim - 1);
      e = clampIndex((*ends)[i], -1, dim - 1);
      count[*axis] = b > e && dim > 0 ? (b - e - st - 1) / -st : 0;
    }
    start[*axis] = b;
    step[*axis] = st;
  }
  if (x->known) {
    HostTensor t;
    t.type = x->known->type;
    t.shape = count;
    SmallVector<int64_t> in = stridesOf(x->shape);
    forEachIndex(count, [&](ArrayRef<int64_t> index) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d)
        offset += (start[d] + index[d] * step[d]) * in[d];
      t.values.push_back(x->known->values[offset]);
    });
    return known(std::move(t));
  }
  // Known tensors may be empty (shape arithmetic); kiln tensors may not.
  if (llvm::any_of(count, [](int64_t c) { return c == 0; })) {
    node.emitError() << "the slice is empty; kiln has no empty tensors";
    return failure();
  }
  if (merged) {
    // The batch merged with other dimensions: contiguous slices along
    // dimensions of their own.
    for (int64_t d = 0; d < rank; ++d)
      if (step[d] != 1) {
        node.emitError() << "steps through dimension " << d
                         << " of a tensor whose batch is merged with other "
                            "dimensions (a fixed batch, --input-shape, "
                            "compiles such a model)";
        return failure();
      }
    FailureOr<OnnxValue> y = node.sliceHeld(*merged, start, count);
    if (failed(y))
      return failure();
    return NodeOutputs{std::move(*y)};
  }
  SmallVector<int64_t> layout;
  if (held) {
    // Per dim of the held value.
    auto asHeld = [&](SmallVector<int64_t> &v) {
      SmallVector<int64_t> out;
      for (int64_t t : held->second)
        out.push_back(v[t]);
      v = out;
    };
    asHeld(start), asHeld(count), asHeld(step);
    layout = held->second;
    x->value = held->first;
    x->shape.assign(node.typeOf(x->value).getShape().begin(),
                    node.typeOf(x->value).getShape().end());
  }
  Value y = x->value;
  OpBuilder &b = node.builder;
  for (int64_t d = 0; d < rank; ++d) {
    if (step[d] == 1) {
      y = node.sliceAxis(y, d, start[d], count[d]);
      continue;
    }
    if (ShapedType::isDynamic(x->shape[0])) {
      // Batched: every step-th element of a contiguous slice, as (count,
      // step) rows whose first column is kept. Where the last row would
      // run past the end (x[:, 1::2] of an even dimension: Swin's patch
      // merging), the rows before it so, and its one element concatenated.
      if (step[d] < 0) {
        node.emitError() << "a negative step on a batched tensor is not "
                            "supported";
        return failure();
      }
      int64_t rows =
          start[d] + count[d] * step[d] > x->shape[d] ? count[d] - 1 : count[d];
      Value last = rows < count[d]
                       ? node.sliceAxis(y, d, start[d] + rows * step[d], 1)
                       : Value();
      if (rows > 0) {
        Value picked = node.sliceAxis(y, d, start[d], rows * step[d]);
        SmallVector<int64_t> split(node.typeOf(picked).getShape());
        split[d] = rows;
        split.insert(split.begin() + d + 1, step[d]);
        picked = node.reshape(picked, split);
        picked = SliceOp::create(b, node.loc, picked, d + 1, 0, 1);
        split.erase(split.begin() + d + 1);
        picked = node.reshape(picked, split);
        y = last ? Value(ConcatOp::create(b, node.loc, ValueRange{picked, last},
                                          d))
                 : picked;
      } else {
        y = last;
      }
      continue;
    }
    // Every step-th element, either direction: a gather of them.
    SmallVector<int64_t> ids;
    for (int64_t i = 0; i < count[d]; ++i)
      ids.push_back(start[d] + i * step[d]);
    y = gatherAlong(node, y, d, ids, {count[d]});
  }
  return NodeOutputs{node.permuted(y, layout)};
}

/// Gather along axis 0 with ids computed at run time (an embedding lookup,
/// `nn.Embedding` exported): `kiln.gather` of the rows of the data as a (R,
/// D) table; ids out of [-R, R) are clamped, where ONNX leaves them
/// undefined.
static FailureOr<NodeOutputs> importGatherIds(NodeBuilder &node, Operand &x,
                                              int64_t axis) {
  FailureOr<Value> ids = node.idsInput(1);
  if (failed(ids))
    return failure();
  if (axis != 0 && axis != -int64_t(x.shape.size())) {
    node.emitError() << "ids computed at run time gather along axis 0 only";
    return failure();
  }
  Value table = x.value;
  if (x.known) {
    FailureOr<Value> materialized = node.input(0);
    if (failed(materialized))
      return failure();
    table = *materialized;
  }
  ArrayRef<int64_t> shape = node.typeOf(table).getShape();
  if (shape.empty() || llvm::any_of(shape, ShapedType::isDynamic)) {
    node.emitError() << "the table " << formatKerasShape(shape)
                     << " must have known dimensions";
    return failure();
  }
  SmallVector<int64_t> rest(shape.drop_front());
  table = node.reshape(table, {shape[0], product(rest)});
  Value rows = GatherOp::create(node.builder, node.loc, table, *ids);
  SmallVector<int64_t> outShape(node.typeOf(*ids).getShape());
  outShape.append(rest.begin(), rest.end());
  return single(node.reshape(rows, outShape));
}

// Gather(data, indices, axis = 0) with known indices: the axis moved to the
// front, `kiln.gather` of its rows, moved back.
/// The slices of `x` at `ids` along `axis`, in runs of consecutive indices,
/// concatenated.
static Value sliceRuns(NodeBuilder &node, Value x, int64_t axis,
                       ArrayRef<int64_t> ids) {
  SmallVector<Value> parts;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i + 1;
    while (j < ids.size() && ids[j] == ids[j - 1] + 1)
      ++j;
    parts.push_back(node.sliceAxis(x, axis, ids[i], j - i));
    i = j;
  }
  return parts.size() == 1 ? parts.front()
                           : Value(ConcatOp::create(node.builder, node.loc,
                                                    parts, axis));
}

/// A known index into a dimension of `dim`, counted from the end when
/// negative: its position, or an error outside [-dim, dim).
static FailureOr<int64_t> indexInto(NodeBuilder &node, int64_t id,
                                    int64_t dim) {
  if (id < -dim || id >= dim) {
    node.emitError() << "index " << id << " is out of range for dimension "
                     << dim;
    return failure();
  }
  return id < 0 ? id + dim : id;
}

/// Known Gather indices into a dimension of `dim`, negative ones counted
/// from the end; an error for one out of range.
static FailureOr<SmallVector<int64_t>>
gatherIds(NodeBuilder &node, const HostTensor &indices, int64_t dim) {
  SmallVector<int64_t> ids = indices.toInt64();
  for (int64_t &id : ids) {
    FailureOr<int64_t> at = indexInto(node, id, dim);
    if (failed(at))
      return failure();
    id = *at;
  }
  return ids;
}

/// Gather of known indices (a scalar or a list) along another axis than
/// the batch's of a tensor held batch-first (PyTorch's h[-1] of a stacked
/// LSTM's final states, (layers, batch, H)): slices of the held value;
/// a scalar index drops the dimension.
static FailureOr<NodeOutputs> gatherHeldTensor(NodeBuilder &node,
                                               int64_t attr) {
  FailureOr<std::pair<Value, SmallVector<int64_t>>> held = node.layoutInput(0);
  FailureOr<const HostTensor *> indices = node.requireKnown(1, "the indices");
  if (failed(held) || failed(indices))
    return failure();
  SmallVector<int64_t> layout = held->second;
  FailureOr<int64_t> axis = normalizeAxis(node, attr, layout.size());
  if (failed(axis))
    return failure();
  if (layout[0] == *axis || (*indices)->shape.size() > 1) {
    node.emitError() << "gathers from a tensor whose dynamic batch is "
                        "dimension "
                     << layout[0]
                     << "; kiln gathers a scalar or a list of indices along "
                        "another dimension of such a tensor";
    return failure();
  }
  int64_t heldAxis = llvm::find(layout, *axis) - layout.begin();
  int64_t dim = node.typeOf(held->first).getDimSize(heldAxis);
  FailureOr<SmallVector<int64_t>> ids = gatherIds(node, **indices, dim);
  if (failed(ids))
    return failure();
  Value y = sliceRuns(node, held->first, heldAxis, *ids);
  if ((*indices)->shape.empty()) {
    // The dimension goes: from the held value and from the layout.
    SmallVector<int64_t> shape(node.typeOf(y).getShape());
    shape.erase(shape.begin() + heldAxis);
    y = node.reshape(y, shape);
    layout.erase(layout.begin() + heldAxis);
    for (int64_t &d : layout)
      d -= d > *axis;
  }
  return NodeOutputs{node.permuted(y, layout)};
}

/// The flat index into `from` (right-aligned against `to`, its dimensions
/// of 1 broadcast) of the element at flat index `at` of `to`.
static int64_t broadcastFlatIndex(ArrayRef<int64_t> from, ArrayRef<int64_t> to,
                                  int64_t at) {
  int64_t index = 0, stride = 1;
  int64_t skip = to.size() - from.size();
  for (int64_t d = to.size() - 1; d >= 0; --d) {
    int64_t i = at % to[d];
    at /= to[d];
    if (d < skip)
      continue;
    int64_t size = from[d - skip];
    index += (size == 1 ? 0 : i) * stride;
    stride *= size;
  }
  return index;
}

/// An integer tensor whose first dimension is the batch that is row * scale
/// + offset, row the sample's number (kiln.batch_index) and offset known
/// per sample: `offset` in the tensor's shape but the batch.
struct RowAffine {
  int64_t scale = 0;
  SmallVector<int64_t> offset;
};

/// `v` as row * scale + offset, through kiln's integer Add and Mul of
/// constants (Mul by one value), reshapes and casts that keep the batch;
/// nullopt for anything else.
static std::optional<RowAffine> rowAffine(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() == 0 || !type.getElementType().isInteger() ||
      !ShapedType::isDynamic(type.getDimSize(0)) ||
      llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic))
    return std::nullopt;
  ArrayRef<int64_t> sample = type.getShape().drop_front();
  int64_t count = product(sample);
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (isa<BatchIndexOp>(op))
    return RowAffine{1, SmallVector<int64_t>(count, 0)};
  if (isa<ReshapeOp, CastOp>(op)) {
    std::optional<RowAffine> in = rowAffine(op->getOperand(0));
    if (!in || int64_t(in->offset.size()) != count)
      return std::nullopt;
    return in;
  }
  if (!isa<AddOp, MulOp>(op))
    return std::nullopt;
  Value rows = op->getOperand(0), other = op->getOperand(1);
  DenseIntElementsAttr constant;
  if (!matchPattern(other, m_Constant(&constant))) {
    std::swap(rows, other);
    if (!matchPattern(other, m_Constant(&constant)))
      return std::nullopt;
  }
  auto rowsType = cast<RankedTensorType>(rows.getType());
  auto constantType = cast<RankedTensorType>(other.getType());
  if (rowsType.getRank() != type.getRank() ||
      constantType.getRank() > type.getRank() ||
      (constantType.getRank() == type.getRank() &&
       constantType.getDimSize(0) != 1))
    return std::nullopt;
  std::optional<RowAffine> in = rowAffine(rows);
  if (!in)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &k : constant.getValues<APInt>())
    values.push_back(k.getSExtValue());
  ArrayRef<int64_t> constantShape = constantType.getShape();
  if (constantType.getRank() == type.getRank())
    constantShape = constantShape.drop_front();
  ArrayRef<int64_t> rowsShape = rowsType.getShape().drop_front();
  RowAffine out;
  out.scale = in->scale;
  if (isa<MulOp>(op)) {
    if (!llvm::all_equal(values))
      return std::nullopt;
    out.scale *= values.front();
  }
  for (int64_t i = 0; i < count; ++i) {
    int64_t a = in->offset[broadcastFlatIndex(rowsShape, sample, i)];
    int64_t k = values[broadcastFlatIndex(constantShape, sample, i)];
    out.offset.push_back(isa<MulOp>(op) ? a * k : a + k);
  }
  return out;
}

/// Gather along axis 0 of a flattened batch ((N * S,), held with the batch
/// outermost) at indices computed at run time as row * S + offset, each
/// offset in [0, S): every sample's own elements at the offsets, known.
/// PyTorch's current exporter writes aten.as_strided so (AdaptiveAvgPool2d
/// to (1, 1) reads its (N, C, 1, 1) result back through it).
static FailureOr<NodeOutputs> gatherFlattenedRows(NodeBuilder &node,
                                                  int64_t axis) {
  FailureOr<HeldValue> x = node.heldInput(0);
  FailureOr<Value> ids = node.idsInput(1);
  if (failed(x) || failed(ids))
    return failure();
  SmallVector<HeldDim> dims = node.heldDims(*x);
  std::optional<RowAffine> affine = rowAffine(*ids);
  int64_t size = dims[0].factor;
  if (dims.size() != 1 || (axis != 0 && axis != -1) ||
      x->layout.group(0).front() != 0 || !affine || affine->scale != size ||
      llvm::any_of(affine->offset,
                   [&](int64_t o) { return o < 0 || o >= size; })) {
    node.emitError() << "gathers from " << formatHeldDims(dims)
                     << " (held batch-first) at indices computed at run "
                        "time: supported where the data flattens the batch "
                        "(N * S,) and each index is its row's number times "
                        "S plus a known offset below S";
    return failure();
  }
  // (N, S) in the file's order, the batch outermost.
  FailureOr<HeldValue> rows = node.heldAxesLast(*x, {});
  if (failed(rows))
    return failure();
  Value table = node.reshape(rows->value, {ShapedType::kDynamic, size});
  SmallVector<int64_t> outShape(node.typeOf(*ids).getShape());
  return single(
      node.reshape(sliceRuns(node, table, 1, affine->offset), outShape));
}

static FailureOr<NodeOutputs> importGather(NodeBuilder &node) {
  if (node.heldTransposed(0)) {
    FailureOr<int64_t> attr = node.getInt("axis", 0);
    if (failed(attr))
      return failure();
    if (!node.known(1))
      return gatherFlattenedRows(node, *attr);
    return gatherHeldTensor(node, *attr);
  }
  FailureOr<Operand> x = dataOperand(node);
  FailureOr<int64_t> attr = node.getInt("axis", 0);
  if (failed(x) || failed(attr))
    return failure();
  if (!node.known(1))
    return importGatherIds(node, *x, *attr);
  FailureOr<const HostTensor *> indices = node.requireKnown(1, "the indices");
  if (failed(indices))
    return failure();
  int64_t rank = x->shape.size();
  FailureOr<int64_t> axis = normalizeAxis(node, *attr, rank);
  if (failed(axis))
    return failure();
  int64_t dim = x->shape[*axis];
  if (ShapedType::isDynamic(dim)) {
    node.emitError() << "cannot gather along the dynamic batch dimension";
    return failure();
  }
  FailureOr<SmallVector<int64_t>> ids = gatherIds(node, **indices, dim);
  if (failed(ids))
    return failure();
  ArrayRef<int64_t> idShape = (*indices)->shape;
  SmallVector<int64_t> outShape(ArrayRef<int64_t>(x->shape).take_front(*axis));
  outShape.append(idShape.begin(), idShape.end());
  outShape.append(x->shape.begin() + *axis + 1, x->shape.end());
  if (x->known) {
    HostTensor t;
    t.type = x->known->type;
    t.shape = outShape;
    int64_t outer = product(ArrayRef<int64_t>(x->shape).take_front(*axis));
    int64_t inner = product(ArrayRef<int64_t>(x->shape).drop_front(*axis + 1));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t id : *ids) {
        auto begin = x->known->values.begin() + (o * dim + id) * inner;
        t.values.insert(t.values.end(), begin, begin + inner);
      }
    return known(std::move(t));
  }
  if (*axis != 0 && ShapedType::isDynamic(x->shape[0])) {
    // Along another axis of a batched tensor (PyTorch's y[:, -1]): the
    // slices of runs of consecutive indices, concatenated, the axis then
    // reshaped to the indices' shape.
    if (!node.typeOf(x->value).getElementType().isF32() ||
        ids->size() > 4096) {
      node.emitError() << "gathers along axis " << *axis
                       << " of a batched tensor: supported for float32 data "
                          "and at most 4096 indices";
      return failure();
    }
    Value y = sliceRuns(node, x->value, *axis, *ids);
    return single(node.reshape(y, outShape));
  }
  return single(gatherAlong(node, x->value, *axis, *ids, idShape));
}

// Expand(x, shape): x broadcast (bidirectionally) with `shape`, as x times
// ones of the broadcast shape.
/// `x` broadcast against `frame`, a float32 tensor of zeros of the
/// result's shape: their sum for a float32 `x`; for an integer or bool one
/// (an attention mask), Where(frame != 0, x, x), exact in its own type.
static Value broadcastAgainst(NodeBuilder &node, Value x, Value frame) {
  OpBuilder &b = node.builder;
  if (node.typeOf(x).getElementType().isF32())
    return AddOp::create(b, node.loc, frame, x);
  Value never = CastOp::create(
      b, node.loc, node.typeOf(frame).clone(b.getI1Type()), frame);
  return SelectOp::create(b, node.loc, never, x, x);
}

/// `x` broadcast to `out`, a shape that holds the dynamic batch size (an
/// exporter's zero initial state of shape (batch, H), or PyTorch's (D,
/// batch, H) for a recurrent op; `pos.repeat(B, 1, 1)`): x added to zeros
/// of that shape, held batch-first when the batch is not the first
/// dimension (as ConstantOfShape's).
static FailureOr<NodeOutputs> expandToBatch(NodeBuilder &node, Value x,
                                            ArrayRef<int64_t> out) {
  Value reference = node.batchReference();
  ArrayRef<int64_t> xShape = node.typeOf(x).getShape();
  int64_t rank = out.size();
  int64_t b = llvm::find(out, ShapedType::kDynamic) - out.begin();
  int64_t xAxis = b - (rank - int64_t(xShape.size()));
  if (!reference || llvm::count(out, ShapedType::kDynamic) != 1 ||
      (b != 0 && xAxis >= 0 && xShape[xAxis] != 1)) {
    node.emitError() << "the shape " << formatKerasShape(out)
                     << " is supported with the dynamic batch once, "
                        "expanded from 1";
    return failure();
  }
  SmallVector<int64_t> layout = batchPulledLayout(rank, b);
  SmallVector<int64_t> held, xHeld;
  SmallVector<int64_t> xFull(rank - xShape.size(), 1);
  xFull.append(xShape.begin(), xShape.end());
  for (int64_t d : layout) {
    held.push_back(out[d]);
    xHeld.push_back(xFull[d]);
  }
  OpBuilder &builder = node.builder;
  auto type = RankedTensorType::get(held, builder.getF32Type());
  Value zeros = ZerosOp::create(builder, node.loc, type, reference);
  if (b == 0)
    return single(broadcastAgainst(node, x, zeros));
  // x is 1 along the batch: moving that dimension first is a reshape.
  Value xMoved =
      ReshapeOp::create(builder, node.loc, node.typeOf(x).clone(xHeld), x);
  return NodeOutputs{
      node.permuted(broadcastAgainst(node, xMoved, zeros), layout)};
}

/// Expand of a tensor held batch-first (its batch merged with other
/// dimensions, or not first: timm's SwinV2 normalizes q with F.normalize,
/// an Expand of its norm to Shape(q), (windows * N, heads, tokens, dim)):
/// the held value broadcast along the file dimensions of size 1 that the
/// shape makes larger. The shape must have the input's rank and keep every
/// other dimension, the batch's too.
static FailureOr<NodeOutputs> expandHeld(NodeBuilder &node) {
  FailureOr<HeldValue> x = node.heldInput(0);
  FailureOr<ShapeOperand> shape = shapeOperand(node);
  if (failed(x) || failed(shape))
    return failure();
  SmallVector<HeldDim> dims = node.heldDims(*x), target;
  for (auto [v, k] : llvm::zip(shape->values, shape->batchFactors))
    target.push_back(k ? HeldDim{k, true} : HeldDim{v, false});
  auto refuse = [&] {
    node.emitError() << "expands " << formatHeldDims(dims)
                     << " (held batch-first) to " << formatHeldDims(target)
                     << ": supported where the shape has the input's rank, "
                        "keeps the batch's dimension and makes only "
                        "dimensions of 1 larger (a fixed batch, "
                        "--input-shape, compiles such a model)";
    return failure();
  };
  if (target.size() != dims.size())
    return refuse();
  SmallVector<int64_t> heldShape(node.typeOf(x->value).getShape());
  SmallVector<int64_t> grown(heldShape.size(), 1);
  SmallVector<SmallVector<int64_t>> groups;
  bool grows = false;
  for (auto [j, t] : llvm::enumerate(target)) {
    ArrayRef<int64_t> group = x->layout.group(j);
    groups.emplace_back(group.begin(), group.end());
    // 1 keeps the input's dimension (a bidirectional broadcast).
    if ((!t.batch && t.factor == 1) ||
        (t.batch == dims[j].batch && t.factor == dims[j].factor))
      continue;
    if (t.batch || dims[j].batch || dims[j].factor != 1 || t.factor < 1)
      return refuse();
    // A dimension of 1 grows: its held dimension (every atom of it is 1),
    // or one appended for it.
    if (groups.back().empty()) {
      groups.back().push_back(heldShape.size());
      heldShape.push_back(1);
      grown.push_back(t.factor);
    } else {
      grown[groups.back().front()] = t.factor;
    }
    grows = true;
  }
  if (!grows)
    return NodeOutputs{node.fromHeld(x->value, x->layout)};
  HeldLayout layout;
  for (ArrayRef<int64_t> group : groups) {
    layout.atoms.append(group.begin(), group.end());
    layout.groups.push_back(group.size());
  }
  Value in = node.reshape(x->value, heldShape);
  Value y;
  if (node.typeOf(in).getElementType().isF32()) {
    std::vector<float> ones(product(grown), 1.0f);
    y = MulOp::create(node.builder, node.loc, in, node.constant(grown, ones));
  } else {
    std::vector<float> zeros(product(grown), 0.0f);
    y = broadcastAgainst(node, in, node.constant(grown, zeros));
  }
  return NodeOutputs{node.fromHeld(y, std::move(layout))};
}

/// The k > 1 of the dynamic batch that a known shape merges with other
/// dimensions (timm's Sequencer gives its LSTMs' zero states (D, N * H,
/// hidden)), 1 where it holds no such multiple; 0 after an error for two.
static int64_t batchMultipleIn(NodeBuilder &node, const HostTensor *shape) {
  int64_t multiple = 1;
  if (shape)
    for (double v : shape->values)
      if (batchMultiple(v) > 1) {
        if (multiple > 1) {
          node.emitError() << "the shape merges the dynamic batch with other "
                              "dimensions twice";
          return 0;
        }
        multiple = batchMultiple(v);
      }
  return multiple;
}

/// A tensor of `shape` filled with `value` (one float32), the shape holding
/// the dynamic batch (as kDynamic) once, `multiple` times it there: an
/// exporter's zero initial state of a recurrent op, (D, batch, H), (D, batch *
/// H, H) when the batch is merged with other rows. Zeros held batch-first, the
/// batch followed by the dimension merged with it.
static FailureOr<NodeOutputs> fillWithBatch(NodeBuilder &node,
                                            ArrayRef<int64_t> shape,
                                            int64_t multiple,
                                            const HostTensor &value) {
  Value reference = node.batchReference();
  if (!reference || llvm::count(shape, ShapedType::kDynamic) != 1 ||
      value.type != OnnxType::Float || value.values.size() != 1) {
    node.emitError() << "a tensor of the dynamic batch size is supported "
                        "as one float32 value filling a shape with the "
                        "batch once";
    return failure();
  }
  int64_t b = llvm::find(shape, ShapedType::kDynamic) - shape.begin();
  SmallVector<int64_t> heldShape = {ShapedType::kDynamic};
  if (multiple > 1)
    heldShape.push_back(multiple);
  for (auto [i, d] : llvm::enumerate(shape))
    if (int64_t(i) != b)
      heldShape.push_back(d);
  OpBuilder &builder = node.builder;
  Value y = ZerosOp::create(
      builder, node.loc, RankedTensorType::get(heldShape, builder.getF32Type()),
      reference);
  if (double fill = value.values[0])
    y = AddOp::create(builder, node.loc, y, node.scalar(fill));
  // File dimension b holds the batch (and the multiple); the others follow
  // in order.
  HeldLayout layout;
  int64_t next = multiple > 1 ? 2 : 1;
  for (int64_t i = 0; i < int64_t(shape.size()); ++i) {
    if (i == b) {
      layout.atoms.push_back(0);
      if (multiple > 1)
        layout.atoms.push_back(1);
      layout.groups.push_back(multiple > 1 ? 2 : 1);
      continue;
    }
    layout.atoms.push_back(next++);
    layout.groups.push_back(1);
  }
  return NodeOutputs{node.fromHeld(y, std::move(layout))};
}

/// Operand `i`, a known shape that may hold the dynamic batch or a multiple
/// of it (both read as kDynamic); `multiple` receives the multiple.
static FailureOr<std::optional<SmallVector<int64_t>>>
shapeWithBatch(NodeBuilder &node, int64_t i, int64_t &multiple) {
  multiple = batchMultipleIn(node, node.known(i));
  if (!multiple)
    return failure();
  if (multiple > 1)
    return std::optional<SmallVector<int64_t>>(node.known(i)->toInt64());
  return node.knownInts(i, "the shape", /*allowBatch=*/true);
}

static FailureOr<NodeOutputs> importExpand(NodeBuilder &node) {
  if (node.heldTransposed(0))
    return expandHeld(node);
  int64_t multiple;
  FailureOr<std::optional<SmallVector<int64_t>>> shape =
      shapeWithBatch(node, 1, multiple);
  if (failed(shape))
    return failure();
  if (!*shape) {
    node.emitError() << "the shape (input 1) is missing";
    return failure();
  }
  if (multiple > 1) {
    // One known float merged with the batch's rows: torch.export's zeros
    // of Sequencer's LSTM states, (D, N * H, hidden), as ConstantOfShape.
    const HostTensor *fill = node.known(0);
    if (!fill || fill->type != OnnxType::Float || fill->values.size() != 1) {
      node.emitError() << "expands to a shape that merges the dynamic batch "
                          "with other dimensions: supported for one known "
                          "float32 value";
      return failure();
    }
    return fillWithBatch(node, **shape, multiple, *fill);
  }
  // Known data to a known shape folds: integers must (kiln computes them
  // at run time only where an op reads them so: BEiT's relative position
  // indices Expand a Range), small float tensors may.
  const HostTensor *known = node.known(0);
  if (known && !known->hasDynamicBatch() &&
      !llvm::is_contained(**shape, ShapedType::kDynamic) &&
      (known->type != OnnxType::Float || product(**shape) <= 4096)) {
    HostTensor target;
    target.type = known->type;
    target.shape = **shape;
    target.values.assign(product(**shape), 0.0);
    FailureOr<HostTensor> folded = foldBroadcast(
        node, *known, target, known->type, [](double x, double) { return x; });
    if (failed(folded))
      return failure();
    return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
  }
  FailureOr<Value> x = node.anyInput(0);
  if (failed(x))
    return failure();
  std::string reason;
  FailureOr<SmallVector<int64_t>> out =
      broadcastShapes(node.typeOf(*x).getShape(), **shape, reason);
  if (failed(out)) {
    node.emitError() << reason;
    return failure();
  }
  if (ArrayRef<int64_t>(*out) == node.typeOf(*x).getShape())
    return single(*x);
  if (llvm::is_contained(**shape, ShapedType::kDynamic))
    return expandToBatch(node, *x, *out);
  SmallVector<int64_t> onesShape(**shape);
  for (int64_t &d : onesShape)
    d = std::max<int64_t>(d, 1);
  if (!node.typeOf(*x).getElementType().isF32()) {
    std::vector<float> zeros(product(onesShape), 0.0f);
    return single(broadcastAgainst(node, *x, node.constant(onesShape, zeros)));
  }
  std::vector<float> ones(product(onesShape), 1.0f);
  return single(Value(MulOp::create(node.builder, node.loc, *x,
                                    node.constant(onesShape, ones))));
}

// Tile(x, repeats): concatenated copies along each axis. A repeat that is
// the dynamic batch size, of a dimension of 1 in a tensor without the
// batch (timm's XCiT: `pos.repeat(B, 1, 1, 1)`), is a broadcast along it.
static FailureOr<NodeOutputs> importTile(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<std::optional<SmallVector<int64_t>>> repeats =
      node.knownInts(1, "the repeats", /*allowBatch=*/true);
  if (failed(x) || failed(repeats))
    return failure();
  int64_t rank = node.typeOf(*x).getRank();
  if (!*repeats || int64_t((*repeats)->size()) != rank ||
      llvm::any_of(**repeats, [](int64_t r) {
        return r != ShapedType::kDynamic && (r < 1 || r > 4096);
      })) {
    node.emitError() << "repeats must be " << rank << " positive counts";
    return failure();
  }
  Value y = *x;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t r = (**repeats)[d];
    if (r == 1 || r == ShapedType::kDynamic)
      continue;
    if (ShapedType::isDynamic(node.typeOf(y).getShape()[d])) {
      node.emitError() << "cannot tile the dynamic batch dimension";
      return failure();
    }
    SmallVector<Value> copies(r, y);
    y = ConcatOp::create(node.builder, node.loc, copies, d);
  }
  if (!llvm::is_contained(**repeats, ShapedType::kDynamic))
    return single(y);
  ArrayRef<int64_t> shape = node.typeOf(y).getShape();
  int64_t b = llvm::find(**repeats, ShapedType::kDynamic) - (*repeats)->begin();
  if (llvm::count(**repeats, ShapedType::kDynamic) != 1 || shape[b] != 1 ||
      llvm::is_contained(shape, ShapedType::kDynamic)) {
    node.emitError() << "repeats the dynamic batch size along axis " << b
                     << " of a tensor of shape " << formatKerasShape(shape)
                     << ": supported once, along a dimension of 1 of a tensor "
                        "without the batch";
    return failure();
  }
  SmallVector<int64_t> out(shape);
  out[b] = ShapedType::kDynamic;
  return expandToBatch(node, y, out);
}

//===----------------------------------------------------------------------===//
// Cast, Constant, ConstantOfShape, Shape, Dropout
//===----------------------------------------------------------------------===//

/// The integer `v` narrowed to `bits` bits by two's-complement wrapping,
/// as the run-time cast narrows integers.
static double wrapInteger(double v, unsigned bits, bool isSigned) {
  // A uint64 above INT64_MAX.
  if (v >= 0x1p63) {
    if (bits == 64 && !isSigned)
      return v;
    v -= 0x1p64;
  }
  auto u = static_cast<uint64_t>(static_cast<int64_t>(v));
  if (bits < 64)
    u &= (uint64_t(1) << bits) - 1;
  if (!isSigned)
    return static_cast<double>(u);
  if (bits < 64 && (u >> (bits - 1)) & 1)
    u -= uint64_t(1) << bits;
  return static_cast<double>(static_cast<int64_t>(u));
}

/// A known value of type `from` cast to the integer type `to`, as kiln's
/// run-time cast and ONNX Runtime compute it: integers wrap; floats
/// truncate toward zero (NaN is 0) and, out of range, int32 and int64
/// saturate as kiln.cast does, while the types kiln only folds (8/16-bit,
/// unsigned) wrap through int64 as ONNX Runtime gives on x86-64 ([-1, 300]
/// to uint8: [255, 44]).
static double castToInteger(double v, OnnxType from, OnnxType to) {
  auto [bits, isSigned] = integerWidth(to);
  if (batchMultiple(v))
    return v;
  if (!isIntegral(from)) {
    if (std::isnan(v))
      return 0;
    v = std::trunc(v);
    if (to == OnnxType::Int32)
      return std::clamp(v, -0x1p31, 0x1p31 - 1);
    if (to == OnnxType::Int64) // 2^63 reads as INT64_MAX (HostTensor)
      return std::clamp(v, -0x1p63, 0x1p63);
    // The largest double below 2^63 is 2^63 - 1024.
    v = std::clamp(v, -0x1p63, 0x1p63 - 1024);
  } else if (from == OnnxType::Int64 && v >= 0x1p63) {
    // INT64_MAX, which a double holds as 2^63 (HostTensor): it stays so in
    // 64 bits (torch.export's Cast of the slice end INT64_MAX to int64),
    // and its low bits are all ones.
    if (bits == 64)
      return v;
    return isSigned ? -1.0 : std::ldexp(1.0, bits) - 1;
  }
  return wrapInteger(v, bits, isSigned);
}

/// Operand 0 cast to `type` (Cast's `to`, CastLike's operand 1's type).
static FailureOr<NodeOutputs> castTo(NodeBuilder &node, OnnxType type) {
  // A weight cast to another type than float carries no gradient: it folds
  // (tf2onnx's float constants are initializers, trained unless frozen).
  const HostTensor *t =
      type == OnnxType::Float ? node.known(0) : node.knownEvenTrained(0);
  if (t) {
    HostTensor out = *t;
    out.type = type;
    for (double &v : out.values) {
      if (type == OnnxType::Float)
        v = static_cast<float>(v);
      else if (type == OnnxType::Bool)
        v = v != 0;
      else if (integerWidth(type).first)
        v = castToInteger(v, t->type, type);
      else if (type != OnnxType::Double) {
        node.emitError() << "cannot cast to " << typeName(type);
        return failure();
      }
    }
    return known(std::move(out));
  }
  FailureOr<Value> x = node.anyInput(0);
  if (failed(x))
    return failure();
  Type target = elementTypeOf(node.builder.getContext(), type);
  if (!target) {
    node.emitError() << "casts a tensor computed at run time to "
                     << typeName(type)
                     << "; kiln computes with float32, int32, int64 and bool";
    return failure();
  }
  auto from = node.typeOf(*x);
  if (from.getElementType() == target)
    return single(*x);
  return single(
      Value(CastOp::create(node.builder, node.loc, from.clone(target), *x)));
}

static FailureOr<NodeOutputs> importCast(NodeBuilder &node) {
  FailureOr<int64_t> to = node.getInt("to", 0);
  if (failed(to))
    return failure();
  return castTo(node, static_cast<OnnxType>(*to));
}

// CastLike(input, target_type): Cast to the element type of
// target_type, whose values are not read.
static FailureOr<NodeOutputs> importCastLike(NodeBuilder &node) {
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> like =
      node.inputInfo(1);
  if (failed(like))
    return failure();
  return castTo(node, like->second);
}

static FailureOr<NodeOutputs> importConstant(NodeBuilder &node) {
  if (node.node.attribute_size() != 1) {
    node.emitError() << "needs exactly one value attribute";
    return failure();
  }
  const onnx::AttributeProto &attr = node.node.attribute(0);
  HostTensor t;
  if (attr.name() == "value") {
    FailureOr<HostTensor> read =
        readTensorProto(attr.t(), "", node.loc, "constant");
    if (failed(read))
      return failure();
    t = std::move(*read);
  } else if (attr.name() == "value_float") {
    t.values.push_back(attr.f());
  } else if (attr.name() == "value_floats") {
    t.shape.push_back(attr.floats_size());
    t.values.assign(attr.floats().begin(), attr.floats().end());
  } else if (attr.name() == "value_int") {
    t.type = OnnxType::Int64;
    t.values.push_back(double(attr.i()));
  } else if (attr.name() == "value_ints") {
    t.type = OnnxType::Int64;
    t.shape.push_back(attr.ints_size());
    for (int64_t v : attr.ints())
      t.values.push_back(double(v));
  } else {
    node.emitError() << "attribute '" << attr.name() << "' is not supported";
    return failure();
  }
  return known(std::move(t));
}

static FailureOr<NodeOutputs> importConstantOfShape(NodeBuilder &node) {
  int64_t multiple;
  FailureOr<std::optional<SmallVector<int64_t>>> shape =
      shapeWithBatch(node, 0, multiple);
  if (failed(shape))
    return failure();
  HostTensor t;
  t.shape = shape->value_or(SmallVector<int64_t>());
  if (llvm::is_contained(t.shape, ShapedType::kDynamic)) {
    const onnx::AttributeProto *attr = node.attribute("value");
    FailureOr<HostTensor> value =
        attr ? readTensorProto(attr->t(), "", node.loc, "value")
             : FailureOr<HostTensor>(HostTensor{OnnxType::Float, {}, {0.0}});
    if (failed(value))
      return failure();
    return fillWithBatch(node, t.shape, multiple, *value);
  }
  if (llvm::any_of(t.shape, [](int64_t d) { return d < 0; }) ||
      product(t.shape) > (int64_t(1) << 28)) {
    node.emitError() << "shape " << formatKerasShape(t.shape)
                     << " is negative or too large";
    return failure();
  }
  double fill = 0;
  if (const onnx::AttributeProto *attr = node.attribute("value")) {
    FailureOr<HostTensor> value =
        readTensorProto(attr->t(), "", node.loc, "value");
    if (failed(value))
      return failure();
    if (value->values.size() != 1) {
      node.emitError() << "value must hold one element";
      return failure();
    }
    t.type = value->type;
    fill = value->values[0];
  }
  t.values.assign(t.numElements(), fill);
  return known(std::move(t));
}

// Shape(x, start, end): the dimensions, the dynamic batch size as
// kDynamicBatchValue.
static FailureOr<NodeOutputs> importShape(NodeBuilder &node) {
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  FailureOr<int64_t> startAttr = node.getInt("start", 0);
  FailureOr<int64_t> endAttr = node.getInt("end", INT64_MAX);
  if (failed(info) || failed(startAttr) || failed(endAttr))
    return failure();
  int64_t rank = info->first.size();
  auto clampAxis = [&](int64_t a) {
    return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
  };
  int64_t start = clampAxis(*startAttr), end = clampAxis(*endAttr);
  // A dimension of a held tensor that merges the batch with others is a
  // multiple of it.
  SmallVector<HeldDim> dims;
  if (node.heldTransposed(0)) {
    FailureOr<HeldValue> held = node.heldInput(0);
    if (failed(held))
      return failure();
    dims = node.heldDims(*held);
    for (int64_t d = start; d < end; ++d)
      if (dims[d].batch && dims[d].factor > kMaxBatchMultiple) {
        node.emitError() << "dimension " << d
                         << " merges the dynamic batch with dimensions of "
                         << dims[d].factor
                         << " elements; kiln's shape arithmetic holds at "
                            "most "
                         << kMaxBatchMultiple << " times the batch size";
        return failure();
      }
  } else {
    for (int64_t d : info->first)
      dims.push_back(ShapedType::isDynamic(d) ? HeldDim{1, true}
                                              : HeldDim{d, false});
  }
  HostTensor t;
  t.type = OnnxType::Int64;
  for (int64_t d = start; d < end; ++d)
    t.values.push_back(dims[d].batch ? kDynamicBatchValue * dims[d].factor
                                     : double(dims[d].factor));
  t.shape.push_back(t.values.size());
  return known(std::move(t));
}

// Dropout: the identity in inference; Keras-style inverted dropout at
// `ratio` when the model is trained. The mask output is not supported.
static FailureOr<NodeOutputs> importDropout(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  double ratio = 0.5;
  if (node.opset < 12) {
    FailureOr<float> attr = node.getFloat("ratio", 0.5f);
    if (failed(attr))
      return failure();
    ratio = *attr;
  } else {
    if (node.hasInput(1)) {
      FailureOr<const HostTensor *> r = node.requireKnown(1, "the ratio");
      if (failed(r))
        return failure();
      ratio = (*r)->values.empty() ? 0.5 : (*r)->values[0];
    }
    if (node.hasInput(2)) {
      FailureOr<const HostTensor *> mode =
          node.requireKnown(2, "training_mode");
      if (failed(mode))
        return failure();
      // Training mode drops at random; at ratio 0 it is the identity too.
      bool zeroRatio = ratio == 0;
      if (!(*mode)->values.empty() && (*mode)->values[0] && !zeroRatio) {
        node.emitError() << "training_mode true is not supported (kiln "
                            "drops in its own train step)";
        return failure();
      }
    }
  }
  if (ratio < 0 || ratio >= 1) {
    node.emitError() << "ratio " << ratio << " is not in [0, 1)";
    return failure();
  }
  NodeOutputs outputs{OnnxValue::ofValue(
      ratio == 0 ? *x
                 : Value(DropoutOp::create(node.builder, node.loc, *x,
                                           node.builder.getF64FloatAttr(ratio),
                                           nullptr)))};
  if (node.node.output_size() > 1 && !node.node.output(1).empty()) {
    // The mask of kept elements: all of them, in inference.
    if (node.opset < 10) {
      node.emitError() << "the mask output before opset 10 (of the data's "
                          "type) is not supported";
      return failure();
    }
    RankedTensorType type = node.typeOf(*x);
    if (type.hasStaticShape()) {
      HostTensor mask;
      mask.type = OnnxType::Bool;
      mask.shape.assign(type.getShape().begin(), type.getShape().end());
      mask.values.assign(type.getNumElements(), 1.0);
      outputs.push_back(OnnxValue::ofKnown(std::move(mask)));
    } else {
      OpBuilder &b = node.builder;
      Value zeros = ZerosOp::create(b, node.loc, type, *x);
      Value none =
          CastOp::create(b, node.loc, type.clone(b.getI1Type()), zeros);
      outputs.push_back(
          OnnxValue::ofValue(LogicalNotOp::create(b, node.loc, none)));
    }
  }
  return outputs;
}

// Trilu(x, k = 0; upper = 1): the upper (lower) triangle of the last two
// dimensions from diagonal k on (up to), the rest zeros: x times a mask.
static FailureOr<NodeOutputs> importTrilu(NodeBuilder &node) {
  FailureOr<int64_t> upper = node.getInt("upper", 1);
  FailureOr<std::optional<SmallVector<int64_t>>> kGiven =
      node.knownInts(1, "k");
  if (failed(upper) || failed(kGiven))
    return failure();
  int64_t k = *kGiven && !(*kGiven)->empty() ? (**kGiven)[0] : 0;
  const HostTensor *given = node.known(0);
  Value x;
  if (!given) {
    FailureOr<Value> v = node.anyInput(0);
    if (failed(v))
      return failure();
    x = *v;
  }
  SmallVector<int64_t> shape(given ? ArrayRef<int64_t>(given->shape)
                                   : node.typeOf(x).getShape());
  if (shape.size() < 2 || ShapedType::isDynamic(shape[shape.size() - 1]) ||
      ShapedType::isDynamic(shape[shape.size() - 2])) {
    node.emitError() << "expects a tensor of rank >= 2 with known matrix "
                        "dimensions, got "
                     << formatKerasShape(shape);
    return failure();
  }
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  SmallVector<bool> mask;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.push_back(*upper ? j - i >= k : j - i <= k);
  if (given) {
    HostTensor t = *given;
    for (auto [i, v] : llvm::enumerate(t.values))
      if (!mask[i % (rows * cols)])
        v = 0;
    return known(std::move(t));
  }
  // x where the mask holds, a zero of x's type elsewhere: a select, not a
  // product, so that an infinity or NaN outside the triangle gives 0 too.
  OpBuilder &b = node.builder;
  Type element = node.typeOf(x).getElementType();
  auto maskType = RankedTensorType::get({rows, cols}, b.getI1Type());
  auto zeroType = RankedTensorType::get({}, element);
  Value zero = ConstantOp::create(
      b, node.loc,
      DenseElementsAttr::get(zeroType, isa<FloatType>(element)
                                           ? Attribute(b.getFloatAttr(element, 0))
                                           : b.getIntegerAttr(element, 0)));
  Value keep = ConstantOp::create(b, node.loc,
                                  DenseElementsAttr::get(maskType, mask));
  return single(Value(SelectOp::create(b, node.loc, keep, x, zero)));
}

/// Range(0, batch, 1), the batch size from a Shape (PyTorch's
/// `torch.arange(batch_size)`, which Hugging Face's attention masks index
/// each sample's mask with): each row's number, `kiln.batch_index`.
static FailureOr<NodeOutputs> batchRange(NodeBuilder &node,
                                         const HostTensor *parts[3]) {
  if (batchMultiple(parts[1]->values[0]) != 1 || parts[0]->values[0] != 0 ||
      parts[2]->values[0] != 1 || parts[0]->hasDynamicBatch() ||
      parts[2]->hasDynamicBatch()) {
    node.emitError() << "computes a range from the dynamic batch size; kiln "
                        "builds Range(0, batch, 1) only";
    return failure();
  }
  Value reference = node.batchReference();
  if (!reference) {
    node.emitError() << "ranges over the batch, but no model input has a "
                        "dynamic batch";
    return failure();
  }
  OpBuilder &b = node.builder;
  Value rows = BatchIndexOp::create(
      b, node.loc,
      RankedTensorType::get({ShapedType::kDynamic}, b.getI64Type()), reference);
  Type element = elementTypeOf(b.getContext(), parts[0]->type);
  if (!element) {
    node.emitError() << "ranges over " << typeName(parts[0]->type)
                     << " values, which kiln does not compute with";
    return failure();
  }
  if (element != b.getI64Type())
    rows = CastOp::create(
        b, node.loc, RankedTensorType::get({ShapedType::kDynamic}, element),
        rows);
  return single(rows);
}

// Range(start, limit, delta), known scalars: start + i * delta while below
// (above, for a negative delta) limit; or Range(0, batch, 1).
static FailureOr<NodeOutputs> importRange(NodeBuilder &node) {
  const HostTensor *parts[3];
  bool batch = false;
  for (int64_t i = 0; i < 3; ++i) {
    FailureOr<const HostTensor *> t = node.requireKnown(i, i == 0   ? "start"
                                                           : i == 1 ? "limit"
                                                                    : "delta");
    if (failed(t))
      return failure();
    if ((*t)->values.size() != 1) {
      node.emitError() << "start, limit and delta must be known scalars";
      return failure();
    }
    batch |= (*t)->hasDynamicBatch();
    parts[i] = *t;
  }
  if (batch)
    return batchRange(node, parts);
  double start = parts[0]->values[0], limit = parts[1]->values[0],
         delta = parts[2]->values[0];
  double count = delta == 0 ? -1 : std::ceil((limit - start) / delta);
  if (delta == 0 || count > double(1 << 24)) {
    node.emitError() << "the range is empty of steps or too long";
    return failure();
  }
  HostTensor t;
  t.type = parts[0]->type;
  for (int64_t i = 0; i < int64_t(count); ++i)
    t.values.push_back(start + double(i) * delta);
  t.shape.push_back(t.values.size());
  return known(std::move(t));
}

// EyeLike(x; dtype, k = 0): ones on diagonal k of x's (static) 2-D shape.
static FailureOr<NodeOutputs> importEyeLike(NodeBuilder &node) {
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  FailureOr<int64_t> k = node.getInt("k", 0);
  if (failed(info) || failed(k))
    return failure();
  FailureOr<int64_t> dtype = node.getInt("dtype", int64_t(info->second));
  if (failed(dtype))
    return failure();
  ArrayRef<int64_t> shape = info->first;
  if (shape.size() != 2 || llvm::any_of(shape, ShapedType::isDynamic)) {
    node.emitError() << "expects a 2-D input of known shape";
    return failure();
  }
  HostTensor t;
  t.type = static_cast<OnnxType>(*dtype);
  t.shape.assign(shape.begin(), shape.end());
  for (int64_t i = 0; i < shape[0]; ++i)
    for (int64_t j = 0; j < shape[1]; ++j)
      t.values.push_back(j - i == *k ? 1.0 : 0.0);
  return known(std::move(t));
}

// Size(x): the element count, known when the shape is static.
static FailureOr<NodeOutputs> importSize(NodeBuilder &node) {
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  if (failed(info))
    return failure();
  if (llvm::any_of(info->first, ShapedType::isDynamic)) {
    node.emitError() << "the size of a tensor with a dynamic batch is only "
                        "known at run time";
    return failure();
  }
  HostTensor t;
  t.type = OnnxType::Int64;
  t.values.push_back(double(product(info->first)));
  return known(std::move(t));
}

/// GatherElements' and ScatterElements' indices against their data: the
/// data's rank, `axis` not the batch, and no larger than the data outside
/// `axis` (the batch dynamic in both or neither).
static LogicalResult checkElementsIndices(NodeBuilder &node,
                                          ArrayRef<int64_t> shape,
                                          ArrayRef<int64_t> idShape,
                                          int64_t axis) {
  int64_t rank = shape.size();
  if (int64_t(idShape.size()) != rank) {
    node.emitError() << "indices " << formatKerasShape(idShape)
                     << " must have the rank of the data "
                     << formatKerasShape(shape);
    return failure();
  }
  if (ShapedType::isDynamic(shape[axis])) {
    node.emitError() << "axis " << axis << " is the dynamic batch dimension";
    return failure();
  }
  for (int64_t d = 0; d < rank; ++d) {
    bool dynamic = ShapedType::isDynamic(shape[d]);
    if (dynamic != ShapedType::isDynamic(idShape[d]) ||
        (!dynamic && d != axis && idShape[d] > shape[d])) {
      node.emitError() << "indices " << formatKerasShape(idShape)
                       << " do not fit in the data " << formatKerasShape(shape)
                       << " outside axis " << axis;
      return failure();
    }
  }
  return success();
}

/// The most elements ScatterElements' one-hot products
/// may hold per sample.
static constexpr int64_t kMaxElementsProduct = int64_t(1) << 26;

namespace {
/// ScatterElements' operands with `axis` moved last:
/// the indices as floats, negative ones counted from the end (one-hot
/// rows of `depth`, the data's size along `axis`).
struct ElementsOperands {
  Value data, ids;
  int64_t axis = 0, depth = 0;
  /// The indices' shape in the file's order (`ids` has `axis` last).
  SmallVector<int64_t> idShape;

  /// `x` with `axis` moved last (or back, `back`).
  Value move(NodeBuilder &node, Value x, bool back = false) const {
    return back ? node.moveLastAxisTo(x, axis) : node.moveAxisLast(x, axis);
  }
  /// one_hot(ids) (..., J, depth).
  Value oneHot(NodeBuilder &node) const {
    SmallVector<int64_t> hotShape(node.typeOf(ids).getShape());
    hotShape.push_back(depth);
    return OneHotOp::create(
        node.builder, node.loc,
        RankedTensorType::get(hotShape, node.builder.getF32Type()), ids,
        depth);
  }
};
} // namespace

/// Reads the data (input 0), the indices (input 1: run-time or known) and
/// `axis` of ScatterElements: indices of the data's rank,
/// no larger than it outside `axis` (the batch dynamic in both or neither),
/// within kMaxElementsProduct one-hot elements per sample.
static FailureOr<ElementsOperands> readElementsOperands(NodeBuilder &node) {
  FailureOr<Value> data = node.input(0);
  FailureOr<int64_t> axisAttr = node.getInt("axis", 0);
  if (failed(data) || failed(axisAttr))
    return failure();
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  FailureOr<Value> ids = node.floatIds(1);
  if (failed(ids))
    return failure();
  ElementsOperands ops;
  ops.data = *data;
  ops.ids = *ids;
  ArrayRef<int64_t> shape = node.typeOf(*data).getShape();
  ArrayRef<int64_t> idShape = node.typeOf(ops.ids).getShape();
  int64_t rank = shape.size();
  FailureOr<int64_t> axis = normalizeAxis(node, *axisAttr, rank);
  if (failed(axis))
    return failure();
  ops.axis = *axis;
  if (failed(checkElementsIndices(node, shape, idShape, *axis)))
    return failure();
  ops.depth = shape[*axis];
  int64_t perSample = ops.depth;
  for (int64_t d : idShape)
    if (!ShapedType::isDynamic(d))
      perSample *= d;
  if (perSample > kMaxElementsProduct) {
    node.emitError() << "takes " << perSample
                     << " one-hot products per sample; kiln computes at most "
                     << kMaxElementsProduct;
    return failure();
  }
  ops.idShape.assign(idShape.begin(), idShape.end());
  ops.ids = ops.move(node, ops.ids);
  Value negative = LessOp::create(b, loc, ops.ids, node.scalar(0));
  ops.ids = SelectOp::create(
      b, loc, negative,
      AddOp::create(b, loc, ops.ids, node.scalar(double(ops.depth))), ops.ids);
  return ops;
}

// GatherElements(data, indices; axis = 0): out[..., i, ...] =
// data[..., indices[..., i, ...], ...] along `axis`, indices of data's rank
// (no larger in the other axes; an index in [-s, 0) counts from the end).
// With `axis` moved last, each position's index is a one-element tuple into
// its own row: kiln.gather_nd with every other dimension a batch
// dimension, of any element type kiln computes with (RoBERTa gathers its
// int64 token types); the gradient scatter-adds into the data.
static FailureOr<NodeOutputs> importGatherElements(NodeBuilder &node) {
  FailureOr<Value> data = node.anyInput(0);
  FailureOr<Value> ids = node.anyInput(1);
  FailureOr<int64_t> axisAttr = node.getInt("axis", 0);
  if (failed(data) || failed(ids) || failed(axisAttr))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*data).getShape();
  ArrayRef<int64_t> idShape = node.typeOf(*ids).getShape();
  int64_t rank = shape.size();
  FailureOr<int64_t> axis = normalizeAxis(node, *axisAttr, rank);
  if (failed(axis))
    return failure();
  Type idType = node.typeOf(*ids).getElementType();
  if (!idType.isInteger(32) && !idType.isInteger(64)) {
    node.emitError() << "indices are " << typeName(onnxTypeOf(idType))
                     << "; GatherElements takes int32/int64 indices";
    return failure();
  }
  if (failed(checkElementsIndices(node, shape, idShape, *axis)))
    return failure();
  // Known indices must lie in the axis.
  if (const HostTensor *known = node.known(1))
    for (int64_t id : known->toInt64())
      if (failed(indexInto(node, id, shape[*axis])))
        return failure();
  // The data's slice that the indices' shape covers.
  Value table = *data;
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis && !ShapedType::isDynamic(shape[d]) &&
        idShape[d] != shape[d])
      table = node.sliceAxis(table, d, 0, idShape[d]);
  table = node.moveAxisLast(table, *axis);
  Value tuples = node.moveAxisLast(*ids, *axis);
  SmallVector<int64_t> tupleShape(node.typeOf(tuples).getShape());
  tupleShape.push_back(1);
  tuples = node.reshape(tuples, tupleShape);
  Value y = GatherNdOp::create(node.builder, node.loc, table, tuples, rank - 1);
  return single(node.moveLastAxisTo(y, *axis));
}

// GatherND(data, indices; batch_dims = 0): slices of the data picked by
// index tuples, the indices' last dimension (ONNX 11; batch_dims 12 on).
// Known operands fold; otherwise `kiln.gather_nd`, whose data may be of any
// type kiln computes with and may have the dynamic batch: Hugging Face's
// attention masks pick each sample's padding mask with (row, position)
// tuples built from Range(0, batch, 1). Known indices out of range are an
// error; indices computed at run time are clamped (ONNX leaves them
// undefined).
static FailureOr<NodeOutputs> importGatherND(NodeBuilder &node) {
  FailureOr<int64_t> batchDims = node.getInt("batch_dims", 0);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> data = node.inputInfo(0);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> indices =
      node.inputInfo(1);
  if (failed(batchDims) || failed(data) || failed(indices))
    return failure();
  if (node.heldTransposed(0) || node.heldTransposed(1)) {
    node.emitError() << "gathers from or by a tensor whose dynamic batch is "
                        "not its first dimension";
    return failure();
  }
  ArrayRef<int64_t> dataShape = data->first, idShape = indices->first;
  int64_t b = *batchDims;
  if (!isIntegral(indices->second)) {
    node.emitError() << "indices are " << typeName(indices->second)
                     << "; GatherND takes int64 indices";
    return failure();
  }
  std::string reason;
  FailureOr<SmallVector<int64_t>> outShape =
      gatherNdShape(dataShape, idShape, b, reason);
  if (failed(outShape)) {
    node.emitError() << "cannot index data " << formatKerasShape(dataShape)
                     << " with index tuples " << formatKerasShape(idShape)
                     << " and batch_dims " << b;
    return failure();
  }
  int64_t r = idShape.back();
  // The batch dimensions must agree exactly: the dynamic batch only with
  // itself.
  for (int64_t d = 0; d < b; ++d)
    if (dataShape[d] != idShape[d]) {
      node.emitError() << "batch dimension " << d << " of the data "
                       << formatKerasShape(dataShape) << " and the indices "
                       << formatKerasShape(idShape) << " differ";
      return failure();
    }
  // Known tuples must pick inside the data (negative ones count from the
  // end of their dimension).
  const HostTensor *knownIds = node.known(1);
  if (knownIds && knownIds->hasDynamicBatch()) {
    node.emitError() << "the indices hold the dynamic batch size, which is "
                        "known only at run time";
    return failure();
  }
  SmallVector<int64_t> ids;
  if (knownIds) {
    ids = knownIds->toInt64();
    for (size_t n = 0; n < ids.size(); ++n) {
      int64_t dim = dataShape[b + int64_t(n) % r];
      if (ShapedType::isDynamic(dim))
        continue;
      FailureOr<int64_t> at = indexInto(node, ids[n], dim);
      if (failed(at))
        return failure();
      ids[n] = *at;
    }
  }
  const HostTensor *knownData = node.known(0);
  if (knownData && knownIds && !knownData->hasDynamicBatch()) {
    // data[n..., ids..., :] for each tuple, n the tuple's batch position.
    HostTensor t;
    t.type = knownData->type;
    t.shape = *outShape;
    int64_t slice = product(dataShape.drop_front(b + r));
    int64_t tuples = product(idShape.drop_back());
    int64_t perBatch = product(idShape.slice(b, idShape.size() - b - 1));
    int64_t batchStride = product(dataShape.drop_front(b));
    for (int64_t n = 0; n < tuples; ++n) {
      int64_t offset = n / perBatch * batchStride;
      for (int64_t k = 0; k < r; ++k)
        offset += ids[n * r + k] * product(dataShape.drop_front(b + k + 1));
      auto begin = knownData->values.begin() + offset;
      t.values.insert(t.values.end(), begin, begin + slice);
    }
    return known(std::move(t));
  }
  FailureOr<Value> values = node.anyInput(0);
  FailureOr<Value> tuples = node.anyInput(1);
  if (failed(values) || failed(tuples))
    return failure();
  return single(
      Value(GatherNdOp::create(node.builder, node.loc, *values, *tuples, b)));
}

/// Fails (after an error) unless ScatterND's `updates` are the slices
/// (`gatherNdShape`) that index tuples of shape `idShape` pick from data
/// of shape `dataShape`; a dynamic batch is taken to fit.
static LogicalResult checkScatterShapes(NodeBuilder &node,
                                        ArrayRef<int64_t> dataShape,
                                        ArrayRef<int64_t> idShape,
                                        ArrayRef<int64_t> updates) {
  std::string reason;
  FailureOr<SmallVector<int64_t>> slices =
      gatherNdShape(dataShape, idShape, 0, reason);
  if (failed(slices)) {
    node.emitError() << "cannot index data " << formatKerasShape(dataShape)
                     << " with index tuples " << formatKerasShape(idShape);
    return failure();
  }
  if (failed(verifyCompatibleShape(updates, *slices))) {
    node.emitError() << "updates " << formatKerasShape(updates)
                     << " are not the slices " << formatKerasShape(*slices)
                     << " the indices pick";
    return failure();
  }
  return success();
}

/// ScatterND of known operands, folded on the host in the tuples' order
/// (BEiT's relative position index table, of int64): each tuple's slice of
/// `updates` written at (none), or combined by `reduction` into, the
/// place it names. Tuples out of range, a place written twice under none
/// (ONNX leaves it undefined) and shapes that do not fit are errors.
static FailureOr<NodeOutputs>
foldScatterND(NodeBuilder &node, StringRef reduction, const HostTensor &data,
              const HostTensor &ids, const HostTensor &updates) {
  ArrayRef<int64_t> dataShape = data.shape, idShape = ids.shape;
  if (failed(checkScatterShapes(node, dataShape, idShape, updates.shape)))
    return failure();
  if (updates.type != data.type) {
    node.emitError() << "updates are " << typeName(updates.type)
                     << " and the data " << typeName(data.type);
    return failure();
  }
  int64_t r = idShape.back();
  int64_t slice = product(dataShape.drop_front(r));
  HostTensor out = data;
  std::set<int64_t> written;
  SmallVector<int64_t> tuples = ids.toInt64();
  for (int64_t n = 0; (n + 1) * r <= int64_t(tuples.size()); ++n) {
    int64_t offset = 0;
    for (int64_t k = 0; k < r; ++k) {
      FailureOr<int64_t> at = indexInto(node, tuples[n * r + k], dataShape[k]);
      if (failed(at))
        return failure();
      offset = offset * dataShape[k] + *at;
    }
    offset *= slice;
    if (reduction == "none" && !written.insert(offset).second) {
      SmallVector<int64_t> place(tuples.begin() + n * r,
                                 tuples.begin() + (n + 1) * r);
      node.emitError() << "writes twice at index tuple "
                       << formatKerasShape(place)
                       << ", where ONNX leaves the result undefined";
      return failure();
    }
    for (int64_t e = 0; e < slice; ++e) {
      double &to = out.values[offset + e];
      double u = updates.values[n * slice + e];
      to = reduction == "add"   ? roundTo(out.type, to + u)
           : reduction == "mul" ? roundTo(out.type, to * u)
           : reduction == "max" ? std::max(to, u)
           : reduction == "min" ? std::min(to, u)
                                : u;
    }
  }
  return known(std::move(out));
}

// ScatterND(data, indices, updates; reduction = none | add | mul | max |
// min): the data with the slices of `updates` written at (none), added to
// (add, 16 on), multiplied into (mul, 16) or compared with (max, min, 18)
// the places GatherND with the same index tuples reads.
// `kiln.scatter_nd_add` sums the updates into zeros of the data's shape;
// add adds that to the data, none selects it where a tuple hits (duplicate
// tuples, which ONNX leaves undefined there, are an error when known and
// sum when computed at run time). mul, max and min need known tuples: the
// updates of each place are combined first (in order), then scattered once
// per place and combined with the data where a tuple hits. The gradient
// reaches the data and the updates.
static FailureOr<NodeOutputs> importScatterND(NodeBuilder &node) {
  FailureOr<std::string> reduction = node.getString("reduction", "none");
  if (failed(reduction))
    return failure();
  bool combines =
      *reduction == "mul" ||
      (node.opset >= 18 && (*reduction == "max" || *reduction == "min"));
  if (*reduction != "none" && *reduction != "add" && !combines) {
    node.emitError() << "reduction '" << *reduction
                     << "' is not supported (none, add, mul"
                     << (node.opset >= 18 ? ", max, min" : "") << ")";
    return failure();
  }
  const HostTensor *knownData = node.known(0), *knownIds = node.known(1),
                   *knownUpdates = node.known(2);
  if (knownData && knownIds && knownUpdates && !knownData->hasDynamicBatch() &&
      !knownIds->hasDynamicBatch() && !knownUpdates->hasDynamicBatch())
    return foldScatterND(node, *reduction, *knownData, *knownIds,
                         *knownUpdates);
  FailureOr<Value> data = node.input(0);
  FailureOr<Value> indices = node.anyInput(1);
  FailureOr<Value> updates = node.input(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  ArrayRef<int64_t> dataShape = node.typeOf(*data).getShape();
  ArrayRef<int64_t> idShape = node.typeOf(*indices).getShape();
  Type idType = node.typeOf(*indices).getElementType();
  if (!idType.isInteger(32) && !idType.isInteger(64)) {
    node.emitError() << "indices are " << typeName(onnxTypeOf(idType))
                     << "; ScatterND takes int64 indices";
    return failure();
  }
  if (failed(checkScatterShapes(node, dataShape, idShape,
                                 node.typeOf(*updates).getShape())))
    return failure();
  // Known tuples, grouped by the place they write (negative coordinates
  // counted from the end), in the order each place is first written. A
  // known coordinate outside a static dimension is an error. A negative
  // one on the dynamic batch names a row only the batch size decides, so
  // two tuples may write one place unseen: `add` sums them as ONNX does,
  // the other reductions refuse it.
  int64_t r = idShape.back();
  const HostTensor *known = node.known(1);
  if (known && known->hasDynamicBatch())
    known = nullptr;
  if (combines && !known) {
    node.emitError() << "reduction '" << *reduction
                     << "' needs index tuples known when compiling";
    return failure();
  }
  SmallVector<SmallVector<int64_t>> places;
  SmallVector<SmallVector<int64_t>> writers; // tuple numbers per place
  if (known) {
    SmallVector<int64_t> ids = known->toInt64();
    std::map<SmallVector<int64_t>, size_t> placeOf;
    for (size_t n = 0; (n + 1) * r <= ids.size(); ++n) {
      SmallVector<int64_t> tuple(ids.begin() + n * r,
                                 ids.begin() + (n + 1) * r);
      for (int64_t k = 0; k < r; ++k) {
        int64_t dim = dataShape[k];
        if (ShapedType::isDynamic(dim)) {
          if (tuple[k] < 0 && *reduction != "add") {
            node.emitError()
                << "index " << tuple[k] << " counts from the end of the "
                << "dynamic batch, known only at run time; reduction '"
                << *reduction << "' needs the rows it writes known";
            return failure();
          }
          continue;
        }
        FailureOr<int64_t> at = indexInto(node, tuple[k], dim);
        if (failed(at))
          return failure();
        tuple[k] = *at;
      }
      auto [it, fresh] = placeOf.try_emplace(tuple, places.size());
      if (fresh) {
        places.push_back(tuple);
        writers.emplace_back();
      }
      writers[it->second].push_back(n);
    }
  }
  // Known tuples written twice: ONNX leaves the result undefined (ONNX
  // Runtime keeps the last write, kiln would sum), so it is an error.
  if (*reduction == "none")
    for (auto [place, by] : llvm::zip(places, writers))
      if (by.size() > 1) {
        node.emitError() << "writes twice at index tuple "
                         << formatKerasShape(place)
                         << ", where ONNX leaves the result undefined";
        return failure();
      }
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value tuples = *indices;
  Value slices = *updates;
  if (combines) {
    // Each place's updates combined first (mul, max or min), in order:
    // one slice and one tuple per place.
    ArrayRef<int64_t> updateShape = node.typeOf(*updates).getShape();
    SmallVector<int64_t> rows = {int64_t(known->values.size()) / r};
    rows.append(updateShape.begin() + (idShape.size() - 1), updateShape.end());
    Value flat = node.reshape(*updates, rows);
    SmallVector<Value> combined;
    SmallVector<int64_t> placeIds;
    for (auto [place, by] : llvm::zip(places, writers)) {
      Value acc;
      for (int64_t n : by) {
        Value slice = node.sliceAxis(flat, 0, n, 1);
        acc = !acc                  ? slice
              : *reduction == "mul" ? Value(MulOp::create(b, loc, acc, slice))
              : *reduction == "max"
                  ? Value(MaximumOp::create(b, loc, acc, slice))
                  : Value(MinimumOp::create(b, loc, acc, slice));
      }
      combined.push_back(acc);
      placeIds.append(place.begin(), place.end());
    }
    slices = combined.size() == 1
                 ? combined.front()
                 : Value(ConcatOp::create(b, loc, combined, 0));
    auto tupleType =
        RankedTensorType::get({int64_t(places.size()), r}, b.getI64Type());
    tuples = ConstantOp::create(
        b, loc, DenseElementsAttr::get(tupleType, ArrayRef(placeIds)));
  }
  auto scatter = [&](Value values) {
    return Value(ScatterNdAddOp::create(b, loc, node.typeOf(*data), values,
                                        tuples, *data, 0));
  };
  Value sums = scatter(slices);
  if (*reduction == "add")
    return single(Value(AddOp::create(b, loc, *data, sums)));
  Value ones = BroadcastOp::create(b, loc, node.typeOf(slices),
                                   node.scalar(1.0), slices);
  Value hit = GreaterOp::create(b, loc, scatter(ones), node.scalar(0.0));
  Value written = sums;
  if (*reduction == "mul")
    written = MulOp::create(b, loc, *data, sums);
  else if (*reduction == "max")
    written = MaximumOp::create(b, loc, *data, sums);
  else if (*reduction == "min")
    written = MinimumOp::create(b, loc, *data, sums);
  return single(Value(SelectOp::create(b, loc, hit, written, *data)));
}

// ScatterElements(data, indices, updates; axis = 0, reduction = none | add
// | mul | max | min) and opset 9-10's Scatter: data with updates[..., j,
// ...] written at (none) or added to (add) data[..., indices[..., j, ...],
// ...] along `axis`; mul (16) multiplies, max and min (18) keep the
// largest or smallest of the data and the updates that hit a position.
// As GatherElements, a one-hot product with `axis` moved last: the updates'
// contributions sum_j one_hot[..., j, k] updates[..., j] and the count of
// writes per position, zero-padded to the data's shape outside `axis`;
// none picks the contribution where a position is written (of duplicate
// indices, which ONNX leaves undefined there, the last, as ONNX Runtime),
// add adds it (duplicates summing); mul, max and min reduce the updates
// that hit each position (the others their neutral element) and combine
// that with the data. The gradient reaches both the data and the updates.
static FailureOr<NodeOutputs> importScatterElements(NodeBuilder &node) {
  FailureOr<std::string> reduction = node.getString("reduction", "none");
  if (failed(reduction))
    return failure();
  bool extremum = *reduction == "max" || *reduction == "min";
  if (*reduction != "none" && *reduction != "add" && *reduction != "mul" &&
      !(extremum && node.opset >= 18)) {
    node.emitError() << "reduction '" << *reduction
                     << "' is not supported (none, add, mul"
                     << (node.opset >= 18 ? ", max, min" : "") << ")";
    return failure();
  }
  FailureOr<ElementsOperands> ops = readElementsOperands(node);
  FailureOr<Value> updates = node.input(2);
  if (failed(ops) || failed(updates))
    return failure();
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value moved = ops->move(node, *updates);
  if (node.typeOf(moved).getShape() != node.typeOf(ops->ids).getShape()) {
    node.emitError() << "updates "
                     << formatKerasShape(node.typeOf(*updates).getShape())
                     << " must have the indices' shape";
    return failure();
  }
  Value hot = ops->oneHot(node);
  int64_t rank = node.typeOf(ops->data).getRank();
  int64_t writers = node.typeOf(hot).getDimSize(rank - 1);
  Value data = ops->move(node, ops->data);
  ArrayRef<int64_t> dataShape = node.typeOf(data).getShape();
  // (..., J, 1) updates against the (..., J, K) one-hot rows.
  SmallVector<int64_t> columnShape(node.typeOf(moved).getShape());
  columnShape.push_back(1);
  Value column = ReshapeOp::create(
      b, loc, RankedTensorType::get(columnShape, b.getF32Type()), moved);
  SmallVector<int64_t, 1> summed{rank - 1};
  if (*reduction == "mul" || extremum) {
    // Each position's updates reduced over J, the neutral element where a
    // row misses it (and where the indices do not reach), then combined
    // with the data.
    bool isMin = *reduction == "min";
    Value neutral = node.scalar(*reduction == "mul" ? 1.0 : -INFINITY);
    Value hits = GreaterOp::create(b, loc, hot, node.scalar(0.5));
    Value masked = SelectOp::create(
        b, loc, hits, isMin ? Value(NegOp::create(b, loc, column)) : column,
        neutral);
    Value reduced;
    if (*reduction == "mul") {
      FailureOr<Value> product = reduceProd(node, masked, summed, false);
      if (failed(product))
        return failure();
      reduced = *product;
    } else {
      reduced = reduceMax(node, masked, summed, false);
    }
    for (int64_t d = 0; d + 1 < rank; ++d) {
      int64_t missing = dataShape[d] - node.typeOf(reduced).getDimSize(d);
      if (!ShapedType::isDynamic(dataShape[d]) && missing != 0)
        reduced = buildConstantPad(b, loc, reduced, d, 0, missing, neutral);
    }
    Value y;
    if (*reduction == "mul")
      y = MulOp::create(b, loc, data, reduced);
    else if (isMin)
      y = MinimumOp::create(b, loc, data, NegOp::create(b, loc, reduced));
    else
      y = MaximumOp::create(b, loc, data, reduced);
    return single(ops->move(node, y, /*back=*/true));
  }
  if (*reduction == "none" && writers > 1) {
    // Duplicate indices: the last update along the axis wins, as ONNX
    // Runtime writes them in order. A one-hot row stays where no later row
    // hits its position: later[..., k, j] = sum_{j' > j} hot[..., j', k].
    SmallVector<float> after(writers * writers, 0.0f);
    for (int64_t j = 0; j < writers; ++j)
      for (int64_t later = j + 1; later < writers; ++later)
        after[later * writers + j] = 1.0f;
    SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank + 1));
    std::swap(swap[rank - 1], swap[rank]);
    Value laterHits = TransposeOp::create(
        b, loc,
        MatMulOp::create(b, loc, TransposeOp::create(b, loc, hot, swap),
                         node.constant({writers, writers}, after)),
        swap);
    hot = MulOp::create(
        b, loc, hot,
        StepOp::create(b, loc,
                       SubOp::create(b, loc, node.scalar(0.5), laterHits)));
  }
  // (..., J, K) one-hot rows times the updates' (..., J, 1), summed over J.
  Value contribution = ReduceSumOp::create(
      b, loc, MulOp::create(b, loc, hot, column), summed, false);
  Value writes = ReduceSumOp::create(b, loc, hot, summed, false);
  // Zeros where the indices do not reach (the data's larger dimensions).
  for (int64_t d = 0; d + 1 < rank; ++d) {
    int64_t missing = dataShape[d] - node.typeOf(contribution).getDimSize(d);
    if (ShapedType::isDynamic(dataShape[d]) || missing == 0)
      continue;
    contribution = buildConstantPad(b, loc, contribution, d, 0, missing);
    writes = buildConstantPad(b, loc, writes, d, 0, missing);
  }
  Value y = *reduction == "add"
                ? Value(AddOp::create(b, loc, data, contribution))
                : Value(SelectOp::create(
                      b, loc,
                      GreaterOp::create(b, loc, writes, node.scalar(0.5)),
                      contribution, data));
  return single(ops->move(node, y, /*back=*/true));
}

//===----------------------------------------------------------------------===//
// DepthToSpace, SpaceToDepth, OneHot
//===----------------------------------------------------------------------===//

/// x (rank 6) transposed by `perm` between two reshapes: from `x`'s
/// (N, C, H, W) to `split`, and after the transpose to `merged`.
static Value rearrange(NodeBuilder &node, Value x, ArrayRef<int64_t> split,
                       ArrayRef<int64_t> perm, ArrayRef<int64_t> merged) {
  Value y = node.reshape(x, split);
  y = TransposeOp::create(node.builder, node.loc, y, perm);
  return node.reshape(y, merged);
}

/// The (N, C, H, W) input of DepthToSpace (`toSpace`: its channels a
/// multiple of blocksize^2) or SpaceToDepth (H and W multiples of
/// blocksize), and the blocksize.
static FailureOr<std::pair<Value, int64_t>> blockOperand(NodeBuilder &node,
                                                         bool toSpace) {
  FailureOr<Value> x = node.input(0);
  FailureOr<int64_t> block = node.getInt("blocksize", 0);
  if (failed(x) || failed(block))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  if (shape.size() != 4 ||
      llvm::any_of(shape.drop_front(), ShapedType::isDynamic)) {
    node.emitError() << "expects an input (N, C, H, W) of known C, H and W";
    return failure();
  }
  int64_t b = *block;
  if (b < 1 || b > 4096) {
    node.emitError() << "blocksize must be from 1 to 4096, got " << b;
    return failure();
  }
  if (toSpace ? shape[1] % (b * b) != 0
              : shape[2] % b != 0 || shape[3] % b != 0) {
    node.emitError() << "blocksize " << b << " does not divide "
                     << (toSpace ? "the channels (" + std::to_string(shape[1]) +
                                       ") into blocksize^2 groups"
                                 : "the height and width (" +
                                       std::to_string(shape[2]) + ", " +
                                       std::to_string(shape[3]) + ")");
    return failure();
  }
  return std::pair{*x, b};
}

// DepthToSpace(x; blocksize, mode = DCR): channels of (N, C, H, W) moved
// into b x b spatial blocks, giving (N, C / b^2, H b, W b); DCR takes the
// block position as the channel's major index, CRD as its minor one.
static FailureOr<NodeOutputs> importDepthToSpace(NodeBuilder &node) {
  FailureOr<std::string> mode = node.getString("mode", "DCR");
  if (failed(mode))
    return failure();
  if (*mode != "DCR" && *mode != "CRD") {
    node.emitError() << "mode must be DCR or CRD, got '" << *mode << "'";
    return failure();
  }
  FailureOr<std::pair<Value, int64_t>> x = blockOperand(node, true);
  if (failed(x))
    return failure();
  auto [value, b] = *x;
  ArrayRef<int64_t> shape = node.typeOf(value).getShape();
  int64_t n = shape[0], c = shape[1] / (b * b), h = shape[2], w = shape[3];
  if (*mode == "DCR")
    return single(rearrange(node, value, {n, b, b, c, h, w},
                            {0, 3, 4, 1, 5, 2}, {n, c, h * b, w * b}));
  return single(rearrange(node, value, {n, c, b, b, h, w}, {0, 1, 4, 2, 5, 3},
                          {n, c, h * b, w * b}));
}

// SpaceToDepth(x; blocksize): DepthToSpace's DCR inverse, (N, C, H, W) to
// (N, C b^2, H / b, W / b).
static FailureOr<NodeOutputs> importSpaceToDepth(NodeBuilder &node) {
  FailureOr<std::pair<Value, int64_t>> x = blockOperand(node, false);
  if (failed(x))
    return failure();
  auto [value, b] = *x;
  ArrayRef<int64_t> shape = node.typeOf(value).getShape();
  int64_t n = shape[0], c = shape[1], h = shape[2] / b, w = shape[3] / b;
  return single(rearrange(node, value, {n, c, h, b, w, b}, {0, 3, 5, 1, 2, 4},
                          {n, c * b * b, h, w}));
}

// OneHot(indices, depth, values; axis = -1): a new axis of size depth (a
// known scalar) holding values[1] at each index and values[0] elsewhere.
// An index in [-depth, 0) counts from the end (since opset 11); one out of
// range gives values[0] throughout.
/// OneHot of known indices: `values` laid out along `axis` (of the result's
/// rank) as the indices pick them; an index out of [-depth, depth) is all
/// off (opset 11 on; before, a negative index is out of range too).
static HostTensor foldOneHot(const HostTensor &indices, int64_t depth,
                             int64_t axis, const HostTensor &values,
                             bool negativeIndices) {
  HostTensor out;
  out.type = values.type;
  out.shape = indices.shape;
  out.shape.insert(out.shape.begin() + axis, depth);
  int64_t inner = 1;
  for (int64_t d : ArrayRef<int64_t>(indices.shape).drop_front(axis))
    inner *= d;
  int64_t outer = indices.numElements() / std::max<int64_t>(inner, 1);
  out.values.assign(outer * depth * inner, values.values[0]);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double index = std::trunc(indices.values[o * inner + i]);
      if (negativeIndices && index < 0)
        index += depth;
      if (index >= 0 && index < depth)
        out.values[(o * depth + int64_t(index)) * inner + i] = values.values[1];
    }
  return out;
}

static FailureOr<NodeOutputs> importOneHot(NodeBuilder &node) {
  FailureOr<const HostTensor *> depthGiven = node.requireKnown(1, "depth");
  FailureOr<const HostTensor *> values = node.requireKnown(2, "values");
  FailureOr<int64_t> axisAttr = node.getInt("axis", -1);
  if (failed(depthGiven) || failed(values) || failed(axisAttr))
    return failure();
  if ((*depthGiven)->values.size() != 1 || (*values)->values.size() != 2 ||
      (*depthGiven)->hasDynamicBatch()) {
    node.emitError() << "depth must be one number and values two";
    return failure();
  }
  double depthValue = (*depthGiven)->values[0];
  if (!(depthValue >= 1 && depthValue <= double(1 << 24))) {
    node.emitError() << "depth must be from 1 to 2^24, got " << depthValue;
    return failure();
  }
  auto depth = int64_t(depthValue); // ONNX casts it to int64
  // Known indices fold (timm's gcvit builds Tile's repeats with OneHot).
  if (const HostTensor *known = node.known(0);
      known && !known->hasDynamicBatch() &&
      known->numElements() * depth <= 4096) {
    FailureOr<int64_t> axis =
        normalizeAxis(node, *axisAttr, int64_t(known->shape.size()) + 1);
    if (failed(axis))
      return failure();
    return NodeOutputs{OnnxValue::ofKnown(foldOneHot(
        *known, depth, *axis, **values, /*negativeIndices=*/node.opset >= 11))};
  }
  FailureOr<Value> indices = node.anyInput(0);
  if (failed(indices))
    return failure();
  RankedTensorType type = node.typeOf(*indices);
  int64_t rank = type.getRank() + 1;
  FailureOr<int64_t> axis = normalizeAxis(node, *axisAttr, rank);
  if (failed(axis))
    return failure();
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  RankedTensorType floatType = type.clone(b.getF32Type());
  Value index = *indices;
  if (type.getElementType() != b.getF32Type())
    index = CastOp::create(b, loc, floatType, index);
  // ONNX reads the indices as integers: a fraction is truncated.
  if (!isa<IntegerType>(type.getElementType()))
    index = CastOp::create(
        b, loc, floatType,
        CastOp::create(b, loc, type.clone(b.getI64Type()), index));
  if (node.opset >= 11) { // earlier, a negative index is out of range
    Value negative = LessOp::create(b, loc, index, node.scalar(0));
    index = SelectOp::create(b, loc, negative,
                             AddOp::create(b, loc, index, node.scalar(depth)),
                             index);
  }
  SmallVector<int64_t> shape(type.getShape());
  shape.push_back(depth);
  auto resultType = RankedTensorType::get(shape, b.getF32Type());
  Value hot = OneHotOp::create(b, loc, resultType, index, depth);
  // on * hot + off * (1 - hot): exactly `on` and `off`.
  Value on = MulOp::create(b, loc, hot, node.scalar((*values)->values[1]));
  Value cold = SubOp::create(b, loc, node.scalar(1), hot);
  Value y = AddOp::create(
      b, loc, on, MulOp::create(b, loc, cold, node.scalar((*values)->values[0])));
  if (*axis != rank - 1) {
    SmallVector<int64_t> perm;
    for (int64_t d = 0; d < rank - 1; ++d) {
      if (d == *axis)
        perm.push_back(rank - 1);
      perm.push_back(d);
    }
    y = TransposeOp::create(b, loc, y, perm);
  }
  // The output has the values' element type.
  OnnxType valueType = (*values)->type;
  if (valueType == OnnxType::Float)
    return single(y);
  Type element = elementTypeOf(b.getContext(), valueType);
  if (!element) {
    node.emitError() << "values of type " << typeName(valueType)
                     << "; kiln computes with float32, int32, int64 and bool";
    return failure();
  }
  return single(
      Value(CastOp::create(b, loc, node.typeOf(y).clone(element), y)));
}

void mlir::kiln::onnx_import::registerShapeOps(OpRegistry &r) {
  auto add = [&](StringRef op, int64_t since, int64_t last, OpHandler handler,
                 ArrayRef<StringLiteral> attrs = {}, uint32_t known = 0) {
    r[op].push_back(OpKind{since, last, handler, attrs, known});
  };
  static constexpr StringLiteral allowZero[] = {"allowzero"};
  static constexpr StringLiteral axis[] = {"axis"};
  static constexpr StringLiteral axes[] = {"axes"};
  static constexpr StringLiteral perm[] = {"perm"};
  static constexpr StringLiteral split[] = {"axis", "split"};
  static constexpr StringLiteral slice[] = {"starts", "ends", "axes"};
  static constexpr StringLiteral to[] = {"to"};
  static constexpr StringLiteral constant[] = {
      "value", "value_float", "value_floats", "value_int", "value_ints"};
  static constexpr StringLiteral value[] = {"value"};
  static constexpr StringLiteral shapeRange[] = {"start", "end"};
  static constexpr StringLiteral ratio[] = {"ratio", "seed", "is_test"};
  r["Reshape"].push_back(
      OpKind{5, kNewestOpset, importReshape, allowZero, 0b10, 0b1});
  // The ops that only move elements take tensors of any element type kiln
  // computes with (int64 ids, bool masks).
  r["Flatten"].push_back(OpKind{1, kNewestOpset, importFlatten, axis, 0, 0b1});
  r["Squeeze"].push_back(OpKind{1, 12, importSqueeze, axes, 0, 0b1});
  r["Squeeze"].push_back(
      OpKind{13, kNewestOpset, importSqueeze, {}, 0b10, 0b1});
  r["Unsqueeze"].push_back(OpKind{1, 12, importUnsqueeze, axes, 0, 0b1});
  r["Unsqueeze"].push_back(
      OpKind{13, kNewestOpset, importUnsqueeze, {}, 0b10, 0b1});
  r["Transpose"].push_back(
      OpKind{1, kNewestOpset, importTranspose, perm, 0, 0b1});
  r["Concat"].push_back(
      OpKind{4, kNewestOpset, importConcat, axis, 0, ~uint32_t(0)});
  static constexpr StringLiteral splitToSequence[] = {"axis", "keepdims"};
  // The split sizes and the position are known operands.
  add("SplitToSequence", 11, kNewestOpset, importSplitToSequence,
      splitToSequence, 0b10);
  add("SequenceAt", 11, kNewestOpset, importSequenceAt, {}, 0b10);
  add("Split", 2, 12, importSplit, split);
  add("Split", 13, 17, importSplit, axis, 0b10);
  // Split-18 may give the number of parts, the last one smaller.
  static constexpr StringLiteral axisParts[] = {"axis", "num_outputs"};
  r["Split"].push_back(
      OpKind{18, kNewestOpset, importSplit, axisParts, 0b10, 0, 2});
  add("Slice", 1, 9, importSlice, slice);
  add("Slice", 10, kNewestOpset, importSlice, {}, 0b11110);
  r["Gather"].push_back(OpKind{1, kNewestOpset, importGather, axis, 0b10, 0b10});
  add("Tile", 6, kNewestOpset, importTile, {}, 0b10);
  r["Expand"].push_back(OpKind{8, kNewestOpset, importExpand, {}, 0b10, 0b1});
  // Cast-19 and CastLike-19 add float8 types and how to round into them
  // (saturate), which kiln does not compute with.
  static constexpr StringLiteral toSaturate[] = {"saturate", "to"};
  static constexpr StringLiteral saturate[] = {"saturate"};
  r["Cast"].push_back(OpKind{6, 18, importCast, to, 0, 0b1});
  r["Cast"].push_back(
      OpKind{19, kNewestOpset, importCast, toSaturate, 0, 0b1, 1});
  add("Constant", 1, kNewestOpset, importConstant, constant);
  add("ConstantOfShape", 9, kNewestOpset, importConstantOfShape, value, 0b1);
  // Shape and Size read no values: a model input of any type may be
  // theirs (PyTorch's Shape(ids) beside an Embedding's Gather).
  r["Shape"].push_back(OpKind{1, kNewestOpset, importShape, shapeRange, 0, 0b1});
  add("Dropout", 6, kNewestOpset, importDropout, ratio, 0b110);
  static constexpr StringLiteral upper[] = {"upper"};
  static constexpr StringLiteral eyeLike[] = {"dtype", "k"};
  r["Trilu"].push_back(OpKind{14, kNewestOpset, importTrilu, upper, 0b10, 0b1});
  add("Range", 11, kNewestOpset, importRange, {}, 0b111);
  add("EyeLike", 9, kNewestOpset, importEyeLike, eyeLike);
  r["Size"].push_back(OpKind{1, kNewestOpset, importSize, {}, 0, 0b1});
  r["CastLike"].push_back(OpKind{15, 18, importCastLike, {}, 0, 0b11});
  r["CastLike"].push_back(
      OpKind{19, kNewestOpset, importCastLike, saturate, 0, 0b11, 2});
  static constexpr StringLiteral blocksize[] = {"blocksize"};
  static constexpr StringLiteral depthToSpace[] = {"blocksize", "mode"};
  add("DepthToSpace", 1, 10, importDepthToSpace, blocksize);
  add("DepthToSpace", 11, kNewestOpset, importDepthToSpace, depthToSpace);
  add("SpaceToDepth", 1, kNewestOpset, importSpaceToDepth, blocksize);
  r["OneHot"].push_back(OpKind{9, kNewestOpset, importOneHot, axis, 0b110, 0b1});
  static constexpr StringLiteral batchDims[] = {"batch_dims"};
  r["GatherND"].push_back(OpKind{11, 11, importGatherND, {}, 0, 0b11});
  r["GatherND"].push_back(
      OpKind{12, kNewestOpset, importGatherND, batchDims, 0, 0b11});
  static constexpr StringLiteral reduction[] = {"reduction"};
  r["ScatterND"].push_back(OpKind{11, 15, importScatterND, {}, 0, 0b10});
  // mul, max and min (16, 18) combine the updates of each place when
  // compiling: their tuples must be known (a tool that knows the inputs
  // gives them so).
  r["ScatterND"].push_back(
      OpKind{16, kNewestOpset, importScatterND, reduction, 0b10, 0b10});
  r["GatherElements"].push_back(
      OpKind{11, kNewestOpset, importGatherElements, axis, 0, 0b11});
  static constexpr StringLiteral axisReduction[] = {"axis", "reduction"};
  r["Scatter"].push_back(
      OpKind{9, 10, importScatterElements, axis, 0, 0b10});
  r["ScatterElements"].push_back(
      OpKind{11, 15, importScatterElements, axis, 0, 0b10});
  r["ScatterElements"].push_back(
      OpKind{16, kNewestOpset, importScatterElements, axisReduction, 0, 0b10});
  // The ops that only move their data operand's elements.
  for (StringRef op :
       {"Concat", "Expand", "Flatten", "Gather", "Reshape", "Slice", "Split",
        "Squeeze", "Transpose", "Tile", "Unsqueeze"})
    for (OpKind &kind : r[op])
      kind.keepsKnownIntegers = true;
}
