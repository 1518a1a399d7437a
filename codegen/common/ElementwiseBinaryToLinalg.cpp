//===- ElementwiseBinaryToLinalg.cpp - Broadcasting binary ops --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// add, sub, mul, div, rem, maximum, minimum: one `linalg.generic` each, whose
// indexing maps encode NumPy broadcasting (a size-1 operand dimension reads
// index 0), so upstream elementwise fusion merges bias add + activation.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// The float op on float operands, the integer one on i32/i64.
template <typename FloatOp, typename IntOp>
Value floatOrInt(OpBuilder &b, Location loc, ValueRange args) {
  if (isa<FloatType>(args[0].getType()))
    return FloatOp::create(b, loc, args[0], args[1]);
  return IntOp::create(b, loc, args[0], args[1]);
}

// lhs + rhs, lhs - rhs, lhs * rhs, lhs / rhs; integers (ONNX's index
// arithmetic) wrap
KILN_ELEMENTWISE_LOWERING(
    AddLowering, AddOp,
    return (floatOrInt<arith::AddFOp, arith::AddIOp>(b, loc, args));)
KILN_ELEMENTWISE_LOWERING(
    SubLowering, SubOp,
    return (floatOrInt<arith::SubFOp, arith::SubIOp>(b, loc, args));)
KILN_ELEMENTWISE_LOWERING(
    MulLowering, MulOp,
    return (floatOrInt<arith::MulFOp, arith::MulIOp>(b, loc, args));)
KILN_ELEMENTWISE_LOWERING(DivLowering, DivOp,
                          return arith::DivFOp::create(b, loc, args[0],
                                                       args[1]);)
/// fmod(x, y) of f32 (or narrower) x and y, exact, in straight-line code
/// that runs the same on the CPU and the GPU (where LLVM's frem becomes
/// x - trunc(x / y) * y, which fmod(1e8, 3) = 1 shows wrong: -2).
/// In f64, |x| is reduced modulo |y| * 2^(29 s) for s = 9 down to 0: each
/// quotient is below 2^29 (|x| < 2^128, |y| >= 2^-149, so 2^277 at most
/// overall), so n * A is exact in f64's 53 bits, the remainder r - n * A
/// exact, and one step of +-A mends an n that the division rounded to the
/// neighbouring integer. The result, below |y|, is an f32 value.
/// f64 operands (`kiln gradcheck`'s, on the CPU only) take LLVM's frem,
/// which the CPU computes as C's fmod.
static Value exactFmod(OpBuilder &b, Location loc, Value x, Value y) {
  Type narrow = x.getType(), f64 = b.getF64Type();
  if (narrow.getIntOrFloatBitWidth() >= 64)
    return arith::RemFOp::create(b, loc, x, y);
  Value x64 = arith::ExtFOp::create(b, loc, f64, x);
  Value a = math::AbsFOp::create(b, loc, arith::ExtFOp::create(b, loc, f64, y));
  Value r = math::AbsFOp::create(b, loc, x64);
  Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  for (int s = 9; s >= 0; --s) {
    Value scale = arith::ConstantOp::create(
        b, loc, b.getF64FloatAttr(std::ldexp(1.0, 29 * s)));
    Value step = arith::MulFOp::create(b, loc, a, scale);
    Value n =
        math::TruncOp::create(b, loc, arith::DivFOp::create(b, loc, r, step));
    r = arith::SubFOp::create(b, loc, r,
                              arith::MulFOp::create(b, loc, n, step));
    Value low =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, r, zero);
    r = arith::SelectOp::create(b, loc, low,
                                arith::AddFOp::create(b, loc, r, step), r);
    Value high =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, r, step);
    r = arith::SelectOp::create(b, loc, high,
                                arith::SubFOp::create(b, loc, r, step), r);
  }
  Value result = arith::TruncFOp::create(
      b, loc, narrow, math::CopySignOp::create(b, loc, r, x64));
  // An infinite y leaves a finite x as it is (the steps would make NaN).
  Value inf = arith::ConstantOp::create(
      b, loc, b.getF64FloatAttr(std::numeric_limits<double>::infinity()));
  Value yInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a, inf);
  Value xFinite = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                        math::AbsFOp::create(b, loc, x64), inf);
  return arith::SelectOp::create(
      b, loc, arith::AndIOp::create(b, loc, yInf, xFinite), x, result);
}
KILN_ELEMENTWISE_LOWERING(RemLowering, RemOp,
                          return exactFmod(b, loc, args[0], args[1]);)
// max/min, NaN-propagating as TensorFlow's maximum/minimum; integers signed
KILN_ELEMENTWISE_LOWERING(
    MaximumLowering, MaximumOp,
    return (floatOrInt<arith::MaximumFOp, arith::MaxSIOp>(b, loc, args));)
KILN_ELEMENTWISE_LOWERING(
    MinimumLowering, MinimumOp,
    return (floatOrInt<arith::MinimumFOp, arith::MinSIOp>(b, loc, args));)

} // namespace

void mlir::kiln::populateElementwiseBinaryToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AddLowering, SubLowering, MulLowering, DivLowering, RemLowering,
               MaximumLowering, MinimumLowering>(patterns.getContext());
}
