//===- TensorCore.cpp - Warp matrix products for the tiled GEMM -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The fragment layouts of mma.sync.m16n8k8 (TF32) and m16n8k16 (BF16), from
// the PTX ISA. With g = lane / 4 and t = lane % 4:
//
//   TF32  A reg i: row g + 8 (i & 1), k t + 4 (i >> 1)
//         B reg j: k t + 4 j, column g
//   BF16  A reg i: row g + 8 (i & 1), k 2t + 8 (i >> 1) + h (h = 0 low half)
//         B reg j: k 2t + 8 j + h, column g
//   both  sum q:   row g + 8 (q >> 1), column 2t + (q & 1)
//===----------------------------------------------------------------------===//

#include "codegen/cuda/TensorCore.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kiln;

std::optional<GpuPrecision> mlir::kiln::parseGpuPrecision(StringRef name) {
  return llvm::StringSwitch<std::optional<GpuPrecision>>(name)
      .Case("fp32", GpuPrecision::FP32)
      .Case("tf32", GpuPrecision::TF32)
      .Case("bf16", GpuPrecision::BF16)
      .Default(std::nullopt);
}

namespace {
Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value i32Constant(OpBuilder &b, Location loc, uint32_t v) {
  return arith::ConstantIntOp::create(b, loc, static_cast<int32_t>(v), 32);
}
/// `base` + `offset`, for a static offset.
Value plus(OpBuilder &b, Location loc, Value base, int64_t offset) {
  return offset ? arith::AddIOp::create(b, loc, base,
                                        indexConstant(b, loc, offset))
                : base;
}
/// (lane / 4, lane % 4): the group and the thread in the group.
std::pair<Value, Value> groupOf(OpBuilder &b, Location loc, Value lane) {
  Value four = indexConstant(b, loc, 4);
  return {arith::DivUIOp::create(b, loc, lane, four),
          arith::RemUIOp::create(b, loc, lane, four)};
}
Value bitsOf(OpBuilder &b, Location loc, Value f) {
  return arith::BitcastOp::create(b, loc, b.getI32Type(), f);
}
Value floatOf(OpBuilder &b, Location loc, Value bits) {
  return arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
}
/// Two rounded BF16 values in one register, `low` in the low half.
Value pack(OpBuilder &b, Location loc, Value low, Value high) {
  return arith::OrIOp::create(
      b, loc,
      arith::AndIOp::create(b, loc, bitsOf(b, loc, high),
                            i32Constant(b, loc, 0xffff0000u)),
      arith::ShRUIOp::create(b, loc, bitsOf(b, loc, low),
                             i32Constant(b, loc, 16)));
}
/// Half `half` (0: low) of a register of two BF16 values, as a float.
Value unpack(OpBuilder &b, Location loc, Value reg, int64_t half) {
  return floatOf(b, loc,
                 half ? Value(arith::AndIOp::create(
                            b, loc, reg, i32Constant(b, loc, 0xffff0000u)))
                      : Value(arith::ShLIOp::create(b, loc, reg,
                                                    i32Constant(b, loc, 16))));
}
} // namespace

Value WarpMma::round(OpBuilder &b, Location loc, Value value,
                     bool onGpu) const {
  if (onGpu && precision == GpuPrecision::TF32)
    return floatOf(b, loc,
                   NVVM::ConvertFloatToTF32Op::create(
                       b, loc, b.getI32Type(), value, NVVM::FPRoundingMode::RNA,
                       NVVM::SaturationMode::NONE, /*relu=*/false));
  if (onGpu)
    // fptrunc: to nearest, ties to even.
    return arith::ExtFOp::create(
        b, loc, b.getF32Type(),
        Value(arith::TruncFOp::create(b, loc, b.getBF16Type(), value)));
  Value bits = bitsOf(b, loc, value);
  Value rounded;
  if (precision == GpuPrecision::TF32) {
    // Half of the last kept place added to the magnitude: ties go away
    // from zero.
    rounded = arith::AndIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, bits, i32Constant(b, loc, 0x1000u)),
        i32Constant(b, loc, 0xffffe000u));
  } else {
    // Ties to the even one of the two.
    Value odd = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, bits, i32Constant(b, loc, 16)),
        i32Constant(b, loc, 1));
    rounded = arith::AndIOp::create(
        b, loc,
        arith::AddIOp::create(
            b, loc, bits,
            arith::AddIOp::create(b, loc, odd, i32Constant(b, loc, 0x7fffu))),
        i32Constant(b, loc, 0xffff0000u));
  }
  // A NaN whose payload sits in the dropped bits would round to an
  // infinity: it keeps its bits and is made quiet instead.
  Value magnitude =
      arith::AndIOp::create(b, loc, bits, i32Constant(b, loc, 0x7fffffffu));
  Value nan =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, magnitude,
                            i32Constant(b, loc, 0x7f800000u));
  Value quiet =
      arith::OrIOp::create(b, loc, bits, i32Constant(b, loc, 0x00400000u));
  return floatOf(b, loc, arith::SelectOp::create(b, loc, nan, quiet, rounded));
}

namespace {
/// One 32-bit register of a fragment of `tile` (memref<K x N>, k-major) at
/// `index` (a row of A or a column of B): for the thread t of its group,
/// the step k0 + t + 4 q (TF32), or steps k0 + 2t + 8 q and the one after
/// it (BF16: low and high half).
Value loadRegister(OpBuilder &b, Location loc, GpuPrecision precision,
                   Value tile, Value k0, Value t, int64_t q, Value index) {
  if (precision == GpuPrecision::TF32) {
    Value k = plus(b, loc, arith::AddIOp::create(b, loc, k0, t), 4 * q);
    return bitsOf(b, loc,
                  memref::LoadOp::create(b, loc, tile, ValueRange{k, index}));
  }
  Value k =
      plus(b, loc,
           arith::AddIOp::create(
               b, loc, k0,
               arith::MulIOp::create(b, loc, t, indexConstant(b, loc, 2))),
           8 * q);
  Value low = memref::LoadOp::create(b, loc, tile, ValueRange{k, index});
  Value high = memref::LoadOp::create(b, loc, tile,
                                      ValueRange{plus(b, loc, k, 1), index});
  return pack(b, loc, low, high);
}
} // namespace

SmallVector<Value> WarpMma::loadA(OpBuilder &b, Location loc, Value tile,
                                  Value k0, Value row0, Value lane) const {
  auto [g, t] = groupOf(b, loc, lane);
  Value row = arith::AddIOp::create(b, loc, row0, g);
  SmallVector<Value> regs;
  for (int64_t i = 0; i < kARegs; ++i)
    regs.push_back(loadRegister(b, loc, precision, tile, k0, t, i >> 1,
                                plus(b, loc, row, 8 * (i & 1))));
  return regs;
}

SmallVector<Value> WarpMma::loadB(OpBuilder &b, Location loc, Value tile,
                                  Value k0, Value col0, Value lane) const {
  auto [g, t] = groupOf(b, loc, lane);
  Value col = arith::AddIOp::create(b, loc, col0, g);
  SmallVector<Value> regs;
  for (int64_t j = 0; j < kBRegs; ++j)
    regs.push_back(loadRegister(b, loc, precision, tile, k0, t, j, col));
  return regs;
}

SmallVector<Value> WarpMma::multiply(OpBuilder &b, Location loc, ValueRange a,
                                     ValueRange bRegs, ValueRange acc) const {
  Type f32 = b.getF32Type();
  auto result =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes type = precision == GpuPrecision::TF32 ? NVVM::MMATypes::tf32
                                                        : NVVM::MMATypes::bf16;
  auto mma = NVVM::MmaOp::create(
      b, loc, result, a, bRegs, acc, ArrayRef<int64_t>{16, 8, kSteps()},
      /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
      std::array<NVVM::MMATypes, 2>{type, type},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> sums;
  for (int64_t q = 0; q < kSums; ++q)
    sums.push_back(LLVM::ExtractValueOp::create(b, loc, mma, q));
  return sums;
}

SmallVector<Value>
WarpMma::emulate(OpBuilder &b, Location loc,
                 function_ref<Value(OpBuilder &, Value, int64_t)> fragA,
                 function_ref<Value(OpBuilder &, Value, int64_t)> fragB,
                 Value lane, ValueRange acc) const {
  auto [g, t] = groupOf(b, loc, lane);
  Value four = indexConstant(b, loc, 4);
  bool tf32 = precision == GpuPrecision::TF32;
  // Where element (row, k) of A and (k, column) of B live: the lane that
  // holds it, its register and (BF16) the half of the register.
  auto lanesPerK = [&](int64_t k) { return tf32 ? k % 4 : (k % 8) / 2; };
  auto regPerK = [&](int64_t k) { return tf32 ? k / 4 : k / 8; };
  auto element = [&](Value reg, int64_t k) {
    return tf32 ? floatOf(b, loc, reg) : unpack(b, loc, reg, k % 2);
  };
  SmallVector<Value> sums(acc);
  for (int64_t q = 0; q < kSums; ++q) {
    // Sum q's row is g + 8 (q >> 1): A's rows g and g + 8 sit in lanes
    // 4g + ..., registers 0 and 1 (+ 2 for the upper k). Its column
    // 2t + (q & 1) is held by lanes 4 (2t + (q & 1)) + ....
    Value column =
        plus(b, loc, arith::MulIOp::create(b, loc, t, indexConstant(b, loc, 2)),
             q & 1);
    Value aLanes = arith::MulIOp::create(b, loc, g, four);
    Value bLanes = arith::MulIOp::create(b, loc, column, four);
    for (int64_t k = 0; k < kSteps(); ++k) {
      Value a = element(fragA(b, plus(b, loc, aLanes, lanesPerK(k)),
                              (q >> 1) + 2 * regPerK(k)),
                        k);
      Value v =
          element(fragB(b, plus(b, loc, bLanes, lanesPerK(k)), regPerK(k)), k);
      sums[q] = math::FmaOp::create(b, loc, a, v, sums[q]);
    }
  }
  return sums;
}

std::pair<Value, Value> WarpMma::sumAt(OpBuilder &b, Location loc, Value lane,
                                       int64_t q) const {
  auto [g, t] = groupOf(b, loc, lane);
  return {plus(b, loc, g, 8 * (q >> 1)),
          plus(b, loc,
               arith::MulIOp::create(b, loc, t, indexConstant(b, loc, 2)),
               q & 1)};
}
