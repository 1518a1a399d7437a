//===- GradCheck.cpp - `kiln gradcheck` -------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The check runs in float64 (the loss is promoted with kiln-promote-to-f64)
// so that central differences are accurate: with step h = 1e-6 * max(1, |x|)
// the truncation error is O(h^2) ~ 1e-12 and the rounding error
// O(eps * |L| / h) ~ 1e-10 * |L|, far below the default tolerance of 1e-5 on
// the relative error |analytic - numeric| / max(|analytic|, |numeric|, 1e-3).
// (The floor of 1e-3 keeps gradients that are ~0 from inflating the ratio.)
//===----------------------------------------------------------------------===//

#include "tools/kiln/GradCheck.h"

#include "codegen/Passes.h"
#include "codegen/cpu/CpuJit.h"
#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/Passes.h"
#include "passes/autodiff/Autodiff.h"
#include "passes/training/Training.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::kiln;

static constexpr llvm::StringLiteral kLossName = "gradcheck_loss";
static constexpr llvm::StringLiteral kGradName = "gradcheck_loss_grad";

func::FuncOp mlir::kiln::buildProjectionLoss(ImportedModel &model) {
  auto func = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(*model.module, kPredictFuncName));
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  OpBuilder b(ret);
  Location loc = func.getLoc();
  Value loss;
  for (Value output : ret.getOperands()) {
    auto type = cast<RankedTensorType>(output.getType());
    Value cotangent = body.addArgument(type, loc);
    Value product = MulOp::create(b, loc, type, output, cotangent);
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < type.getRank(); ++i)
      axes.push_back(i);
    auto scalarType = RankedTensorType::get({}, type.getElementType());
    Value sum = ReduceSumOp::create(b, loc, scalarType, product, axes, false);
    loss = loss ? AddOp::create(b, loc, scalarType, loss, sum) : sum;
  }
  func::ReturnOp::create(b, loc, loss);
  ret.erase();
  func.setType(FunctionType::get(func.getContext(), body.getArgumentTypes(),
                                 loss.getType()));
  return func;
}

LogicalResult mlir::kiln::specializeForGradCheck(func::FuncOp func,
                                                 bool training, uint64_t seed) {
  unsigned count = 0;
  func.walk([&](ModeDependentOpInterface) { ++count; });
  if (!count)
    return success();
  Value key;
  if (training) {
    std::string reason = getTrainingUnsupportedReason(func);
    if (!reason.empty())
      return func.emitOpError("has no training form to check: ")
                 << reason << " (check the inference form with --mode "
                 << "inference)",
             failure();
    // The key of the first step of a run seeded with `seed`: Dropout's
    // masks depend on it and on the shapes only, never on the values the
    // differences move.
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    auto type = RankedTensorType::get({2}, b.getI64Type());
    key = ConstantOp::create(
        b, func.getLoc(),
        DenseElementsAttr::get(type, ArrayRef<int64_t>{int64_t(seed), 0}));
  }
  // The moving statistics' updates are state, not the loss: left unused.
  SmallVector<std::pair<Value, Value>> stateUpdates;
  if (failed(specializeMode(func, key, &stateUpdates)))
    return failure();
  llvm::outs() << "gradcheck: the " << (training ? "training" : "inference")
               << " forms of " << count << " mode-dependent op"
               << (count == 1 ? "" : "s") << "\n";
  return success();
}

namespace {
/// One argument of the loss: its name, shape and float64 values.
struct Argument {
  std::string name;
  SmallVector<int64_t> dims; ///< -1 for the batch
  std::vector<double> values;
  bool differentiated = false;
  /// An integer argument (an Embedding's ids) holds its values here instead,
  /// in its own width; it is never differentiated.
  std::vector<int32_t> ints32;
  std::vector<int64_t> ints64;
  void *data() {
    if (!ints32.empty())
      return ints32.data();
    if (!ints64.empty())
      return ints64.data();
    return values.data();
  }
};

/// The smallest of the dimensions [from, from + count) of `data`, the
/// dynamic batch counted as `batch`.
static int64_t smallestDim(RankedTensorType data, int64_t from, int64_t count,
                           int64_t batch) {
  int64_t smallest = INT64_MAX;
  for (int64_t d = from; d < from + count; ++d)
    smallest =
        std::min(smallest, data.isDynamicDim(d) ? batch : data.getDimSize(d));
  return smallest;
}

/// The rows of the table the integer argument `arg` indexes (through a
/// kiln.gather or kiln.scatter_add; for kiln.gather_nd and
/// kiln.scatter_nd_add, the smallest of the dimensions its tuples index),
/// or 0 when it feeds none.
static int64_t indexedRows(Value arg, int64_t batch) {
  for (Operation *user : arg.getUsers()) {
    if (auto gather = dyn_cast<GatherOp>(user))
      if (gather.getIndices() == arg)
        return gather.getTable().getType().getDimSize(0);
    if (auto scatter = dyn_cast<ScatterAddOp>(user))
      if (scatter.getIndices() == arg)
        return scatter.getNumRows();
    // A gather_nd's indices end in the (static) tuple dimension.
    auto tuple = [&]() {
      return cast<ShapedType>(arg.getType()).getShape().back();
    };
    if (auto gather = dyn_cast<GatherNdOp>(user))
      if (gather.getIndices() == arg)
        return smallestDim(gather.getData().getType(), gather.getBatchDims(),
                           tuple(), batch);
    if (auto scatter = dyn_cast<ScatterNdAddOp>(user))
      if (scatter.getIndices() == arg)
        return smallestDim(scatter.getLike().getType(), scatter.getBatchDims(),
                           tuple(), batch);
  }
  return 0;
}
} // namespace

static std::string formatIndex(ArrayRef<int64_t> dims, int64_t flat) {
  SmallVector<int64_t> index(dims.size());
  for (int64_t i = int64_t(dims.size()) - 1; i >= 0; --i) {
    index[i] = flat % dims[i];
    flat /= dims[i];
  }
  std::string text = "[";
  for (auto [i, v] : llvm::enumerate(index))
    text += (i ? ", " : "") + std::to_string(v);
  return text + "]";
}

int mlir::kiln::runGradCheck(
    ModuleOp module, func::FuncOp loss,
    llvm::ArrayRef<std::pair<unsigned, const ParamData *>> initialValues,
    const GradCheckOptions &options) {
  // Only the loss is compiled.
  for (func::FuncOp other :
       llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (other != loss)
      other.erase();
  loss.setName(kLossName);
  // Only the first result (the loss) is checked; drop the others.
  auto ret = cast<func::ReturnOp>(loss.getBody().front().getTerminator());
  if (ret.getNumOperands() > 1) {
    Value first = ret.getOperand(0);
    OpBuilder b(ret);
    func::ReturnOp::create(b, ret.getLoc(), first);
    ret.erase();
    loss.setType(FunctionType::get(loss.getContext(), loss.getArgumentTypes(),
                                   first.getType()));
  }

  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> uniform(options.inputMin,
                                                 options.inputMax);
  SmallVector<Argument> args;
  SmallVector<unsigned> wrt, floats;
  for (unsigned i = 0; i < loss.getNumArguments(); ++i) {
    auto type = dyn_cast<RankedTensorType>(loss.getArgument(i).getType());
    int64_t rows = 0;
    if (type && isa<IntegerType>(type.getElementType()))
      rows = indexedRows(loss.getArgument(i), options.batch);
    if (!type || (!isa<FloatType>(type.getElementType()) && rows == 0)) {
      loss.emitError("gradcheck needs float tensor arguments (or integer "
                     "indices of a kiln.gather or kiln.gather_nd), argument #")
          << i << " is " << loss.getArgument(i).getType();
      return 1;
    }
    // Compiled code takes one run-time size, the batch's (contract of
    // runtime/include/kiln/model.h): any other unknown size has no value.
    if (llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic)) {
      loss.emitError("gradcheck sizes only a leading (batch) dimension; "
                     "argument #")
          << i << " is " << type << " (give its other sizes)";
      return 1;
    }
    Argument arg;
    auto name = loss.getArgAttrOfType<StringAttr>(i, kParamAttrName);
    if (!name)
      name = loss.getArgAttrOfType<StringAttr>(i, kInputAttrName);
    arg.name = name ? name.str() : "arg" + std::to_string(i);
    int64_t count = 1;
    for (int64_t d : type.getShape()) {
      arg.dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
      count *= ShapedType::isDynamic(d) ? options.batch : d;
    }
    arg.values.resize(count);
    // Sparse targets are class indices; everything else is uniform.
    if (auto classes =
            loss.getArgAttrOfType<IntegerAttr>(i, kNumClassesAttrName)) {
      std::uniform_int_distribution<int64_t> pick(0, classes.getInt() - 1);
      for (double &v : arg.values)
        v = double(pick(rng));
    } else {
      for (double &v : arg.values)
        v = uniform(rng);
    }
    for (auto [index, param] : initialValues)
      if (index == i && param->values.size() == size_t(count))
        arg.values.assign(param->values.begin(), param->values.end());
    if (rows) {
      // Indices from -rows to rows: in range, wrapped and clamped ones.
      std::uniform_int_distribution<int64_t> pick(-rows, rows);
      for (size_t j = 0; j < size_t(count); ++j) {
        int64_t v = pick(rng);
        if (type.getElementType().isInteger(32))
          arg.ints32.push_back(int32_t(v));
        else
          arg.ints64.push_back(v);
      }
      arg.values.clear();
      args.push_back(std::move(arg));
      continue;
    }
    floats.push_back(i);
    if (loss.getArgAttr(i, kParamAttrName))
      wrt.push_back(i);
    args.push_back(std::move(arg));
  }
  if (wrt.empty())
    wrt = floats;
  for (unsigned i : wrt)
    args[i].differentiated = true;

  // f64, the gradient function, then the CPU pipeline.
  MLIRContext *ctx = module.getContext();
  PassManager promote(ctx);
  promote.addNestedPass<func::FuncOp>(createPromoteToF64Pass());
  if (failed(promote.run(module)))
    return 1;
  FailureOr<func::FuncOp> grad = buildGradientFunction(loss, wrt, kGradName);
  if (failed(grad))
    return 1;
  for (func::FuncOp f : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      f.removeArgAttr(i, kParamAttrName);
      f.removeArgAttr(i, kInputAttrName);
      f.removeArgAttr(i, kNumClassesAttrName);
    }
  PassManager lowering(ctx);
  buildImportCleanupPipeline(lowering);
  buildLinalgPipeline(lowering);
  buildCpuLoweringPipeline(lowering, CpuLoweringOptions());
  if (failed(lowering.run(module)))
    return 1;

  CpuJit::Entry lossEntry{kLossName.str(), "kiln_gradcheck_loss", {}};
  for (const Argument &arg : args)
    lossEntry.buffers.push_back(arg.dims);
  CpuJit::Entry gradEntry = lossEntry;
  gradEntry.implName = kGradName.str();
  gradEntry.entryName = "kiln_gradcheck_grad";
  lossEntry.buffers.push_back({});
  gradEntry.buffers.push_back({});
  for (unsigned i : wrt)
    gradEntry.buffers.push_back(args[i].dims);
  llvm::Expected<std::unique_ptr<CpuJit>> created =
      CpuJit::create(module, {lossEntry, gradEntry});
  if (!created) {
    llvm::errs() << "kiln: error: " << llvm::toString(created.takeError())
                 << "\n";
    return 1;
  }
  std::unique_ptr<CpuJit> jit = std::move(*created);

  auto evalLoss = [&] {
    double value = 0;
    SmallVector<void *> buffers;
    for (Argument &arg : args)
      buffers.push_back(arg.data());
    buffers.push_back(&value);
    jit->run("kiln_gradcheck_loss", options.batch, buffers.data());
    return value;
  };
  double lossValue = 0;
  std::vector<std::vector<double>> grads;
  {
    SmallVector<void *> buffers;
    for (Argument &arg : args)
      buffers.push_back(arg.data());
    buffers.push_back(&lossValue);
    for (unsigned i : wrt) {
      grads.emplace_back(args[i].values.size());
      buffers.push_back(grads.back().data());
    }
    jit->run("kiln_gradcheck_grad", options.batch, buffers.data());
  }

  llvm::outs() << "gradcheck: loss = " << llvm::format("%.6g", lossValue)
               << " (batch " << options.batch
               << ", float64 central differences)\n";
  double worstOverall = 0;
  bool finite = std::isfinite(lossValue);
  for (auto [k, i] : llvm::enumerate(wrt)) {
    Argument &arg = args[i];
    size_t count = arg.values.size();
    SmallVector<size_t> indices;
    if (int64_t(count) <= options.maxChecks) {
      for (size_t j = 0; j < count; ++j)
        indices.push_back(j);
    } else {
      std::uniform_int_distribution<size_t> pick(0, count - 1);
      for (int64_t j = 0; j < options.maxChecks; ++j)
        indices.push_back(pick(rng));
    }
    double worst = 0, worstAnalytic = 0, worstNumeric = 0;
    size_t worstIndex = 0;
    for (size_t j : indices) {
      double saved = arg.values[j];
      double h = 1e-6 * std::max(1.0, std::fabs(saved));
      arg.values[j] = saved + h;
      double plus = evalLoss();
      arg.values[j] = saved - h;
      double minus = evalLoss();
      arg.values[j] = saved;
      double numeric = (plus - minus) / (2 * h);
      double analytic = grads[k][j];
      double err = std::fabs(analytic - numeric) /
                   std::max({std::fabs(analytic), std::fabs(numeric), 1e-3});
      finite &= std::isfinite(analytic) && std::isfinite(numeric);
      if (!(err <= worst)) { // also catches NaN
        worst = std::isnan(err) ? INFINITY : err;
        worstIndex = j;
        worstAnalytic = analytic;
        worstNumeric = numeric;
      }
    }
    SmallVector<int64_t> dims;
    for (int64_t d : arg.dims)
      dims.push_back(d < 0 ? options.batch : d);
    llvm::outs() << "  " << arg.name << " " << formatKerasShape(dims)
                 << ": checked " << indices.size() << " of " << count
                 << ", worst relative error " << llvm::format("%.3g", worst);
    if (!indices.empty())
      llvm::outs() << " at " << formatIndex(dims, worstIndex)
                   << llvm::format(" (analytic %.9g, numeric %.9g)",
                                   worstAnalytic, worstNumeric);
    llvm::outs() << "\n";
    worstOverall = std::max(worstOverall, worst);
  }
  bool ok = finite && worstOverall <= options.tolerance;
  llvm::outs() << "gradcheck: " << (ok ? "OK" : "FAILED") << " (worst "
               << llvm::format("%.3g", worstOverall) << ", tolerance "
               << llvm::format("%g", options.tolerance)
               << (finite ? "" : ", non-finite values") << ")\n";
  return ok ? 0 : 1;
}
