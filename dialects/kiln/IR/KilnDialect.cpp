//===- KilnDialect.cpp - kiln dialect registration --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Registers the kiln ops and materializes folded constants as kiln.constant.
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnDialect.h"

using namespace mlir;
using namespace mlir::kiln;

#include "dialects/kiln/IR/KilnOpsDialect.cpp.inc"

#include "dialects/kiln/IR/KilnInterfaces.cpp.inc"

void KilnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/kiln/IR/KilnOps.cpp.inc"
      >();
}

Operation *KilnDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
