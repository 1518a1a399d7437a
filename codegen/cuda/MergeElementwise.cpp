//===- MergeElementwise.cpp - One kernel for neighbouring maps --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-merge-elementwise`: neighbouring elementwise generics over
// the same static space become one generic with several outputs (an
// optimizer's update of one parameter: one kernel). See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cuda/Contraction.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_MERGEELEMENTWISEPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// An elementwise generic on buffers: parallel loops of static extents,
/// outputs written element for element (identity maps), a body without
/// effects.
bool isElementwise(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
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

/// Generics that run as one: each reads what an earlier one wrote only
/// as that op's output value, element for element, and writes nothing an
/// earlier one read or wrote. Entry arguments are distinct buffers, and so
/// are allocations (DESIGN.md, contract 2).
class Group {
public:
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
    for (Value output : op.getDpsInits()) {
      Value root = rootBuffer(output);
      if (read.contains(root) || written.contains(root))
        return false;
    }
    return true;
  }

  void add(linalg::GenericOp op) {
    members.push_back(op);
    for (Value input : op.getDpsInputs())
      read.insert(rootBuffer(input));
    for (Value output : op.getDpsInits()) {
      written.insert(rootBuffer(output));
      outputs.insert(output);
    }
  }

  /// Replaces two or more members by one generic where the last one was.
  void merge() {
    if (members.size() >= 2)
      build();
    members.clear();
    read.clear();
    written.clear();
    outputs.clear();
  }

private:
  void build() {
    linalg::GenericOp last = members.back();
    OpBuilder b(last);
    SmallVector<Value> inputs, inits;
    SmallVector<AffineMap> inputMaps, initMaps;
    for (linalg::GenericOp op : members)
      for (OpOperand *input : op.getDpsInputOperands())
        if (!outputs.contains(input->get()) ||
            !written.contains(rootBuffer(input->get()))) {
          inputs.push_back(input->get());
          inputMaps.push_back(op.getMatchingIndexingMap(input));
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
        Value value =
            found != yielded.end() && written.contains(rootBuffer(input->get()))
                ? found->second
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

  SmallVector<linalg::GenericOp> members;
  llvm::SmallDenseSet<Value> read, written, outputs;
};

void mergeIn(Block &block) {
  Group group;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        mergeIn(nested);
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (generic && isElementwise(generic)) {
      if (!group.accepts(generic))
        group.merge();
      group.add(generic);
      continue;
    }
    // Index arithmetic and views between members stay where they are:
    // the merged op, where the last member was, sees them all.
    if (touchesMemory(&op))
      group.merge();
  }
  group.merge();
}

struct MergeElementwisePass
    : public kiln::impl::MergeElementwisePassBase<MergeElementwisePass> {
  void runOnOperation() override {
    for (Block &block : getOperation().getBody())
      mergeIn(block);
  }
};

} // namespace
