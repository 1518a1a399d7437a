//===- DefineLibdevice.cpp - libdevice functions as intrinsics --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-define-libdevice`: upstream's GPU-to-NVVM conversion turns
// floor, ceil, sqrt, fma, copysign and their kin into calls of libdevice's
// `__nv_*` functions, which only the CUDA toolkit ships. kiln needs no
// toolkit to compile, so the calls it knows get bodies of the LLVM
// intrinsics that the NVPTX backend selects to single PTX instructions
// (cvt.rmi, sqrt.rn, fma.rn, ...); inlined by LLVM, nothing is called. The
// transcendental functions never get here: ApproximateMath rewrote them.
// A call this pass does not know stays undefined, and the driver refuses
// the PTX naming it.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_DEFINELIBDEVICEPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

using Body = Value (*)(OpBuilder &, Location, ValueRange);

template <typename OpTy>
Value unary(OpBuilder &b, Location loc, ValueRange args) {
  return OpTy::create(b, loc, args[0]);
}

template <typename OpTy>
Value binary(OpBuilder &b, Location loc, ValueRange args) {
  return OpTy::create(b, loc, args[0], args[1]);
}

Value fma(OpBuilder &b, Location loc, ValueRange args) {
  return LLVM::FMAOp::create(b, loc, args[0], args[1], args[2]);
}

Value rsqrt(OpBuilder &b, Location loc, ValueRange args) {
  Value one = LLVM::ConstantOp::create(b, loc, args[0].getType(),
                                       b.getFloatAttr(args[0].getType(), 1.0));
  return LLVM::FDivOp::create(b, loc, one,
                              LLVM::SqrtOp::create(b, loc, args[0]));
}

/// The body of libdevice function `name` (f32 "...f" or f64) and the
/// number of arguments it takes, if known. Not fmod: NVPTX expands frem as
/// x - trunc(x / y) * y, which is not fmod's exact remainder
/// (fmod(1e8, 3) = 1, that gives -2).
std::pair<Body, size_t> bodyOf(StringRef name) {
  name.consume_back("f");
  return llvm::StringSwitch<std::pair<Body, size_t>>(name)
      .Case("__nv_fma", {fma, 3})
      .Case("__nv_floor", {unary<LLVM::FFloorOp>, 1})
      .Case("__nv_ceil", {unary<LLVM::FCeilOp>, 1})
      .Case("__nv_trunc", {unary<LLVM::FTruncOp>, 1})
      .Case("__nv_rint", {unary<LLVM::RoundEvenOp>, 1})
      .Case("__nv_round", {unary<LLVM::RoundOp>, 1})
      .Case("__nv_fabs", {unary<LLVM::FAbsOp>, 1})
      .Case("__nv_sqrt", {unary<LLVM::SqrtOp>, 1})
      .Case("__nv_rsqrt", {rsqrt, 1})
      .Case("__nv_copysign", {binary<LLVM::CopySignOp>, 2})
      .Case("__nv_fmin", {binary<LLVM::MinNumOp>, 2})
      .Case("__nv_fmax", {binary<LLVM::MaxNumOp>, 2})
      .Default({nullptr, 0});
}

struct DefineLibdevicePass
    : public kiln::impl::DefineLibdevicePassBase<DefineLibdevicePass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::LLVMFuncOp func) {
      if (!func.isExternal() || !func.getName().starts_with("__nv_"))
        return;
      auto [body, arity] = bodyOf(func.getName());
      LLVM::LLVMFunctionType type = func.getFunctionType();
      Type result = type.getReturnType();
      if (!body || type.isVarArg() || type.getNumParams() != arity ||
          !isa<FloatType>(result) ||
          !llvm::all_of(type.getParams(),
                        [&](Type param) { return param == result; }))
        return;
      OpBuilder b(func.getContext());
      Block *entry = func.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      Value value = body(b, func.getLoc(), entry->getArguments());
      LLVM::ReturnOp::create(b, func.getLoc(), value);
      func.setLinkage(LLVM::Linkage::Internal);
    });
  }
};

} // namespace
