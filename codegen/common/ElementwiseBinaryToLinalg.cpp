//===- ElementwiseBinaryToLinalg.cpp - Broadcasting binary ops --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// add, sub, mul, div, maximum, minimum: one `linalg.generic` each, whose
// indexing maps encode NumPy broadcasting (a size-1 operand dimension reads
// index 0), so upstream elementwise fusion merges bias add + activation.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

// lhs + rhs, lhs - rhs, lhs * rhs, lhs / rhs; integers (ONNX's index
// arithmetic) wrap
KILN_ELEMENTWISE_LOWERING(
    AddLowering, AddOp,
    return isFloat(args[0])
               ? Value(arith::AddFOp::create(b, loc, args[0], args[1]))
               : Value(arith::AddIOp::create(b, loc, args[0], args[1]));)
KILN_ELEMENTWISE_LOWERING(
    SubLowering, SubOp,
    return isFloat(args[0])
               ? Value(arith::SubFOp::create(b, loc, args[0], args[1]))
               : Value(arith::SubIOp::create(b, loc, args[0], args[1]));)
KILN_ELEMENTWISE_LOWERING(
    MulLowering, MulOp,
    return isFloat(args[0])
               ? Value(arith::MulFOp::create(b, loc, args[0], args[1]))
               : Value(arith::MulIOp::create(b, loc, args[0], args[1]));)
KILN_ELEMENTWISE_LOWERING(DivLowering, DivOp,
                          return arith::DivFOp::create(b, loc, args[0],
                                                       args[1]);)
// max/min, NaN-propagating as TensorFlow's maximum/minimum; integers signed
KILN_ELEMENTWISE_LOWERING(
    MaximumLowering, MaximumOp,
    return isFloat(args[0])
               ? Value(arith::MaximumFOp::create(b, loc, args[0], args[1]))
               : Value(arith::MaxSIOp::create(b, loc, args[0], args[1]));)
KILN_ELEMENTWISE_LOWERING(
    MinimumLowering, MinimumOp,
    return isFloat(args[0])
               ? Value(arith::MinimumFOp::create(b, loc, args[0], args[1]))
               : Value(arith::MinSIOp::create(b, loc, args[0], args[1]));)

} // namespace

void mlir::kiln::populateElementwiseBinaryToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AddLowering, SubLowering, MulLowering, DivLowering,
               MaximumLowering, MinimumLowering>(patterns.getContext());
}
