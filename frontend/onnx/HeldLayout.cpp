//===- HeldLayout.cpp - Tensors whose batch is not dimension 0 -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln's dynamic batch is the first dimension of every tensor it computes
// with. ONNX files put it elsewhere: a recurrent op's sequence-first
// (seq, batch, hidden), and PyTorch's attention (nn.MultiheadAttention, the
// Transformer layers), which transposes (batch, seq, embed) to
// (seq, batch, embed) and folds the heads into the batch,
// (seq, batch * heads, head_dim), before it unfolds them again. The
// importer holds such a tensor batch-first and records how the file's
// tensor is made of it (HeldLayout): a transpose of the held dimensions
// (the atoms) and a reshape that merges neighbouring atoms. The ops that
// only move or merge dimensions change the record, not the data; the
// elementwise ops and a MatMul by a matrix compute on the held tensor; the
// file's tensor is built (a transpose) as soon as the batch is its first
// dimension on its own again.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxOps.h"

#include "dialects/kiln/IR/KilnDialect.h"

#include "llvm/ADT/STLExtras.h"

#include <numeric>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

ArrayRef<int64_t> HeldLayout::group(int64_t j) const {
  int64_t start = std::accumulate(groups.begin(), groups.begin() + j,
                                  int64_t(0));
  return ArrayRef<int64_t>(atoms).slice(start, groups[j]);
}

int64_t HeldLayout::batchDim() const {
  for (int64_t j = 0; j < rank(); ++j)
    if (llvm::is_contained(group(j), 0))
      return j;
  return -1;
}

/// `x` reshaped to `shape`, any element type; `x` itself when it has it.
static Value reshapeTo(NodeBuilder &node, Value x, ArrayRef<int64_t> shape) {
  auto type = node.typeOf(x).clone(shape);
  if (type == x.getType())
    return x;
  return ReshapeOp::create(node.builder, node.loc, type, x);
}

static bool isIdentity(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (int64_t(i) != p)
      return false;
  return true;
}

static Value transposeTo(NodeBuilder &node, Value x, ArrayRef<int64_t> perm) {
  if (isIdentity(perm))
    return x;
  return TransposeOp::create(node.builder, node.loc, x, perm);
}

bool NodeBuilder::isBatched(int64_t i) {
  if (heldTransposed(i))
    return true;
  if (known(i))
    return false;
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = inputInfo(i);
  return succeeded(info) && !info->first.empty() &&
         ShapedType::isDynamic(info->first[0]);
}

SmallVector<HeldDim> NodeBuilder::heldDims(const HeldValue &x) {
  ArrayRef<int64_t> shape = typeOf(x.value).getShape();
  SmallVector<HeldDim> dims;
  for (int64_t j = 0; j < x.layout.rank(); ++j) {
    HeldDim dim{1, false};
    for (int64_t h : x.layout.group(j)) {
      if (h == 0)
        dim.batch = true;
      else
        dim.factor *= shape[h];
    }
    dims.push_back(dim);
  }
  return dims;
}

OnnxValue NodeBuilder::fromHeld(Value held, HeldLayout layout) {
  // Held dimensions of size 1 go: their atoms carry nothing.
  ArrayRef<int64_t> shape = typeOf(held).getShape();
  SmallVector<int64_t> renumber(shape.size(), -1), kept;
  for (auto [h, size] : llvm::enumerate(shape))
    if (h == 0 || size != 1) {
      renumber[h] = kept.size();
      kept.push_back(size);
    }
  HeldLayout small;
  for (int64_t j = 0; j < layout.rank(); ++j) {
    int64_t count = 0;
    for (int64_t h : layout.group(j))
      if (renumber[h] >= 0) {
        small.atoms.push_back(renumber[h]);
        ++count;
      }
    small.groups.push_back(count);
  }
  held = reshapeTo(*this, held, kept);

  // The batch the file's first dimension on its own: the file's tensor.
  if (small.groups[0] == 1 && small.atoms[0] == 0) {
    SmallVector<int64_t> fileShape;
    for (HeldDim d : heldDims(HeldValue{held, small}))
      fileShape.push_back(d.batch ? ShapedType::kDynamic : d.factor);
    return OnnxValue::ofValue(
        reshapeTo(*this, transposeTo(*this, held, small.atoms), fileShape));
  }

  // Atoms of one group that are neighbours in the held tensor, in order,
  // merge (the batch stays an atom of its own).
  SmallVector<bool> mergesBack(kept.size(), false);
  for (int64_t j = 0; j < small.rank(); ++j) {
    ArrayRef<int64_t> g = small.group(j);
    for (size_t k = 1; k < g.size(); ++k)
      mergesBack[g[k]] = g[k] == g[k - 1] + 1 && g[k - 1] != 0;
  }
  SmallVector<int64_t> merged, mergedId(kept.size());
  for (auto [h, size] : llvm::enumerate(kept)) {
    if (mergesBack[h]) {
      merged.back() *= size;
    } else {
      merged.push_back(size);
    }
    mergedId[h] = merged.size() - 1;
  }
  HeldLayout result;
  for (int64_t j = 0; j < small.rank(); ++j) {
    int64_t count = 0;
    for (int64_t h : small.group(j))
      if (!mergesBack[h]) {
        result.atoms.push_back(mergedId[h]);
        ++count;
      }
    result.groups.push_back(count);
  }
  OnnxValue out = OnnxValue::ofValue(reshapeTo(*this, held, merged));
  out.held = std::move(result);
  return out;
}

std::string mlir::kiln::onnx_import::formatHeldDims(ArrayRef<HeldDim> dims) {
  SmallVector<int64_t> shape;
  for (HeldDim d : dims)
    shape.push_back(d.batch ? ShapedType::kDynamic : d.factor);
  return formatKerasShape(shape);
}

OnnxValue NodeBuilder::fromMergedBatch(Value held, ArrayRef<int64_t> group,
                                       int64_t mergedDim) {
  int64_t fileRank = typeOf(held).getRank() - group.size() + 1;
  int64_t next = group.size();
  HeldLayout layout;
  for (int64_t j = 0; j < fileRank; ++j) {
    if (j == mergedDim) {
      llvm::append_range(layout.atoms, group);
      layout.groups.push_back(group.size());
      continue;
    }
    layout.atoms.push_back(next++);
    layout.groups.push_back(1);
  }
  return fromHeld(held, std::move(layout));
}

FailureOr<OnnxValue> NodeBuilder::reshapeHeld(const HeldValue &x,
                                              ArrayRef<HeldDim> target) {
  SmallVector<int64_t> shape(typeOf(x.value).getShape());
  SmallVector<int64_t> atoms = x.layout.atoms;
  HeldLayout out;
  auto refuse = [&](StringRef why) {
    emitError() << "reshapes " << formatHeldDims(heldDims(x))
                << ", whose dynamic batch is dimension "
                << x.layout.batchDim() << ", into " << formatHeldDims(target)
                << ": " << why;
    return failure();
  };
  // Each target dimension takes the next atoms, in the file's order, whose
  // sizes multiply to its own; an atom across two of them splits in two
  // (held dimension h becomes h and h + 1), the batch's never.
  size_t k = 0;
  for (HeldDim t : target) {
    int64_t count = 0, product = 1;
    bool gotBatch = false;
    while (product != t.factor || t.batch != gotBatch) {
      if (k == atoms.size())
        return refuse("the sizes do not match");
      int64_t h = atoms[k];
      if (h == 0) {
        if (!t.batch || gotBatch)
          return refuse("the batch would move into another dimension");
        gotBatch = true;
      } else if (shape[h] != 1) {
        if (product == t.factor)
          return refuse("the batch would merge with another dimension in "
                        "another order");
        int64_t size = shape[h];
        if (t.factor % (product * size) != 0) {
          int64_t need = t.factor / product;
          if (t.factor % product != 0 || size % need != 0)
            return refuse("the dimensions do not split evenly");
          shape.insert(shape.begin() + h + 1, size / need);
          shape[h] = need;
          for (int64_t &a : atoms)
            a += a > h;
          for (int64_t &a : out.atoms)
            a += a > h;
          atoms.insert(atoms.begin() + k + 1, h + 1);
          size = need;
        }
        product *= size;
      }
      out.atoms.push_back(h);
      ++count;
      ++k;
    }
    out.groups.push_back(count);
  }
  // Atoms of size 1 may be left over.
  for (; k < atoms.size(); ++k) {
    if (shape[atoms[k]] != 1 || out.groups.empty())
      return refuse("the sizes do not match");
    out.atoms.push_back(atoms[k]);
    ++out.groups.back();
  }
  return fromHeld(reshapeTo(*this, x.value, shape), std::move(out));
}

FailureOr<OnnxValue> NodeBuilder::sliceHeld(const HeldValue &x,
                                            ArrayRef<int64_t> start,
                                            ArrayRef<int64_t> count) {
  SmallVector<HeldDim> dims = heldDims(x);
  Value y = x.value;
  for (int64_t d = 0; d < x.layout.rank(); ++d) {
    bool whole = dims[d].batch ? ShapedType::isDynamic(count[d])
                               : count[d] == dims[d].factor;
    if (start[d] == 0 && whole)
      continue;
    ArrayRef<int64_t> atoms = x.layout.group(d);
    if (atoms.size() != 1 || atoms[0] == 0) {
      emitError() << "slices dimension " << d << " of " << formatHeldDims(dims)
                  << ", which the held tensor does not keep as one "
                     "dimension of its own (a fixed batch, --input-shape, "
                     "compiles such a model)";
      return failure();
    }
    y = sliceAxis(y, atoms[0], start[d], count[d]);
  }
  return fromHeld(y, x.layout);
}

OnnxValue NodeBuilder::transposeHeld(const HeldValue &x,
                                     ArrayRef<int64_t> perm) {
  HeldLayout out;
  for (int64_t p : perm) {
    ArrayRef<int64_t> g = x.layout.group(p);
    out.atoms.append(g.begin(), g.end());
    out.groups.push_back(g.size());
  }
  return fromHeld(x.value, std::move(out));
}

FailureOr<Value> NodeBuilder::intoHeldFrame(Value x, const HeldValue &frame,
                                            StringRef what) {
  ArrayRef<int64_t> xShape = typeOf(x).getShape();
  ArrayRef<int64_t> heldShape = typeOf(frame.value).getShape();
  int64_t rank = frame.layout.rank(), offset = rank - int64_t(xShape.size());
  auto refuse = [&]() {
    emitError() << what << " of shape " << formatKerasShape(xShape)
                << " does not broadcast against "
                << formatHeldDims(heldDims(frame))
                << ", whose dynamic batch is dimension "
                << frame.layout.batchDim() << " (held batch-first)";
    return failure();
  };
  if (offset < 0)
    return refuse();
  // `x` split into the atoms of the dimensions it has (1s where it
  // broadcasts), in the file's order.
  SmallVector<int64_t> atomShape, atomHeld;
  for (int64_t j = offset; j < rank; ++j) {
    int64_t size = xShape[j - offset];
    ArrayRef<int64_t> g = frame.layout.group(j);
    int64_t factor = 1;
    bool batch = false;
    for (int64_t h : g) {
      batch |= h == 0;
      factor *= h == 0 ? 1 : heldShape[h];
    }
    if (size == 1) {
      for (int64_t h : g) {
        atomShape.push_back(1);
        atomHeld.push_back(h);
      }
    } else if (batch ? g.size() == 1 && ShapedType::isDynamic(size)
                     : size == factor) {
      for (int64_t h : g) {
        atomShape.push_back(heldShape[h]);
        atomHeld.push_back(h);
      }
    } else {
      return refuse();
    }
  }
  Value y = reshapeTo(*this, x, atomShape);
  // In the held order (the batch, when `x` has it, first), then the held
  // dimensions it lacks as 1s.
  SmallVector<int64_t> order(atomHeld.size());
  std::iota(order.begin(), order.end(), 0);
  llvm::sort(order, [&](int64_t a, int64_t b) {
    return atomHeld[a] < atomHeld[b];
  });
  y = transposeTo(*this, y, order);
  SmallVector<int64_t> full(heldShape.size(), 1);
  for (auto [a, h] : llvm::enumerate(atomHeld))
    full[h] = atomShape[a];
  return reshapeTo(*this, y, full);
}

FailureOr<OnnxValue> NodeBuilder::matmulHeld(const HeldValue &x,
                                             Value matrix) {
  ArrayRef<int64_t> last = x.layout.group(x.layout.rank() - 1);
  ArrayRef<int64_t> shape = typeOf(x.value).getShape();
  int64_t k = 1;
  for (int64_t h : last)
    k *= shape[h];
  ArrayRef<int64_t> mShape = typeOf(matrix).getShape();
  if (mShape.size() != 2) {
    emitError() << "multiplies " << formatHeldDims(heldDims(x))
                << ", held batch-first, by " << formatKerasShape(mShape)
                << ": kiln multiplies such a tensor by a matrix or by "
                   "another with the dynamic batch";
    return failure();
  }
  if (llvm::is_contained(last, 0) || mShape[0] != k) {
    emitError() << "inner dimensions differ: "
                << formatHeldDims(heldDims(x)) << " @ "
                << formatKerasShape(mShape);
    return failure();
  }
  // The atoms of the contracted dimension moved last, in order, and merged.
  SmallVector<int64_t> perm, renumber(shape.size());
  for (int64_t h = 0; h < int64_t(shape.size()); ++h)
    if (!llvm::is_contained(last, h))
      perm.push_back(h);
  int64_t kept = perm.size();
  perm.append(last.begin(), last.end());
  SmallVector<int64_t> flat;
  for (int64_t i = 0; i < kept; ++i) {
    renumber[perm[i]] = i;
    flat.push_back(shape[perm[i]]);
  }
  flat.push_back(k);
  Value lhs = reshapeTo(*this, transposeTo(*this, x.value, perm), flat);
  Value y = MatMulOp::create(builder, loc, lhs, matrix);
  HeldLayout out;
  for (int64_t j = 0; j + 1 < x.layout.rank(); ++j) {
    for (int64_t h : x.layout.group(j))
      out.atoms.push_back(renumber[h]);
    out.groups.push_back(x.layout.groups[j]);
  }
  out.atoms.push_back(kept);
  out.groups.push_back(1);
  return fromHeld(y, std::move(out));
}

/// Fails (after an error) when one of file dimensions `axes` of `x` holds
/// the batch.
static LogicalResult checkNoBatchAxis(NodeBuilder &node, const HeldValue &x,
                                      ArrayRef<int64_t> axes) {
  for (int64_t a : axes)
    if (llvm::is_contained(x.layout.group(a), 0)) {
      node.emitError() << "axis " << a << " of "
                       << formatHeldDims(node.heldDims(x))
                       << " holds the dynamic batch";
      return failure();
    }
  return success();
}

FailureOr<SmallVector<int64_t>>
NodeBuilder::heldAxesOf(const HeldValue &x, ArrayRef<int64_t> axes) {
  if (failed(checkNoBatchAxis(*this, x, axes)))
    return failure();
  SmallVector<int64_t> held;
  for (int64_t a : axes)
    for (int64_t h : x.layout.group(a))
      held.push_back(h);
  llvm::sort(held);
  return held;
}

FailureOr<HeldValue> NodeBuilder::heldAxesLast(const HeldValue &x,
                                               ArrayRef<int64_t> axes) {
  const HeldLayout &layout = x.layout;
  ArrayRef<int64_t> shape = typeOf(x.value).getShape();
  if (failed(checkNoBatchAxis(*this, x, axes)))
    return failure();
  // The held order: the batch, the other atoms in the file's order, then
  // the atoms of each axis, which merge.
  SmallVector<int64_t> perm = {0}, newShape = {shape[0]};
  SmallVector<int64_t> newId(shape.size(), -1);
  newId[0] = 0;
  for (int64_t j = 0; j < layout.rank(); ++j) {
    if (llvm::is_contained(axes, j))
      continue;
    for (int64_t h : layout.group(j))
      if (h != 0) {
        newId[h] = newShape.size();
        perm.push_back(h);
        newShape.push_back(shape[h]);
      }
  }
  HeldLayout out;
  SmallVector<int64_t> axisId(layout.rank(), -1);
  for (int64_t a : axes) {
    int64_t size = 1;
    for (int64_t h : layout.group(a)) {
      perm.push_back(h);
      size *= shape[h];
    }
    axisId[a] = newShape.size();
    newShape.push_back(size);
  }
  for (int64_t j = 0; j < layout.rank(); ++j) {
    if (axisId[j] >= 0) {
      out.atoms.push_back(axisId[j]);
      out.groups.push_back(1);
      continue;
    }
    for (int64_t h : layout.group(j))
      out.atoms.push_back(newId[h]);
    out.groups.push_back(layout.groups[j]);
  }
  Value y = reshapeTo(*this, transposeTo(*this, x.value, perm), newShape);
  return HeldValue{y, std::move(out)};
}

FailureOr<OnnxValue> NodeBuilder::batchMatmulHeld(const HeldValue &a,
                                                  const HeldValue &b) {
  int64_t rank = a.layout.rank();
  FailureOr<HeldValue> lhs = heldAxesLast(a, {rank - 2, rank - 1});
  FailureOr<HeldValue> rhs =
      b.layout.rank() == rank ? heldAxesLast(b, {rank - 2, rank - 1})
                              : FailureOr<HeldValue>(failure());
  if (failed(lhs) || failed(rhs))
    return failure();
  ArrayRef<int64_t> l = typeOf(lhs->value).getShape();
  ArrayRef<int64_t> r = typeOf(rhs->value).getShape();
  auto leading = [](const HeldValue &v) {
    HeldLayout lead = v.layout;
    lead.groups.pop_back_n(2);
    lead.atoms.pop_back_n(2);
    return lead;
  };
  if (!(leading(*lhs) == leading(*rhs)) ||
      l.drop_back(2) != r.drop_back(2) || l.back() != r[r.size() - 2]) {
    emitError() << "multiplies " << formatHeldDims(heldDims(a)) << " by "
                << formatHeldDims(heldDims(b))
                << ": kiln multiplies tensors with the dynamic batch whose "
                   "dimensions before the last two are the same";
    return failure();
  }
  int64_t m = l[l.size() - 2], k = l.back(), n = r.back();
  Value y = BatchMatMulOp::create(
      builder, loc,
      reshapeTo(*this, lhs->value, {ShapedType::kDynamic, m, k}),
      reshapeTo(*this, rhs->value, {ShapedType::kDynamic, k, n}));
  SmallVector<int64_t> shape(l.drop_back());
  shape.push_back(n);
  // The product's held dims are the left operand's, its last now N.
  return fromHeld(reshapeTo(*this, y, shape), lhs->layout);
}
