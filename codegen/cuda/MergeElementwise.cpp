//===- MergeElementwise.cpp - One kernel for neighbouring maps --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-merge-elementwise`: neighbouring elementwise generics over
// the same static space become one generic with several outputs (an
// optimizer's update of one parameter: one kernel).
// `--kiln-cuda-merge-independent`: independent neighbouring elementwise
// generics over any static spaces become one parallel loop (the updates of
// all parameters: one kernel). See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cuda/Contraction.h"
#include "codegen/cuda/MergeRuns.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_MERGEELEMENTWISEPASS
#define GEN_PASS_DEF_MERGEINDEPENDENTPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// An elementwise generic on buffers: parallel loops of static extents
/// (none: a scalar's, such as a loss's mean or a gradient's seed), outputs
/// written element for element (identity maps), a body without effects.
bool isElementwise(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() ||
      op.getNumLoops() != op.getNumParallelLoops() ||
      op->getNumResults() != 0 ||
      llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
    return false;
  for (OpOperand &output : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&output).isIdentity())
      return false;
  return llvm::all_of(op.getBlock()->without_terminator(), [](Operation &op) {
    return isPure(&op) && op.getNumRegions() == 0;
  });
}

/// The generics gathered for one merge, and the buffers they read and
/// write, compared by the value they are views of: entry arguments are
/// distinct buffers, and so are allocations (DESIGN.md, contract 2).
class Members {
protected:
  /// Whether `op` writes a buffer the members read or write.
  bool overwrites(linalg::GenericOp op) const {
    for (Value output : op.getDpsInits()) {
      Value root = rootBuffer(output);
      if (read.contains(root) || written.contains(root))
        return true;
    }
    return false;
  }
  void addMember(linalg::GenericOp op) {
    members.push_back(op);
    for (Value input : op.getDpsInputs())
      read.insert(rootBuffer(input));
    for (Value output : op.getDpsInits())
      written.insert(rootBuffer(output));
  }
  void clearMembers() {
    members.clear();
    read.clear();
    written.clear();
  }

  SmallVector<linalg::GenericOp> members;
  llvm::SmallDenseSet<Value> read, written;
};

/// Generics that run as one: each reads what an earlier one wrote only
/// as that op's output value, element for element, and writes nothing an
/// earlier one read or wrote.
class Group : Members {
public:
  using Op = linalg::GenericOp;
  static bool candidate(linalg::GenericOp op) { return isElementwise(op); }
  bool accepts(linalg::GenericOp op) const {
    if (members.empty())
      return true;
    linalg::GenericOp first = members.front();
    if (op.getStaticLoopRanges() != first.getStaticLoopRanges())
      return false;
    for (OpOperand *input : op.getDpsInputOperands()) {
      Value root = rootBuffer(input->get());
      if (!written.contains(root))
        continue;
      if (!outputs.contains(input->get()) ||
          !op.getMatchingIndexingMap(input).isIdentity())
        return false;
    }
    return !overwrites(op);
  }

  void add(linalg::GenericOp op) {
    addMember(op);
    for (Value output : op.getDpsInits())
      outputs.insert(output);
  }

  /// Replaces two or more members by one generic where the last one was.
  void merge() {
    if (members.size() >= 2)
      build();
    clearMembers();
    outputs.clear();
  }

private:
  void build() {
    linalg::GenericOp last = members.back();
    OpBuilder b(last);
    SmallVector<Value> inputs, inits;
    SmallVector<AffineMap> inputMaps, initMaps;
    // An input an earlier member wrote is that member's yielded value; any
    // other (a member's own output, read before it writes it in place: an
    // update such as w -= g) is read from its buffer.
    llvm::SmallDenseSet<Value> earlier;
    for (linalg::GenericOp op : members) {
      for (OpOperand *input : op.getDpsInputOperands())
        if (!earlier.contains(input->get())) {
          inputs.push_back(input->get());
          inputMaps.push_back(op.getMatchingIndexingMap(input));
        }
      earlier.insert(op.getDpsInits().begin(), op.getDpsInits().end());
    }
    for (linalg::GenericOp op : members)
      for (OpOperand &init : op.getDpsInitsMutable()) {
        inits.push_back(init.get());
        initMaps.push_back(op.getMatchingIndexingMap(&init));
      }
    SmallVector<AffineMap> maps(inputMaps);
    maps.append(initMaps);
    auto merged =
        linalg::GenericOp::create(b, last.getLoc(), TypeRange{}, inputs, inits,
                                  maps, last.getIteratorTypesArray());
    Block *body = b.createBlock(&merged.getRegion());
    auto elementOf = [](Value buffer) {
      return cast<ShapedType>(buffer.getType()).getElementType();
    };
    for (Value value : llvm::concat<Value>(inputs, inits))
      body->addArgument(elementOf(value), value.getLoc());

    // Each member's body in order; what it yields for an output is what a
    // later member reads of it.
    DenseMap<Value, Value> yielded;
    unsigned nextInput = 0, nextInit = inputs.size();
    SmallVector<Value> results;
    for (linalg::GenericOp op : members) {
      Block *own = op.getBlock();
      IRMapping mapping;
      for (OpOperand *input : op.getDpsInputOperands()) {
        auto found = yielded.find(input->get());
        Value value = found != yielded.end() ? found->second
                                             : body->getArgument(nextInput++);
        mapping.map(own->getArgument(input->getOperandNumber()), value);
      }
      for (OpOperand &init : op.getDpsInitsMutable())
        mapping.map(own->getArgument(init.getOperandNumber()),
                    body->getArgument(nextInit++));
      for (Operation &nested : own->without_terminator())
        b.clone(nested, mapping);
      for (auto [init, value] : llvm::zip_equal(
               op.getDpsInits(), own->getTerminator()->getOperands())) {
        Value result = mapping.lookupOrDefault(value);
        yielded[init] = result;
        results.push_back(result);
      }
    }
    linalg::YieldOp::create(b, last.getLoc(), results);
    for (linalg::GenericOp op : members)
      op.erase();
  }

  llvm::SmallDenseSet<Value> outputs; // the members' output buffers
};

struct MergeElementwisePass
    : public kiln::impl::MergeElementwisePassBase<MergeElementwisePass> {
  void runOnOperation() override {
    for (Block &block : getOperation().getBody())
      mergeRuns(block, Group());
  }
};

//===----------------------------------------------------------------------===//
// Independent generics
//===----------------------------------------------------------------------===//

/// Elementwise generics that touch no buffer another one writes, run as one
/// parallel loop over their spaces laid end to end, whose operands fit in
/// `maxParamBytes` of kernel parameters.
class IndependentGroup : Members {
public:
  using Op = linalg::GenericOp;
  explicit IndependentGroup(int64_t maxParamBytes)
      : maxParamBytes(maxParamBytes) {}

  /// Whether `op` may join: it updates no buffer in place, reads nothing
  /// the members write and writes nothing they read or write.
  static bool candidate(linalg::GenericOp op) {
    if (!isElementwise(op))
      return false;
    for (Value output : op.getDpsInits())
      for (Value input : op.getDpsInputs())
        if (rootBuffer(input) == rootBuffer(output))
          return false;
    return true;
  }
  bool accepts(linalg::GenericOp op) const {
    for (Value input : op.getDpsInputs())
      if (written.contains(rootBuffer(input)))
        return false;
    return !overwrites(op) && paramBytes + newParamBytes(op) <= maxParamBytes;
  }

  void add(linalg::GenericOp op) {
    paramBytes += newParamBytes(op);
    for (Value operand : op->getOperands())
      operands.insert(operand);
    addMember(op);
  }

  /// Replaces two or more members by one loop where the last one was.
  void merge() {
    if (members.size() >= 2)
      build();
    clearMembers();
    operands.clear();
    paramBytes = 0;
  }

private:
  void build() {
    linalg::GenericOp last = members.back();
    Location loc = last.getLoc();
    OpBuilder b(last);
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    SmallVector<int64_t> starts, sizes;
    int64_t total = 0;
    for (linalg::GenericOp op : members) {
      starts.push_back(total);
      sizes.push_back(1);
      for (int64_t extent : op.getStaticLoopRanges())
        sizes.back() *= extent;
      total += sizes.back();
    }
    auto loop =
        scf::ParallelOp::create(b, loc, ValueRange{index(0)},
                                ValueRange{index(total)}, ValueRange{index(1)});
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVars()[0];
    // Member k where i - starts[k] (unsigned: below the start it wraps
    // around) is less than its size: one branch each, side by side.
    for (auto [k, op] : llvm::enumerate(members)) {
      OpBuilder::InsertionGuard guard(b);
      Value element = arith::SubIOp::create(b, loc, i, index(starts[k]));
      Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                           element, index(sizes[k]));
      auto branch = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
      b.setInsertionPointToStart(branch.thenBlock());
      emitMember(b, op, element);
    }
    for (linalg::GenericOp op : members)
      op.erase();
  }

  /// The kernel parameters `op`'s operands add to the members': a memref
  /// descriptor (two pointers, the offset, a size and a stride per
  /// dimension) per buffer, 8 bytes per scalar.
  int64_t newParamBytes(linalg::GenericOp op) const {
    llvm::SmallDenseSet<Value> added;
    int64_t bytes = 0;
    for (Value operand : op->getOperands()) {
      if (!operands.contains(operand) && added.insert(operand).second)
        bytes += kernelParamBytes(operand);
    }
    return bytes;
  }

  /// `op`'s iteration at `element` of its space (innermost dimension
  /// fastest).
  static void emitMember(OpBuilder &b, linalg::GenericOp op, Value element) {
    Location loc = op.getLoc();
    SmallVector<int64_t> extents = op.getStaticLoopRanges();
    SmallVector<Value> dims(extents.size());
    Value rest = element;
    for (int64_t d = static_cast<int64_t>(extents.size()) - 1; d >= 0; --d) {
      Value extent = arith::ConstantIndexOp::create(b, loc, extents[d]);
      dims[d] = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, extent);
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, extent);
    }
    emitIterationAt(b, op, dims);
  }

  int64_t maxParamBytes;
  int64_t paramBytes = 0;              // of the members' operands
  llvm::SmallDenseSet<Value> operands; // the members' operands
};

struct MergeIndependentPass
    : public kiln::impl::MergeIndependentPassBase<MergeIndependentPass> {
  using MergeIndependentPassBase::MergeIndependentPassBase;
  void runOnOperation() override {
    for (Block &block : getOperation().getBody())
      mergeRuns(block, IndependentGroup(maxParamBytes));
  }
};

} // namespace
