//===- Einsum.cpp - Einsum over kiln ops, for both importers ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/Einsum.h"

#include "dialects/kiln/IR/KilnDialect.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::kiln;

namespace {

using Labels = SmallVector<int, 4>;
constexpr int kEllipsisBase = 256;
constexpr int64_t kDyn = ShapedType::kDynamic;

/// One term of the equation as written: its letters, and where its
/// ellipsis stands (-1: none).
struct Term {
  Labels letters;
  int ellipsisAt = -1;
};

std::string labelName(int label) {
  if (label < kEllipsisBase)
    return std::string(1, static_cast<char>(label));
  return llvm::formatv("(ellipsis dimension {0})", label - kEllipsisBase);
}

FailureOr<Term> parseTerm(StringRef text, std::string &reason) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (llvm::isAlpha(c)) {
      term.letters.push_back(c);
      continue;
    }
    if (text.substr(i).starts_with("...") && term.ellipsisAt < 0) {
      term.ellipsisAt = static_cast<int>(term.letters.size());
      i += 2;
      continue;
    }
    reason = llvm::formatv("unexpected '{0}' in term '{1}'", c, text);
    return failure();
  }
  return term;
}

/// The term's labels for `ellipsisDims` dimensions under its ellipsis, the
/// last of `totalEllipsis` (right-aligned, as NumPy broadcasts).
Labels expand(const Term &term, int64_t ellipsisDims, int64_t totalEllipsis) {
  if (term.ellipsisAt < 0)
    return term.letters;
  Labels labels(term.letters.begin(), term.letters.begin() + term.ellipsisAt);
  for (int64_t i = totalEllipsis - ellipsisDims; i < totalEllipsis; ++i)
    labels.push_back(kEllipsisBase + static_cast<int>(i));
  labels.append(term.letters.begin() + term.ellipsisAt, term.letters.end());
  return labels;
}

/// `labels` with `label` (when there) moved to the front.
void moveFirst(Labels &labels, int label) {
  auto *it = llvm::find(labels, label);
  if (it != labels.end())
    std::rotate(labels.begin(), it, it + 1);
}

/// A value with the label of each of its dimensions.
struct Labeled {
  Value value;
  Labels labels;

  RankedTensorType type() const {
    return cast<RankedTensorType>(value.getType());
  }
};

class EinsumBuilder {
public:
  EinsumBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  /// Records the operands' sizes per label; failure on a repeated label,
  /// sizes that disagree, or two dynamic labels.
  LogicalResult record(ArrayRef<Labeled> terms, std::string &reason);

  int64_t sizeOf(int label) const { return sizes.lookup(label); }
  int dynamicLabel() const { return dynamic; }

  /// `x` summed over its labels not in `keep`.
  Labeled sumExcept(const Labeled &x, ArrayRef<int> keep);
  /// `x` with its dimensions in the order of `order` (a permutation of
  /// its labels).
  Labeled transposeTo(const Labeled &x, ArrayRef<int> order);
  /// `x` reinterpreted as `shape` (same element count).
  Value reshapeTo(Value x, ArrayRef<int64_t> shape);

  /// The product of the sizes of `labels` (dynamic when one is).
  int64_t product(ArrayRef<int> labels) const {
    int64_t n = 1;
    for (int l : labels) {
      if (ShapedType::isDynamic(sizeOf(l)))
        return kDyn;
      n *= sizeOf(l);
    }
    return n;
  }
  SmallVector<int64_t> shapeOf(ArrayRef<int> labels) const {
    SmallVector<int64_t> shape;
    for (int l : labels)
      shape.push_back(sizeOf(l));
    return shape;
  }

  Labeled matmul(const Labeled &a, const Labeled &bv, ArrayRef<int> m,
                 ArrayRef<int> k, ArrayRef<int> n);
  Labeled batchMatmul(const Labeled &a, const Labeled &bv, ArrayRef<int> batch,
                      ArrayRef<int> m, ArrayRef<int> k, ArrayRef<int> n);
  Labeled broadcastProduct(const Labeled &a, const Labeled &bv,
                           ArrayRef<int> out, ArrayRef<int> k);

private:
  OpBuilder &b;
  Location loc;
  llvm::DenseMap<int, int64_t> sizes;
  int dynamic = -1;
};

LogicalResult EinsumBuilder::record(ArrayRef<Labeled> terms,
                                    std::string &reason) {
  for (auto [index, term] : llvm::enumerate(terms)) {
    ArrayRef<int64_t> shape = term.type().getShape();
    for (auto [d, label] : llvm::enumerate(term.labels)) {
      if (llvm::count(term.labels, label) > 1) {
        reason = llvm::formatv("label {0} repeats in operand {1}: diagonals "
                               "are not supported",
                               labelName(label), index);
        return failure();
      }
      int64_t size = shape[d];
      auto [it, inserted] = sizes.try_emplace(label, size);
      if (!inserted && it->second != size) {
        auto text = [](int64_t s) {
          return ShapedType::isDynamic(s) ? std::string("?")
                                          : std::to_string(s);
        };
        reason = llvm::formatv("label {0} has size {1} in one operand and "
                               "{2} in operand {3}",
                               labelName(label), text(it->second), text(size),
                               index);
        return failure();
      }
      if (ShapedType::isDynamic(size)) {
        if (dynamic >= 0 && dynamic != label) {
          reason = "two different labels have a dynamic size";
          return failure();
        }
        dynamic = label;
      }
    }
  }
  return success();
}

Labeled EinsumBuilder::sumExcept(const Labeled &x, ArrayRef<int> keep) {
  SmallVector<int64_t> axes;
  Labeled kept;
  for (auto [d, label] : llvm::enumerate(x.labels)) {
    if (llvm::is_contained(keep, label))
      kept.labels.push_back(label);
    else
      axes.push_back(static_cast<int64_t>(d));
  }
  if (axes.empty())
    return x;
  kept.value = ReduceSumOp::create(b, loc, x.value, axes, false);
  return kept;
}

Labeled EinsumBuilder::transposeTo(const Labeled &x, ArrayRef<int> order) {
  SmallVector<int64_t> perm;
  for (int label : order)
    perm.push_back(llvm::find(x.labels, label) - x.labels.begin());
  Labeled out{x.value, Labels(order)};
  if (!llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    out.value = TransposeOp::create(b, loc, x.value, perm);
  return out;
}

Value EinsumBuilder::reshapeTo(Value x, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getShape() == shape)
    return x;
  return ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x);
}

/// No batch labels: a as (M..., prod K) (a single row when M is empty)
/// times b as (prod K, prod N) with kiln.matmul, which keeps a's leading
/// (possibly dynamic) dimensions.
Labeled EinsumBuilder::matmul(const Labeled &a, const Labeled &bv,
                              ArrayRef<int> m, ArrayRef<int> k,
                              ArrayRef<int> n) {
  Labels aOrder(m), bOrder(k);
  aOrder.append(k.begin(), k.end());
  bOrder.append(n.begin(), n.end());
  SmallVector<int64_t> rows = m.empty() ? SmallVector<int64_t>{1} : shapeOf(m);
  SmallVector<int64_t> lhsShape(rows);
  lhsShape.push_back(product(k));
  Value lhs = reshapeTo(transposeTo(a, aOrder).value, lhsShape);
  Value rhs =
      reshapeTo(transposeTo(bv, bOrder).value, {product(k), product(n)});
  Value y = MatMulOp::create(b, loc, lhs, rhs);
  Labeled out;
  out.labels.assign(m.begin(), m.end());
  out.labels.append(n.begin(), n.end());
  out.value = reshapeTo(y, shapeOf(out.labels));
  return out;
}

/// Batch labels (the dynamic one, if any, first): a as (prod B, prod M,
/// prod K) times b as (prod B, prod K, prod N) with kiln.batch_matmul.
Labeled EinsumBuilder::batchMatmul(const Labeled &a, const Labeled &bv,
                                   ArrayRef<int> batch, ArrayRef<int> m,
                                   ArrayRef<int> k, ArrayRef<int> n) {
  Labels aOrder(batch), bOrder(batch);
  aOrder.append(m.begin(), m.end());
  aOrder.append(k.begin(), k.end());
  bOrder.append(k.begin(), k.end());
  bOrder.append(n.begin(), n.end());
  int64_t nb = product(batch);
  Value lhs = reshapeTo(transposeTo(a, aOrder).value,
                        {nb, product(m), product(k)});
  Value rhs = reshapeTo(transposeTo(bv, bOrder).value,
                        {nb, product(k), product(n)});
  Value y = BatchMatMulOp::create(b, loc, lhs, rhs);
  Labeled out;
  out.labels.assign(batch.begin(), batch.end());
  out.labels.append(m.begin(), m.end());
  out.labels.append(n.begin(), n.end());
  out.value = reshapeTo(y, shapeOf(out.labels));
  return out;
}

/// Any other placement of the dynamic label: both operands laid out over
/// all labels (size 1 where one lacks a label), multiplied with
/// broadcasting and summed over the contracted labels.
Labeled EinsumBuilder::broadcastProduct(const Labeled &a, const Labeled &bv,
                                        ArrayRef<int> out, ArrayRef<int> k) {
  Labels all(out);
  all.append(k.begin(), k.end());
  moveFirst(all, dynamic); // the dynamic label first, wherever it is
  auto spread = [&](const Labeled &x) {
    Labels order;
    SmallVector<int64_t> shape;
    for (int label : all) {
      bool has = llvm::is_contained(x.labels, label);
      if (has)
        order.push_back(label);
      shape.push_back(has ? sizeOf(label) : 1);
    }
    return reshapeTo(transposeTo(x, order).value, shape);
  };
  Labeled full{MulOp::create(b, loc, spread(a), spread(bv)), all};
  return sumExcept(full, out);
}

} // namespace

FailureOr<EinsumEquation> mlir::kiln::parseEinsum(StringRef equation,
                                                  ArrayRef<int64_t> ranks,
                                                  std::string &reason) {
  std::string compact;
  for (char c : equation)
    if (!llvm::isSpace(c))
      compact.push_back(c);
  StringRef text = compact;
  auto [lhs, rhs] = text.split("->");
  bool explicitOutput = text.contains("->");
  SmallVector<StringRef, 2> termTexts;
  lhs.split(termTexts, ',');
  if (termTexts.size() != ranks.size()) {
    reason = llvm::formatv("the equation has {0} input terms for {1} operands",
                           termTexts.size(), ranks.size());
    return failure();
  }
  SmallVector<Term, 2> terms;
  int64_t totalEllipsis = 0;
  SmallVector<int64_t, 2> ellipsisDims;
  for (auto [text, rank] : llvm::zip(termTexts, ranks)) {
    FailureOr<Term> term = parseTerm(text, reason);
    if (failed(term))
      return failure();
    int64_t dims = rank - static_cast<int64_t>(term->letters.size());
    if (dims < 0 || (dims > 0 && term->ellipsisAt < 0)) {
      reason = llvm::formatv("term '{0}' does not match an operand of rank {1}",
                             text, rank);
      return failure();
    }
    totalEllipsis = std::max(totalEllipsis, dims);
    ellipsisDims.push_back(dims);
    terms.push_back(*term);
  }
  EinsumEquation eq;
  for (auto [term, dims] : llvm::zip(terms, ellipsisDims))
    eq.inputs.push_back(expand(term, dims, totalEllipsis));
  if (explicitOutput) {
    FailureOr<Term> out = parseTerm(rhs, reason);
    if (failed(out))
      return failure();
    if (out->ellipsisAt < 0 && totalEllipsis > 0) {
      reason = "the inputs have an ellipsis but the output has none";
      return failure();
    }
    eq.output = expand(*out, totalEllipsis, totalEllipsis);
  } else {
    for (int64_t i = 0; i < totalEllipsis; ++i)
      eq.output.push_back(kEllipsisBase + static_cast<int>(i));
    Labels once;
    for (const Term &term : terms)
      for (int l : term.letters) {
        int64_t count = 0;
        for (const Term &t : terms)
          count += llvm::count(t.letters, l);
        if (count == 1)
          once.push_back(l);
      }
    llvm::sort(once);
    eq.output.append(once.begin(), once.end());
  }
  for (int label : eq.output) {
    if (llvm::count(eq.output, label) > 1) {
      reason = llvm::formatv("output label {0} repeats", labelName(label));
      return failure();
    }
    if (llvm::none_of(eq.inputs, [&](const Labels &in) {
          return llvm::is_contained(in, label);
        })) {
      reason = llvm::formatv("output label {0} is in no input",
                             labelName(label));
      return failure();
    }
  }
  return eq;
}

/// The einsum of two labeled operands to the labels `out` (which the
/// dynamic label, when there, leads).
static Labeled contract(EinsumBuilder &e, Labeled a, Labeled c,
                        ArrayRef<int> out) {
  // Labels only one operand carries and the output lacks are summed first.
  auto keep = [&](const Labeled &other) {
    Labels k(out);
    k.append(other.labels.begin(), other.labels.end());
    return k;
  };
  a = e.sumExcept(a, keep(c));
  c = e.sumExcept(c, keep(a));
  Labels batch, m, n, k;
  for (int label : out) {
    bool inA = llvm::is_contained(a.labels, label),
         inC = llvm::is_contained(c.labels, label);
    (inA && inC ? batch : inA ? m : n).push_back(label);
  }
  for (int label : a.labels)
    if (!llvm::is_contained(out, label))
      k.push_back(label);
  int dyn = e.dynamicLabel();
  // The product comes out as (batch, rows, columns): take as rows the
  // operand whose free labels come first in the output, so that no
  // transpose follows (the dynamic label, leading the output, wins).
  auto firstAt = [&](ArrayRef<int> labels) {
    return labels.empty() ? out.size()
                          : static_cast<size_t>(llvm::find(out, labels[0]) -
                                                out.begin());
  };
  if (firstAt(n) < firstAt(m)) {
    std::swap(a, c);
    std::swap(m, n);
  }
  Labeled product;
  if (llvm::is_contained(k, dyn) ||
      (!batch.empty() &&
       (llvm::is_contained(m, dyn) || llvm::is_contained(n, dyn))))
    product = e.broadcastProduct(a, c, out, k);
  else if (batch.empty())
    product = e.matmul(a, c, m, k, n);
  else
    product = e.batchMatmul(a, c, batch, m, k, n);
  return e.transposeTo(product, out);
}

FailureOr<Value> mlir::kiln::buildEinsum(OpBuilder &b, Location loc,
                                         const EinsumEquation &eq,
                                         ArrayRef<Value> operands,
                                         std::string &reason) {
  if (operands.empty() || operands.size() != eq.inputs.size()) {
    reason = "the equation's terms and the operands differ in number";
    return failure();
  }
  SmallVector<Labeled, 2> terms;
  for (auto [value, labels] : llvm::zip(operands, eq.inputs))
    terms.push_back({value, labels});
  EinsumBuilder e(b, loc);
  if (failed(e.record(terms, reason)))
    return failure();
  ArrayRef<int> out = eq.output;
  int dyn = e.dynamicLabel();
  if (dyn >= 0 && llvm::is_contained(out, dyn) && out.front() != dyn) {
    reason = llvm::formatv("the output puts the dynamic (batch) label {0} "
                           "at position {1}; kiln keeps it first",
                           labelName(dyn), llvm::find(out, dyn) - out.begin());
    return failure();
  }
  // Left to right, each partial product keeps the labels that the output
  // or a later operand still needs (the dynamic one first).
  Labeled acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    Labels inter;
    if (i + 1 == terms.size()) {
      inter.assign(out.begin(), out.end());
    } else {
      auto needed = [&](int label) {
        if (llvm::is_contained(out, label))
          return true;
        for (const Labeled &later : ArrayRef(terms).drop_front(i + 1))
          if (llvm::is_contained(later.labels, label))
            return true;
        return false;
      };
      for (const Labeled *t : {&acc, &terms[i]})
        for (int label : t->labels)
          if (needed(label) && !llvm::is_contained(inter, label))
            inter.push_back(label);
      moveFirst(inter, dyn);
    }
    acc = contract(e, acc, terms[i], inter);
  }
  if (terms.size() == 1)
    acc = e.sumExcept(acc, out);
  return e.transposeTo(acc, out).value;
}
