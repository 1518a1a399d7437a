//===- LinearOps.cpp - ONNX Gemm, MatMul and Einsum -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Gemm is `kiln.matmul` of the (transposed) operands, scaled, plus the
// (scaled) C broadcast to the result. MatMul is NumPy's matmul: a rank-1
// operand gains a unit dimension that the result drops; a 2-D right operand
// is `kiln.matmul` over the left one's last axis (any rank); batched
// operands broadcast their batch dimensions and run as `kiln.batch_matmul`.
// Einsum goes through the einsum both importers share (frontend/Einsum.h).
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxOps.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"
#include "frontend/Einsum.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

// Gemm(A, B, C) = alpha * A' @ B' + beta * C
static FailureOr<NodeOutputs> importGemm(NodeBuilder &node) {
  FailureOr<float> alpha = node.getFloat("alpha", 1.0f);
  FailureOr<float> beta = node.getFloat("beta", 1.0f);
  FailureOr<int64_t> transA = node.getInt("transA", 0);
  FailureOr<int64_t> transB = node.getInt("transB", 0);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> aInfo =
      node.inputInfo(0);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> bInfo =
      node.inputInfo(1);
  if (failed(alpha) || failed(beta) || failed(transA) || failed(transB) ||
      failed(aInfo) || failed(bInfo))
    return failure();
  if (aInfo->first.size() != 2 || bInfo->first.size() != 2) {
    node.emitError() << "A and B must be matrices, got "
                     << formatKerasShape(aInfo->first) << " and "
                     << formatKerasShape(bInfo->first);
    return failure();
  }
  // A transposed operand that is an initializer is stored transposed (a
  // PyTorch Linear's weight, transB = 1): no transpose when the model runs.
  SmallVector<int64_t> swap{1, 0};
  auto rightOperand = [&]() {
    return *transB ? node.transposedInput(1, swap) : node.input(1);
  };
  OpBuilder &builder = node.builder;
  // The product: of a held A ((seq * batch, E) of PyTorch's attention) in
  // its held layout, scaled and biased there; of the file's A otherwise.
  Value y;
  std::optional<HeldLayout> held;
  if (node.heldTransposed(0) && !*transA) {
    FailureOr<HeldValue> a = node.heldInput(0);
    FailureOr<Value> b =
        succeeded(a) ? rightOperand() : FailureOr<Value>(failure());
    if (failed(b))
      return failure();
    FailureOr<OnnxValue> product = node.matmulHeld(*a, *b);
    if (failed(product))
      return failure();
    y = product->value;
    held = product->held;
  } else {
    FailureOr<Value> a =
        *transA ? node.transposedInput(0, swap) : node.input(0);
    FailureOr<Value> b =
        succeeded(a) ? rightOperand() : FailureOr<Value>(failure());
    if (failed(b))
      return failure();
    if (node.typeOf(*a).getShape()[1] != node.typeOf(*b).getShape()[0]) {
      node.emitError() << "inner dimensions differ: "
                       << formatKerasShape(node.typeOf(*a).getShape())
                       << " @ " << formatKerasShape(node.typeOf(*b).getShape());
      return failure();
    }
    y = MatMulOp::create(builder, node.loc, *a, *b);
  }
  if (*alpha != 1.0f)
    y = MulOp::create(builder, node.loc, y, node.scalar(*alpha));
  if (node.hasInput(2) && *beta != 0.0f) {
    FailureOr<Value> c = node.input(2);
    if (succeeded(c) && held)
      c = node.intoHeldFrame(*c, HeldValue{y, *held}, "C");
    if (failed(c))
      return failure();
    Value bias = *c;
    if (*beta != 1.0f)
      bias = MulOp::create(builder, node.loc, bias, node.scalar(*beta));
    y = AddOp::create(builder, node.loc, y, bias);
  }
  return NodeOutputs{held ? node.fromHeld(y, *held) : OnnxValue::ofValue(y)};
}

/// `x` broadcast to batch dimensions `batch` (then its last two):
/// multiplied by ones of shape (batch..., 1, 1).
static Value broadcastBatch(NodeBuilder &node, Value x,
                            ArrayRef<int64_t> batch) {
  ArrayRef<int64_t> shape = node.typeOf(x).getShape();
  if (shape.drop_back(2) == batch)
    return x;
  SmallVector<int64_t> onesShape(batch);
  onesShape.append({1, 1});
  int64_t n = 1;
  for (int64_t d : batch)
    n *= d;
  std::vector<float> ones(n, 1.0f);
  return MulOp::create(node.builder, node.loc, x,
                       node.constant(onesShape, ones));
}

// MatMul: NumPy's matmul.
/// MatMul with an operand held batch-first (PyTorch's attention: (seq,
/// batch, E) by a matrix, (batch * heads, seq, head_dim) by another such):
/// the product in the held layout.
static FailureOr<NodeOutputs> matmulHeldOperands(NodeBuilder &node) {
  FailureOr<HeldValue> a = node.heldInput(0);
  if (failed(a))
    return failure();
  FailureOr<OnnxValue> y = failure();
  if (!node.isBatched(1)) {
    FailureOr<Value> b = node.input(1);
    if (failed(b))
      return failure();
    y = node.matmulHeld(*a, *b);
  } else {
    FailureOr<HeldValue> b = node.heldInput(1);
    if (failed(b))
      return failure();
    y = node.batchMatmulHeld(*a, *b);
  }
  if (failed(y))
    return failure();
  return NodeOutputs{std::move(*y)};
}

static FailureOr<NodeOutputs> importMatMul(NodeBuilder &node) {
  if (node.heldTransposed(0) || node.heldTransposed(1)) {
    if (!node.isBatched(0)) {
      node.emitError() << "multiplies a tensor without the dynamic batch by "
                          "one held batch-first (a fixed batch, "
                          "--input-shape, compiles such a model)";
      return failure();
    }
    return matmulHeldOperands(node);
  }
  FailureOr<Value> a = node.input(0);
  FailureOr<Value> b = node.input(1);
  if (failed(a) || failed(b))
    return failure();
  SmallVector<int64_t> aShape(node.typeOf(*a).getShape());
  SmallVector<int64_t> bShape(node.typeOf(*b).getShape());
  if (aShape.empty() || bShape.empty()) {
    node.emitError() << "operands must not be scalars";
    return failure();
  }
  bool vectorA = aShape.size() == 1, vectorB = bShape.size() == 1;
  Value lhs = vectorA ? node.reshape(*a, {1, aShape[0]}) : *a;
  Value rhs = vectorB ? node.reshape(*b, {bShape[0], 1}) : *b;
  aShape.assign(node.typeOf(lhs).getShape().begin(),
                node.typeOf(lhs).getShape().end());
  bShape.assign(node.typeOf(rhs).getShape().begin(),
                node.typeOf(rhs).getShape().end());
  int64_t k = aShape.back();
  if (ShapedType::isDynamic(k) || k != bShape[bShape.size() - 2]) {
    node.emitError() << "inner dimensions differ: " << formatKerasShape(aShape)
                     << " @ " << formatKerasShape(bShape);
    return failure();
  }
  OpBuilder &builder = node.builder;
  Value y;
  SmallVector<int64_t> outShape;
  if (bShape.size() == 2) {
    y = MatMulOp::create(builder, node.loc, lhs, rhs);
    outShape.assign(aShape.begin(), aShape.end() - 1);
    outShape.push_back(bShape[1]);
  } else {
    std::string reason;
    FailureOr<SmallVector<int64_t>> batch =
        broadcastShapes(ArrayRef<int64_t>(aShape).drop_back(2),
                        ArrayRef<int64_t>(bShape).drop_back(2), reason);
    if (failed(batch)) {
      node.emitError() << "batch dimensions: " << reason;
      return failure();
    }
    if (llvm::any_of(*batch, ShapedType::isDynamic) &&
        (aShape.size() != bShape.size() ||
         ArrayRef<int64_t>(aShape).drop_back(2) !=
             ArrayRef<int64_t>(bShape).drop_back(2))) {
      node.emitError() << "a dynamic batch dimension must be the same in "
                          "both operands";
      return failure();
    }
    int64_t m = aShape[aShape.size() - 2], n = bShape.back(), count = 1;
    for (int64_t d : *batch)
      count = ShapedType::isDynamic(d) || ShapedType::isDynamic(count)
                  ? ShapedType::kDynamic
                  : count * d;
    Value l = node.reshape(broadcastBatch(node, lhs, *batch), {count, m, k});
    Value r = node.reshape(broadcastBatch(node, rhs, *batch), {count, k, n});
    y = BatchMatMulOp::create(builder, node.loc, l, r);
    outShape.assign(batch->begin(), batch->end());
    outShape.append({m, n});
    y = node.reshape(y, outShape);
  }
  if (vectorA || vectorB) {
    SmallVector<int64_t> dropped(outShape);
    if (vectorB)
      dropped.pop_back();
    if (vectorA)
      dropped.erase(dropped.end() - (vectorB ? 1 : 2));
    y = node.reshape(y, dropped);
  }
  return single(y);
}

// Einsum: NumPy's einsum of any number of operands (frontend/Einsum.h).
static FailureOr<NodeOutputs> importEinsum(NodeBuilder &node) {
  FailureOr<std::string> equation = node.getString("equation", "");
  if (failed(equation))
    return failure();
  SmallVector<Value> operands;
  SmallVector<int64_t> ranks;
  for (int64_t i = 0; i < node.numInputs(); ++i) {
    FailureOr<Value> x = node.input(i);
    if (failed(x))
      return failure();
    operands.push_back(*x);
    ranks.push_back(node.typeOf(*x).getRank());
  }
  std::string reason;
  FailureOr<EinsumEquation> eq = parseEinsum(*equation, ranks, reason);
  FailureOr<Value> y = failure();
  if (succeeded(eq))
    y = buildEinsum(node.builder, node.loc, *eq, operands, reason);
  if (failed(y)) {
    node.emitError() << "equation '" << *equation << "': " << reason;
    return failure();
  }
  return single(*y);
}

void mlir::kiln::onnx_import::registerLinearOps(OpRegistry &r) {
  static constexpr StringLiteral gemm[] = {"alpha", "beta", "transA", "transB"};
  // Gemm-6's `broadcast` of C is NumPy's broadcasting of it, always on
  // since 7.
  static constexpr StringLiteral gemm6[] = {"alpha", "beta", "transA", "transB",
                                            "broadcast"};
  r["Gemm"].push_back(OpKind{6, 6, importGemm, gemm6});
  r["Gemm"].push_back(OpKind{7, kNewestOpset, importGemm, gemm});
  r["MatMul"].push_back(OpKind{1, kNewestOpset, importMatMul, {}});
  static constexpr StringLiteral einsum[] = {"equation"};
  r["Einsum"].push_back(OpKind{12, kNewestOpset, importEinsum, einsum});
}
