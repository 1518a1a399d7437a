//===- OnnxImporter.cpp - ONNX model importer -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The graph walk: the model file is parsed (libonnx's protobuf classes) and
// checked (onnx::checker, OnnxChecker.cpp), the opset of the default domain
// is read, initializers become known tensors (and parameters once an op
// uses them as data), graph inputs become @predict arguments, and every
// node goes to its handler (OnnxOps.h) in the file's (topological) order.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxImporter.h"
#include "frontend/onnx/OnnxChecker.h"
#include "frontend/onnx/OnnxTensors.h"

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cstring>
#include <numeric>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// The opsets of the default domain kiln imports (ONNX 1.0 to 1.16), and
/// the newest IR version (opset 21's). The registry's entries start at the
/// opset where ONNX last changed the op, so an old model gets the ops whose
/// meaning has not changed since.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = kNewestOpset;
constexpr int64_t kMaxIrVersion = 10;

//===----------------------------------------------------------------------===//
// The registry
//===----------------------------------------------------------------------===//

const OpRegistry &mlir::kiln::onnx_import::getOpRegistry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerLinearOps(r);
    registerShapeOps(r);
    registerReductionOps(r);
    registerConvolutionOps(r);
    registerResizeOps(r);
    registerNormalizationOps(r);
    registerRecurrentOps(r);
    // libonnx's checker counts the operands of the op versions it knows;
    // the newer ones must say how many they take.
    for (const auto &entry : r)
      for (const OpKind &kind : entry.second) {
        (void)kind;
        assert((kind.sinceVersion <= checkerLastOpset() ||
                kind.maxInputs >= 0) &&
               "an op version newer than libonnx's needs maxInputs");
      }
    return r;
  }();
  return registry;
}

/// The handler of `op` at `opset`, or null.
static const OpKind *findOpKind(StringRef op, int64_t opset) {
  const OpRegistry &registry = getOpRegistry();
  auto it = registry.find(op);
  if (it == registry.end())
    return nullptr;
  for (const OpKind &kind : it->second)
    if (kind.sinceVersion <= opset && opset <= kind.lastVersion)
      return &kind;
  return nullptr;
}

/// The opset of the default domain the model imports, or -1.
static int64_t defaultOpset(const onnx::ModelProto &proto) {
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto &id : proto.opset_import())
    if (id.domain().empty() || id.domain() == "ai.onnx")
      opset = id.version();
  return opset;
}

void mlir::kiln::onnx_import::printSupportedOps(llvm::raw_ostream &os) {
  const OpRegistry &registry = getOpRegistry();
  std::vector<std::string> names;
  for (const auto &entry : registry)
    names.push_back(entry.getKey().str());
  llvm::sort(names);
  os << "ONNX ops kiln imports (default domain, opsets " << kMinOpset << "-"
     << kMaxOpset << "):\n";
  for (const std::string &name : names) {
    SmallVector<OpKind, 2> kinds = registry.lookup(name);
    llvm::sort(kinds, [](const OpKind &a, const OpKind &b) {
      return a.sinceVersion < b.sinceVersion;
    });
    os << "  " << name;
    os.indent(name.size() < 24 ? 24 - name.size() : 1);
    llvm::interleaveComma(kinds, os, [&](const OpKind &kind) {
      os << std::max(kind.sinceVersion, kMinOpset) << "-"
         << std::min(kind.lastVersion, kMaxOpset);
    });
    os << "\n";
  }
}

//===----------------------------------------------------------------------===//
// NodeBuilder
//===----------------------------------------------------------------------===//

int64_t NodeBuilder::numInputs() const { return node.input_size(); }

bool NodeBuilder::hasInput(int64_t i) const {
  return i < node.input_size() && !node.input(i).empty();
}

FailureOr<const HostTensor *> NodeBuilder::requireKnown(int64_t i,
                                                        StringRef what) {
  if (const HostTensor *t = known(i))
    return t;
  emitError() << what << " (input " << i << ", '"
              << (hasInput(i) ? node.input(i) : std::string()) << "') "
              << (hasInput(i) ? "must be known when compiling: an "
                                "initializer or a Constant"
                              : "is missing");
  return failure();
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeBuilder::knownInts(int64_t i, StringRef what, bool allowBatch) {
  if (!hasInput(i))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<const HostTensor *> t = requireKnown(i, what);
  if (failed(t))
    return failure();
  if (!isIntegral((*t)->type) || (*t)->shape.size() > 1) {
    emitError() << what << " must be a list of integers, got a "
                << typeName((*t)->type) << " tensor of rank "
                << (*t)->shape.size();
    return failure();
  }
  if (!allowBatch && (*t)->hasDynamicBatch()) {
    emitError() << what << " depends on the dynamic batch size, which is "
                << "only known at run time";
    return failure();
  }
  for (double v : (*t)->values)
    if (batchMultiple(v) > 1) {
      emitError() << what << " holds " << batchMultiple(v)
                  << " times the dynamic batch size (a dimension that merges "
                     "the batch with others), which kiln reads only in "
                     "the shapes of Reshape, ConstantOfShape and Expand";
      return failure();
    }
  return std::optional<SmallVector<int64_t>>((*t)->toInt64());
}

const onnx::AttributeProto *NodeBuilder::attribute(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

/// The attribute `name` when present with type `type`: failure (after an
/// error) for another type, null when absent.
static FailureOr<const onnx::AttributeProto *>
typedAttribute(NodeBuilder &node, StringRef name,
               onnx::AttributeProto::AttributeType type, StringRef expected) {
  const onnx::AttributeProto *attr = node.attribute(name);
  if (attr && attr->type() != type) {
    node.emitError() << "attribute '" << name << "' must be " << expected;
    return failure();
  }
  return attr;
}

FailureOr<int64_t> NodeBuilder::getInt(StringRef name, int64_t fallback) {
  auto attr =
      typedAttribute(*this, name, onnx::AttributeProto::INT, "an integer");
  if (failed(attr))
    return failure();
  return *attr ? (*attr)->i() : fallback;
}

FailureOr<float> NodeBuilder::getFloat(StringRef name, float fallback) {
  auto attr =
      typedAttribute(*this, name, onnx::AttributeProto::FLOAT, "a float");
  if (failed(attr))
    return failure();
  return *attr ? (*attr)->f() : fallback;
}

FailureOr<std::string> NodeBuilder::getString(StringRef name,
                                              StringRef fallback) {
  auto attr =
      typedAttribute(*this, name, onnx::AttributeProto::STRING, "a string");
  if (failed(attr))
    return failure();
  return *attr ? (*attr)->s() : fallback.str();
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeBuilder::getInts(StringRef name) {
  auto attr = typedAttribute(*this, name, onnx::AttributeProto::INTS,
                             "a list of integers");
  if (failed(attr))
    return failure();
  if (!*attr)
    return std::optional<SmallVector<int64_t>>();
  return std::optional<SmallVector<int64_t>>(
      SmallVector<int64_t>((*attr)->ints().begin(), (*attr)->ints().end()));
}

FailureOr<std::optional<SmallVector<float>>>
NodeBuilder::getFloats(StringRef name) {
  auto attr = typedAttribute(*this, name, onnx::AttributeProto::FLOATS,
                             "a list of floats");
  if (failed(attr))
    return failure();
  if (!*attr)
    return std::optional<SmallVector<float>>();
  return std::optional<SmallVector<float>>(
      SmallVector<float>((*attr)->floats().begin(), (*attr)->floats().end()));
}

/// The inverse of permutation `p`.
static SmallVector<int64_t> invertPermutation(ArrayRef<int64_t> p) {
  SmallVector<int64_t> inverse(p.size());
  for (auto [i, v] : llvm::enumerate(p))
    inverse[v] = i;
  return inverse;
}

static bool isIdentity(ArrayRef<int64_t> p) {
  return llvm::all_of(llvm::enumerate(p),
                      [](auto e) { return int64_t(e.index()) == e.value(); });
}

/// True when transposing `v` by `perm` (result dim k = v dim perm[k]) would
/// move its dynamic batch away from the first dimension.
static bool movesBatch(Value v, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  return !perm.empty() && perm[0] != 0 && type.getRank() > 0 &&
         type.isDynamicDim(0);
}

/// The shape of the ONNX tensor `v` holds (in the file's layout).
static SmallVector<int64_t> tensorShape(const OnnxValue &v) {
  if (!v.value)
    return v.known->shape;
  auto type = cast<RankedTensorType>(v.value.getType());
  if (v.held) {
    SmallVector<int64_t> shape;
    for (int64_t j = 0; j < v.held->rank(); ++j) {
      int64_t size = 1;
      for (int64_t h : v.held->group(j))
        size = h == 0 || ShapedType::isDynamic(size) ? ShapedType::kDynamic
                                                    : size * type.getDimSize(h);
      shape.push_back(size);
    }
    return shape;
  }
  SmallVector<int64_t> shape(type.getShape());
  for (auto [d, t] : llvm::enumerate(v.layout))
    shape[t] = type.getDimSize(d);
  return shape;
}

/// "has its dynamic batch in dimension 1" / "merges its dynamic batch
/// with other dimensions into dimension 1 of (6, None, 8)": where a held
/// tensor has its batch.
static std::string describeHeld(const OnnxValue &v) {
  std::string text;
  llvm::raw_string_ostream os(text);
  int64_t j = v.held->batchDim();
  if (v.held->group(j).size() == 1)
    os << "has its dynamic batch in dimension " << j;
  else
    os << "merges its dynamic batch with other dimensions into dimension "
       << j << " of " << formatKerasShape(tensorShape(v));
  return text;
}

OnnxValue NodeBuilder::permuted(Value v, ArrayRef<int64_t> layout) {
  if (layout.empty() || isIdentity(layout))
    return OnnxValue::ofValue(v);
  SmallVector<int64_t> toFile = invertPermutation(layout);
  if (!movesBatch(v, toFile))
    return OnnxValue::ofValue(TransposeOp::create(builder, loc, v, toFile));
  return fromHeld(v, HeldLayout{toFile, SmallVector<int64_t>(toFile.size(), 1)});
}

FailureOr<SmallVector<int64_t>>
NodeBuilder::distinctAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t a : axes) {
    int64_t d = a < 0 ? a + rank : a;
    if (d < 0 || d >= rank || llvm::is_contained(result, d)) {
      emitError() << "axis " << a << " is out of range for rank " << rank
                  << " or listed twice";
      return failure();
    }
    result.push_back(d);
  }
  return result;
}

Value NodeBuilder::scalar(double value) { return constant({}, {float(value)}); }

Value NodeBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
  if (type == x.getType())
    return x;
  return ReshapeOp::create(builder, loc, type, x);
}

Value NodeBuilder::sliceAxis(Value x, int64_t axis, int64_t start,
                             int64_t size) {
  if (start == 0 && typeOf(x).getShape()[axis] == size)
    return x;
  // The result type is given, not inferred: a slice out of bounds (an
  // empty operand) is then the verifier's error, not a failed build.
  SmallVector<int64_t> shape(typeOf(x).getShape());
  shape[axis] = size;
  return SliceOp::create(builder, loc,
                         RankedTensorType::get(shape, typeOf(x).getElementType()),
                         x, axis, start, size);
}

Value NodeBuilder::constant(ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, values));
}

/// The permutation of `rank` dimensions that moves `axis` last.
static SmallVector<int64_t> axisLastPermutation(int64_t rank, int64_t axis) {
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  return perm;
}

Value NodeBuilder::moveAxisLast(Value x, int64_t axis) {
  int64_t rank = typeOf(x).getRank();
  if (axis == rank - 1)
    return x;
  return TransposeOp::create(builder, loc, x, axisLastPermutation(rank, axis));
}

Value NodeBuilder::moveLastAxisTo(Value x, int64_t axis) {
  int64_t rank = typeOf(x).getRank();
  if (axis == rank - 1)
    return x;
  return TransposeOp::create(
      builder, loc, x,
      invertPermutation(axisLastPermutation(rank, axis)));
}

FailureOr<Value> NodeBuilder::floatIds(int64_t i) {
  if (const HostTensor *ids = known(i)) {
    SmallVector<float> values(ids->values.begin(), ids->values.end());
    return constant(ids->shape, values);
  }
  FailureOr<Value> ids = idsInput(i);
  if (failed(ids))
    return failure();
  return Value(CastOp::create(builder, loc,
                              typeOf(*ids).clone(builder.getF32Type()), *ids));
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

namespace {

class OnnxModelImporter;

class GraphNodeBuilder final : public NodeBuilder {
public:
  GraphNodeBuilder(OnnxModelImporter &importer, const onnx::NodeProto &node,
                   int64_t index, int64_t opset);
  InFlightDiagnostic emitError() override;
  /// The errors this node has reported.
  int64_t errors = 0;
  FailureOr<Value> input(int64_t i) override;
  FailureOr<Value> stateInput(int64_t i) override;
  LogicalResult sharedStateError(int64_t i);
  FailureOr<Value> idsInput(int64_t i) override;
  FailureOr<ArrayRef<OnnxValue>> sequenceInput(int64_t i) override;
  FailureOr<Value> anyInput(int64_t i) override;
  FailureOr<std::pair<Value, SmallVector<int64_t>>>
  layoutInput(int64_t i) override;
  FailureOr<HeldValue> heldInput(int64_t i) override;
  bool heldTransposed(int64_t i) override;
  Value batchReference() override;
  FailureOr<Value> transposedInput(int64_t i, ArrayRef<int64_t> perm) override;
  const HostTensor *known(int64_t i) override;
  const HostTensor *knownEvenTrained(int64_t i) override;
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>>
  inputInfo(int64_t i) override;

private:
  OnnxModelImporter &importer;
  int64_t index;

public:
  /// The handler's registry entry, once found.
  const OpKind *kind = nullptr;

  /// Runs the elementwise op's handler on its held operand `heldOperand`
  /// (OnnxValue::held) in that one's held layout, its other operands
  /// brought into it (`NodeBuilder::intoHeldFrame`).
  FailureOr<NodeOutputs> runInHeldFrame(int64_t heldOperand);

private:
  /// Operand `i`'s entry in the value table; null (after an error) when it
  /// is absent or undefined, or a sequence (unless `sequence`).
  OnnxValue *operand(int64_t i, bool sequence = false);
  /// The operands `runInHeldFrame` gives the handler in the held frame.
  llvm::SmallDenseMap<int64_t, OnnxValue, 4> framed;
};

class OnnxModelImporter {
public:
  OnnxModelImporter(MLIRContext *ctx, StringRef path,
                    const ImportOptions &options)
      : ctx(ctx), path(path.str()), options(options),
        fileLoc(FileLineColLoc::get(ctx, path, 0, 0)), builder(ctx) {}

  FailureOr<ImportedModel> run(const onnx::ModelProto &proto);

  InFlightDiagnostic emitFileError() { return mlir::emitError(fileLoc); }

  /// A known float tensor as a kiln tensor: a parameter for an
  /// initializer, a constant otherwise.
  Value materialize(StringRef name, OnnxValue &value, bool state = false,
                    ArrayRef<int64_t> layout = {});
  /// A known int32/int64/bool tensor as a `kiln.constant` of that element
  /// type (bool as i1); null for other types.
  Value materializeTyped(OnnxValue &value);

  MLIRContext *ctx;
  std::string path;
  const ImportOptions &options;
  Location fileLoc;
  OpBuilder builder;
  ImportedModel model;
  Block *entry = nullptr;
  llvm::StringMap<OnnxValue> values;
  /// Initializer names (known tensors that become parameters).
  llvm::StringSet<> initializers;
  /// Float initializers that the exporter's own record of parameters
  /// (torch.export's graph signature) leaves out: buffers and its
  /// constants, frozen; `exporterMade` those it records nothing for (the
  /// values it computed, folded parameters among them).
  llvm::StringSet<> exporterConstants, exporterMade;
  /// Those it made, used as data, with more than one element, for the
  /// warning.
  SmallVector<std::string> foldedConstants;
  /// Parameters (trainable or state) of more than one element, all equal,
  /// for the warning on shared ones.
  SmallVector<std::string> uniformParams;
  /// The parameter `v` is (a leading argument of the function), or null.
  const ParamData *paramOf(Value v) const {
    auto arg = dyn_cast_or_null<BlockArgument>(v);
    if (!arg || arg.getOwner() != entry ||
        arg.getArgNumber() >= model.params.size())
      return nullptr;
    return &model.params[arg.getArgNumber()];
  }
  /// The float32 batch reference of a model whose batched inputs are all
  /// integers (GraphNodeBuilder::batchReference), once made.
  Value castBatchReference;
  /// Parameters per node, for the layer table.
  int64_t paramsOfNode = 0, trainableOfNode = 0;

  /// Whether `name` is an initializer the model trains (when compiled to;
  /// the same parameters either way, so that weights files fit both).
  bool trainsInitializer(StringRef name) const {
    return initializers.contains(name) && !options.frozen.contains(name) &&
           !exporterConstants.contains(name);
  }

private:
  LogicalResult addInputs(const onnx::GraphProto &graph, int64_t opset);
  void warnSharedUniformParams(const onnx::GraphProto &graph);
  void warnNaming(ArrayRef<std::string> names, StringRef what, StringRef why);
  LogicalResult importNode(const onnx::NodeProto &node, int64_t index,
                           int64_t opset);
  SmallVector<std::string> inputNames;
};

} // namespace

GraphNodeBuilder::GraphNodeBuilder(OnnxModelImporter &importer,
                                   const onnx::NodeProto &node, int64_t index,
                                   int64_t opset)
    : NodeBuilder(
          importer.builder,
          NameLoc::get(StringAttr::get(importer.ctx, node.name().empty()
                                                         ? node.output_size()
                                                               ? node.output(0)
                                                               : node.op_type()
                                                         : node.name()),
                       importer.fileLoc),
          node, opset),
      importer(importer), index(index) {}

InFlightDiagnostic GraphNodeBuilder::emitError() {
  ++errors;
  InFlightDiagnostic diag = importer.emitFileError();
  if (!node.name().empty())
    diag << "node '" << node.name() << "'";
  else
    diag << "node " << index;
  diag << " (" << node.op_type() << ", opset " << opset << "): ";
  return diag;
}

OnnxValue *GraphNodeBuilder::operand(int64_t i, bool sequence) {
  if (!hasInput(i)) {
    emitError() << "input " << i << " is missing";
    return nullptr;
  }
  if (auto it = framed.find(i); it != framed.end())
    return &it->second;
  auto it = importer.values.find(node.input(i));
  if (it == importer.values.end()) {
    emitError() << "input '" << node.input(i)
                << "' is not defined before this node";
    return nullptr;
  }
  if (bool(it->second.sequence) != sequence) {
    emitError() << "input '" << node.input(i) << "' is "
                << (sequence ? "a tensor, not a sequence"
                             : "a sequence (SplitToSequence), which kiln "
                               "reads only through SequenceAt");
    return nullptr;
  }
  return &it->second;
}

FailureOr<ArrayRef<OnnxValue>> GraphNodeBuilder::sequenceInput(int64_t i) {
  OnnxValue *v = operand(i, /*sequence=*/true);
  if (!v)
    return failure();
  return ArrayRef<OnnxValue>(*v->sequence);
}

FailureOr<Value> GraphNodeBuilder::stateInput(int64_t i) {
  OnnxValue *v = operand(i);
  if (v && !v->value && v->known->type == OnnxType::Float)
    return importer.materialize(node.input(i), *v, /*state=*/true);
  if (v && importer.options.training && importer.paramOf(v->value))
    return sharedStateError(i);
  return input(i);
}

/// In training, running statistics are state that the step overwrites: a
/// parameter that is also read elsewhere (as a weight, as other
/// statistics) cannot be both, and the result would train another model.
LogicalResult GraphNodeBuilder::sharedStateError(int64_t i) {
  emitError() << "input '" << node.input(i)
              << "' is a parameter read both as running statistics, which "
                 "training updates, and by other operands; kiln cannot "
                 "train one tensor as both (PyTorch's exporter merges equal "
                 "initializers of a model exported in eval mode: export "
                 "with keep_initializers_as_inputs=True)";
  return failure();
}

FailureOr<Value> GraphNodeBuilder::input(int64_t i) {
  OnnxValue *v = operand(i);
  if (!v)
    return failure();
  if (importer.options.training)
    if (const ParamData *param = importer.paramOf(v->value);
        param && param->state)
      return sharedStateError(i);
  if (v->value && !v->held &&
      !cast<RankedTensorType>(v->value.getType()).getElementType().isF32()) {
    emitError() << "input '" << node.input(i) << "' is "
                << typeName(onnxTypeOf(v->value.getType()))
                << " at run time, where this op takes float32 (kiln computes "
                   "integers and booleans in comparisons, logical ops, "
                   "Where, Cast and Gather's indices)";
    return failure();
  }
  if (v->held) {
    emitError() << "input '" << node.input(i) << "' " << describeHeld(*v)
                << " (held batch-first: kiln's batch is the first "
                   "dimension); the ops that move dimensions, the "
                   "elementwise ops, MatMul, Gemm, Softmax, the reductions, "
                   "LayerNormalization and the recurrent ops read it, this "
                   "op does not (a fixed batch, --input-shape, compiles such "
                   "a model)";
    return failure();
  }
  if (v->value && !v->layout.empty()) {
    // An initializer stored transposed: back to the file's layout (which
    // folds away against a transpose of the user's).
    return Value(TransposeOp::create(builder, loc, v->value,
                                     invertPermutation(v->layout)));
  }
  if (v->value)
    return v->value;
  if (v->known->type != OnnxType::Float) {
    emitError() << "input '" << node.input(i) << "' is "
                << typeName(v->known->type)
                << "; kiln computes in float32, and takes tensors of other "
                   "types only where they are known when compiling "
                   "(shapes, axes, indices)";
    return failure();
  }
  return importer.materialize(node.input(i), *v);
}

FailureOr<Value> GraphNodeBuilder::transposedInput(int64_t i,
                                                   ArrayRef<int64_t> perm) {
  OnnxValue *v = operand(i);
  if (!v)
    return failure();
  if (!v->value && v->known && v->known->type == OnnxType::Float &&
      int64_t(v->known->shape.size()) == int64_t(perm.size()) &&
      importer.initializers.contains(node.input(i)))
    return importer.materialize(node.input(i), *v, /*state=*/false, perm);
  FailureOr<std::pair<Value, SmallVector<int64_t>>> held = layoutInput(i);
  if (failed(held))
    return failure();
  auto [x, layout] = *held;
  if (typeOf(x).getRank() != int64_t(perm.size())) {
    emitError() << "input " << i << " has rank " << typeOf(x).getRank()
                << ", expected " << perm.size();
    return failure();
  }
  // Result dim k = tensor dim perm[k] = held dim toHeld[perm[k]].
  SmallVector<int64_t> toHeld = invertPermutation(layout), composed;
  for (int64_t p : perm)
    composed.push_back(toHeld[p]);
  if (isIdentity(composed))
    return x;
  if (movesBatch(x, composed)) {
    emitError() << "input '" << node.input(i)
                << "' would need its dynamic batch moved from the first "
                   "dimension (kiln's batch is dimension 0)";
    return failure();
  }
  return Value(TransposeOp::create(builder, loc, x, composed));
}

FailureOr<std::pair<Value, SmallVector<int64_t>>>
GraphNodeBuilder::layoutInput(int64_t i) {
  OnnxValue *v = operand(i);
  if (!v)
    return failure();
  if (v->held) {
    // A permutation of the held dimensions, with a held 1 appended for
    // each file dimension of size 1 (no atom).
    const HeldLayout &held = *v->held;
    if (llvm::any_of(held.groups, [](int64_t n) { return n > 1; })) {
      emitError() << "input '" << node.input(i) << "' " << describeHeld(*v)
                  << " (held batch-first); this op reads such a tensor only "
                     "when the batch is a dimension of its own (a fixed "
                     "batch, --input-shape, compiles such a model)";
      return failure();
    }
    SmallVector<int64_t> shape(typeOf(v->value).getShape()), toFile;
    for (int64_t j = 0; j < held.rank(); ++j) {
      if (held.groups[j] == 1) {
        toFile.push_back(held.group(j)[0]);
        continue;
      }
      toFile.push_back(shape.size());
      shape.push_back(1);
    }
    Value x = v->value;
    if (int64_t(shape.size()) != typeOf(x).getRank())
      x = ReshapeOp::create(builder, loc, typeOf(x).clone(shape), x);
    return std::make_pair(x, invertPermutation(toFile));
  }
  FailureOr<Value> x = input(i);
  if (failed(x))
    return failure();
  SmallVector<int64_t> identity(typeOf(*x).getRank());
  std::iota(identity.begin(), identity.end(), 0);
  return std::make_pair(*x, identity);
}

/// `x` moved into `frame`'s layout where the two hold each file dimension
/// in atoms of the same sizes, in other places of the held tensor (TNT adds
/// two tensors that merged their batch with the patches along different
/// paths): the transpose that takes each atom to the frame's. Null where
/// they differ otherwise.
static Value sameAtomsInFrame(OpBuilder &b, Location loc, const HeldValue &x,
                              const HeldValue &frame) {
  auto xType = cast<RankedTensorType>(x.value.getType());
  ArrayRef<int64_t> xs = xType.getShape();
  ArrayRef<int64_t> fs =
      cast<RankedTensorType>(frame.value.getType()).getShape();
  if (x.layout.groups != frame.layout.groups || xs.size() != fs.size())
    return Value();
  SmallVector<int64_t> perm(fs.size(), -1);
  for (int64_t j = 0; j < frame.layout.rank(); ++j)
    for (auto [xh, fh] : llvm::zip(x.layout.group(j), frame.layout.group(j))) {
      if ((xh == 0) != (fh == 0) || xs[xh] != fs[fh])
        return Value();
      perm[fh] = xh;
    }
  if (llvm::is_contained(perm, -1))
    return Value();
  return TransposeOp::create(b, loc, x.value, perm);
}

FailureOr<NodeOutputs> GraphNodeBuilder::runInHeldFrame(int64_t heldOperand) {
  FailureOr<HeldValue> frame = heldInput(heldOperand);
  if (failed(frame))
    return failure();
  RankedTensorType heldType = typeOf(frame->value);
  for (int64_t i = 0; i < numInputs(); ++i) {
    if (!hasInput(i))
      continue;
    OnnxValue *v = operand(i);
    if (!v)
      return failure();
    if (v->held) {
      Value x = *v->held == frame->layout
                    ? v->value
                    : sameAtomsInFrame(builder, loc,
                                       HeldValue{v->value, *v->held}, *frame);
      if (!x || typeOf(x).getShape() != heldType.getShape()) {
        emitError() << "inputs '" << node.input(heldOperand) << "' and '"
                    << node.input(i)
                    << "' are held batch-first in different layouts (a "
                       "fixed batch, --input-shape, compiles such a model)";
        return failure();
      }
      framed[i] = OnnxValue::ofValue(x);
      continue;
    }
    // A known scalar broadcasts as it is, and stays known (Clip's bounds,
    // Pow's exponent).
    if (!v->value && v->known->numElements() == 1 &&
        int64_t(v->known->shape.size()) <= heldType.getRank())
      continue;
    FailureOr<Value> x = anyInput(i);
    if (failed(x))
      return failure();
    FailureOr<Value> y =
        intoHeldFrame(*x, *frame, "input '" + node.input(i) + "'");
    if (failed(y))
      return failure();
    framed[i] = OnnxValue::ofValue(*y);
  }
  FailureOr<NodeOutputs> outputs = kind->handler(*this);
  framed.clear();
  if (failed(outputs))
    return failure();
  for (OnnxValue &out : *outputs) {
    if (!out.value)
      continue;
    if (typeOf(out.value).getShape() != heldType.getShape()) {
      emitError() << "its result broadcasts beyond input '"
                  << node.input(heldOperand)
                  << "', held batch-first (a fixed batch, --input-shape, "
                     "compiles such a model)";
      return failure();
    }
    out = fromHeld(out.value, frame->layout);
  }
  return outputs;
}

Value GraphNodeBuilder::batchReference() {
  Value integral;
  for (BlockArgument arg : importer.entry->getArguments())
    if (auto type = dyn_cast<RankedTensorType>(arg.getType());
        type && type.getRank() > 0 && type.isDynamicDim(0)) {
      if (type.getElementType().isF32())
        return arg;
      if (!integral)
        integral = arg;
    }
  // Only integer inputs (token ids): the batch-sized ops take a float32
  // reference, that input cast once, where the function starts.
  if (!integral)
    return {};
  if (!importer.castBatchReference) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(importer.entry);
    auto type = cast<RankedTensorType>(integral.getType());
    importer.castBatchReference = CastOp::create(
        builder, loc, type.clone(builder.getF32Type()), integral);
  }
  return importer.castBatchReference;
}

bool GraphNodeBuilder::heldTransposed(int64_t i) {
  if (!hasInput(i))
    return false;
  auto it = importer.values.find(node.input(i));
  return it != importer.values.end() && it->second.held;
}

FailureOr<HeldValue> GraphNodeBuilder::heldInput(int64_t i) {
  OnnxValue *v = operand(i);
  if (!v)
    return failure();
  if (v->held)
    return HeldValue{v->value, *v->held};
  FailureOr<Value> x = anyInput(i);
  if (failed(x))
    return failure();
  RankedTensorType type = typeOf(*x);
  if (type.getRank() == 0 || !type.isDynamicDim(0)) {
    emitError() << "input '" << node.input(i)
                << "' has no dynamic batch dimension";
    return failure();
  }
  HeldLayout layout;
  layout.atoms.resize(type.getRank());
  std::iota(layout.atoms.begin(), layout.atoms.end(), 0);
  layout.groups.assign(type.getRank(), 1);
  return HeldValue{*x, std::move(layout)};
}

FailureOr<Value> GraphNodeBuilder::idsInput(int64_t i) {
  OnnxValue *v = operand(i);
  if (!v)
    return failure();
  Type element = v->value ? getElementTypeOrSelf(v->value.getType()) : Type();
  if (!element || !(element.isInteger(32) || element.isInteger(64))) {
    emitError() << "input '" << node.input(i)
                << "' must be integer ids computed at run time (int32/int64)";
    return failure();
  }
  return v->value;
}

FailureOr<Value> GraphNodeBuilder::anyInput(int64_t i) {
  OnnxValue *v = operand(i);
  if (!v)
    return failure();
  if (v->value && !getElementTypeOrSelf(v->value.getType()).isF32() && !v->held)
    return v->value;
  if (v->value || v->known->type == OnnxType::Float)
    return input(i);
  if (v->known->hasDynamicBatch()) {
    emitError() << "input '" << node.input(i)
                << "' holds the dynamic batch size, which is known only at "
                   "run time";
    return failure();
  }
  if (Value typed = importer.materializeTyped(*v))
    return typed;
  emitError() << "input '" << node.input(i) << "' is "
              << typeName(v->known->type)
              << "; kiln computes with float32, int32, int64 and bool tensors";
  return failure();
}

const HostTensor *GraphNodeBuilder::known(int64_t i) {
  if (!hasInput(i))
    return nullptr;
  auto it = importer.values.find(node.input(i));
  if (it == importer.values.end() || !it->second.known)
    return nullptr;
  // A given input is known only to the operands that need it when
  // compiling; so is a trainable initializer: the ops run on the
  // parameter, and train it, instead of folding it into a constant
  // (PyTorch's gate reordering of an LSTM's weights; a weight times a known
  // mask, which folded would leave the weight untrained).
  bool needed = kind && i < 32 && (kind->knownOperands >> i) & 1;
  bool trained = importer.trainsInitializer(node.input(i));
  if ((it->second.givenInput || trained) && !needed)
    return nullptr;
  return &*it->second.known;
}

const HostTensor *GraphNodeBuilder::knownEvenTrained(int64_t i) {
  if (!hasInput(i))
    return nullptr;
  auto it = importer.values.find(node.input(i));
  if (it != importer.values.end() && it->second.known &&
      !it->second.givenInput && importer.trainsInitializer(node.input(i)))
    return &*it->second.known;
  return known(i);
}

FailureOr<std::pair<SmallVector<int64_t>, OnnxType>>
GraphNodeBuilder::inputInfo(int64_t i) {
  OnnxValue *v = operand(i);
  if (!v)
    return failure();
  if (v->known)
    return std::make_pair(v->known->shape, v->known->type);
  return std::make_pair(tensorShape(*v), onnxTypeOf(v->value.getType()));
}

/// `t`'s values transposed by `perm` (result dim d = t's dim perm[d]).
static std::vector<float> transposed(const HostTensor &t,
                                     ArrayRef<int64_t> perm,
                                     SmallVector<int64_t> &shape) {
  int64_t rank = t.shape.size();
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * t.shape[d + 1];
  shape.clear();
  for (int64_t p : perm)
    shape.push_back(t.shape[p]);
  std::vector<float> out;
  out.reserve(t.values.size());
  SmallVector<int64_t> index(rank, 0);
  for (size_t flat = 0; flat < t.values.size(); ++flat) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += index[d] * inStrides[perm[d]];
    out.push_back(float(t.values[offset]));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

Value OnnxModelImporter::materialize(StringRef name, OnnxValue &value,
                                     bool state, ArrayRef<int64_t> layout) {
  const HostTensor &t = *value.known;
  SmallVector<int64_t> shape(t.shape);
  std::vector<float> data =
      layout.empty() ? std::vector<float>(t.values.begin(), t.values.end())
                     : transposed(t, layout, shape);
  value.layout.assign(layout.begin(), layout.end());
  if (initializers.contains(name)) {
    ParamData param;
    param.name = name.str();
    param.shape = shape;
    param.filePermutation.assign(layout.begin(), layout.end());
    param.values = std::move(data);
    bool constant = exporterConstants.contains(name);
    if (exporterMade.contains(name) && !state && t.numElements() > 1)
      foldedConstants.push_back(name.str() + " " + formatKerasShape(shape));
    param.trainable = !state && !options.frozen.contains(name) && !constant;
    param.state = state && !options.frozen.contains(name);
    if ((param.trainable || param.state) && t.numElements() > 1 &&
        llvm::all_equal(t.values))
      uniformParams.push_back(name.str());
    auto type = RankedTensorType::get(param.shape, builder.getF32Type());
    value.value = entry->insertArgument(model.params.size(), type, fileLoc);
    paramsOfNode += t.numElements();
    if (param.trainable)
      trainableOfNode += t.numElements();
    model.params.push_back(std::move(param));
    return value.value;
  }
  // Constants go where the function starts, so that every use sees them.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  value.value = ConstantOp::create(
      builder, fileLoc, DenseElementsAttr::get(type, ArrayRef<float>(data)));
  return value.value;
}

/// PyTorch's TorchScript exporter, in eval mode, merges initializers of
/// equal values into one: a fresh model's BatchNorm scales (ones), biases
/// (zeros) and running statistics become one initializer that several
/// nodes read, which kiln can only train as one shared parameter. Tied
/// weights hold different values, so a parameter of equal elements read by
/// several nodes is most likely such a merge: a warning names them.
void OnnxModelImporter::warnSharedUniformParams(const onnx::GraphProto &graph) {
  SmallVector<std::string> shared;
  for (const std::string &name : uniformParams) {
    int64_t readers = llvm::count_if(graph.node(), [&](const auto &node) {
      return llvm::is_contained(node.input(), name);
    });
    if (readers > 1)
      shared.push_back("'" + name + "' (" + std::to_string(readers) +
                       " nodes)");
  }
  if (!shared.empty())
    warnNaming(shared,
               " parameter(s) of equal elements are read by several nodes "
               "and train as one shared parameter: ",
               " (PyTorch's exporter merges equal initializers of a model "
               "exported in eval mode, a fresh model's BatchNorm scales and "
               "biases among them; if they were separate parameters, export "
               "with keep_initializers_as_inputs=True)");
}

/// A warning on the file: "N<what>" the first six of `names`, then `why`.
void OnnxModelImporter::warnNaming(ArrayRef<std::string> names, StringRef what,
                                   StringRef why) {
  InFlightDiagnostic warning = emitWarning(fileLoc);
  warning << names.size() << what;
  llvm::interleaveComma(names.take_front(6), warning);
  if (names.size() > 6)
    warning << ", ...";
  warning << why;
}

Value OnnxModelImporter::materializeTyped(OnnxValue &value) {
  const HostTensor &t = *value.known;
  Type element = elementTypeOf(builder.getContext(), t.type);
  if (!element || isa<FloatType>(element))
    return {};
  auto type = RankedTensorType::get(t.shape, element);
  SmallVector<APInt> data;
  for (double v : t.values)
    data.push_back(APInt(element.getIntOrFloatBitWidth(), int64_t(v),
                         /*isSigned=*/true, /*implicitTrunc=*/true));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  value.value =
      ConstantOp::create(builder, fileLoc, DenseElementsAttr::get(type, data));
  return value.value;
}

/// A dimension of a graph input's type: its value, or kDynamic for a
/// symbolic or unknown one (`symbol` set to its name, if any).
static int64_t readDim(const onnx::TensorShapeProto::Dimension &dim,
                       std::string &symbol) {
  if (dim.has_dim_value())
    return dim.dim_value();
  symbol = dim.has_dim_param() ? dim.dim_param() : "?";
  return ShapedType::kDynamic;
}

LogicalResult OnnxModelImporter::addInputs(const onnx::GraphProto &graph,
                                           int64_t opset) {
  for (const auto &entry : options.inputShapes) {
    bool found = llvm::any_of(graph.input(), [&](const auto &info) {
      return info.name() == entry.getKey() &&
             !initializers.contains(info.name()) &&
             info.type().tensor_type().elem_type() == int(OnnxType::Float);
    });
    if (!found) {
      emitFileError() << "--input-shape names '" << entry.getKey()
                      << "', which is no float32 input of the model";
      return failure();
    }
  }
  for (const onnx::ValueInfoProto &info : graph.input()) {
    const std::string &name = info.name();
    if (initializers.contains(name))
      continue; // IR < 4: initializers are listed as inputs too
    if (values.count(name)) {
      emitFileError() << "graph input '" << name << "' is listed twice";
      return failure();
    }
    if (!info.type().has_tensor_type()) {
      emitFileError() << "graph input '" << name
                      << "' is not a tensor (sequences, maps and optionals "
                         "are not supported)";
      return failure();
    }
    const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
    auto type = static_cast<OnnxType>(tensor.elem_type());
    auto givenValue = options.inputValues.find(name);
    bool hasValue = givenValue != options.inputValues.end();
    Type elementType = builder.getF32Type();
    if (type != OnnxType::Float) {
      // Another element type is a model input when some op computes with
      // it at run time and every other use needs it known when compiling
      // (then it must be given: `kiln run`, the conformance runner).
      elementType = elementTypeOf(builder.getContext(), type);
      bool runtimeOk = bool(elementType), needsRuntime = false;
      for (const onnx::NodeProto &node : graph.node()) {
        const OpKind *kind = findOpKind(node.op_type(), opset);
        for (auto [i, use] : llvm::enumerate(node.input())) {
          if (use != name)
            continue;
          bool any = kind && i < 32 && (kind->anyTypeOperands >> i) & 1;
          bool known = kind && i < 32 && (kind->knownOperands >> i) & 1;
          if (known && hasValue)
            continue;
          needsRuntime |= any && !kind->keepsKnownIntegers;
          runtimeOk &= any;
        }
      }
      if (hasValue && (!runtimeOk || !needsRuntime)) {
        values[name] = OnnxValue::ofKnown(givenValue->second);
        continue;
      }
      if (!runtimeOk) {
        emitFileError() << "graph input '" << name << "' is " << typeName(type)
                        << "; kiln's model inputs are float32, or int32/"
                           "int64/bool tensors that only comparisons, logical "
                           "ops, Where, Cast and Gather's indices read";
        return failure();
      }
    }
    SmallVector<int64_t> shape;
    auto givenShape = options.inputShapes.find(name);
    if (givenShape != options.inputShapes.end()) {
      shape = givenShape->second;
    } else if (hasValue) {
      shape = givenValue->second.shape;
    } else if (!tensor.has_shape()) {
      emitFileError() << "graph input '" << name
                      << "' has no shape; give it with --input-shape " << name
                      << "=DxDx...";
      return failure();
    } else {
      for (auto [i, dim] : llvm::enumerate(tensor.shape().dim())) {
        std::string symbol;
        int64_t d = readDim(dim, symbol);
        if (i > 0 && ShapedType::isDynamic(d)) {
          emitFileError() << "graph input '" << name << "' dimension " << i
                          << " is symbolic ('" << symbol
                          << "'); only the first (batch) dimension may be: "
                             "fix it with --input-shape "
                          << name << "=DxDx...";
          return failure();
        }
        if (d == 0) {
          emitFileError() << "graph input '" << name << "' dimension " << i
                          << " is 0";
          return failure();
        }
        shape.push_back(d);
      }
    }
    if (tensor.has_shape() && givenShape != options.inputShapes.end()) {
      bool matches = tensor.shape().dim_size() == int64_t(shape.size());
      for (int64_t i = 0; matches && i < int64_t(shape.size()); ++i) {
        const auto &dim = tensor.shape().dim(i);
        matches = !dim.has_dim_value() || dim.dim_value() == shape[i];
      }
      if (!matches) {
        emitFileError() << "--input-shape " << name
                        << " does not match the model's shape of it";
        return failure();
      }
    }
    auto argType = RankedTensorType::get(shape, elementType);
    OnnxValue value = OnnxValue::ofValue(entry->addArgument(argType, fileLoc));
    if (hasValue) {
      value.known = givenValue->second;
      value.givenInput = true;
    }
    values[name] = std::move(value);
    inputNames.push_back(name);
  }
  return success();
}

LogicalResult OnnxModelImporter::importNode(const onnx::NodeProto &node,
                                            int64_t index, int64_t opset) {
  GraphNodeBuilder nodeBuilder(*this, node, index, opset);
  if (!node.domain().empty() && node.domain() != "ai.onnx") {
    nodeBuilder.emitError() << "domain '" << node.domain()
                            << "' is not supported (only the default "
                               "domain's operators are)";
    return failure();
  }
  const OpKind *kind = findOpKind(node.op_type(), opset);
  if (!kind) {
    InFlightDiagnostic diag = nodeBuilder.emitError();
    auto it = getOpRegistry().find(node.op_type());
    if (it == getOpRegistry().end()) {
      diag << "unsupported op '" << node.op_type()
           << "' (kiln compile --list-ops lists the supported ones)";
    } else {
      diag << "'" << node.op_type() << "' is supported at opsets ";
      llvm::interleaveComma(it->second, diag, [&](const OpKind &k) {
        diag << std::max(k.sinceVersion, kMinOpset) << "-"
             << std::min(k.lastVersion, kMaxOpset);
      });
      diag << ", not " << opset;
    }
    return failure();
  }
  nodeBuilder.kind = kind;
  // libonnx's checker counts the operands of the op versions it knows;
  // kiln counts those of the newer ones.
  if (kind->maxInputs >= 0 && node.input_size() > kind->maxInputs) {
    nodeBuilder.emitError() << "takes at most " << kind->maxInputs
                            << (kind->maxInputs == 1 ? " input" : " inputs")
                            << ", not " << node.input_size();
    return failure();
  }
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (!llvm::is_contained(kind->attributes, attr.name())) {
      nodeBuilder.emitError()
          << "attribute '" << attr.name() << "' is not supported";
      return failure();
    }
  }
  paramsOfNode = trainableOfNode = 0;
  builder.setInsertionPointToEnd(entry);
  int64_t heldOperand = -1;
  for (int64_t i = 0; kind->elementwise && i < node.input_size(); ++i)
    if (nodeBuilder.heldTransposed(i)) {
      heldOperand = i;
      break;
    }
  FailureOr<NodeOutputs> outputs =
      heldOperand >= 0 ? nodeBuilder.runInHeldFrame(heldOperand)
                       : kind->handler(nodeBuilder);
  if (failed(outputs)) {
    // Every failure names its reason; one that does not is kiln's bug,
    // still reported as an error of this node rather than a silent exit.
    if (!nodeBuilder.errors)
      nodeBuilder.emitError() << "cannot be imported (an internal error of "
                                 "kiln's importer, which gave no reason)";
    return failure();
  }
  if (int64_t(outputs->size()) < node.output_size()) {
    for (int64_t i = outputs->size(); i < node.output_size(); ++i)
      if (!node.output(i).empty()) {
        nodeBuilder.emitError() << "output " << i << " ('" << node.output(i)
                                << "') is not supported";
        return failure();
      }
  }
  std::string shape;
  for (auto [i, name] : llvm::enumerate(node.output())) {
    if (name.empty() || i >= outputs->size())
      continue;
    if (values.count(name)) {
      nodeBuilder.emitError()
          << "output '" << name << "' is defined a second time";
      return failure();
    }
    OnnxValue &out = (*outputs)[i];
    values[name] = std::move(out);
    if (shape.empty())
      shape = formatKerasShape(tensorShape(values[name]));
  }
  LayerRow row;
  // A node without a name is listed by its first output, or by its
  // position when it has none.
  row.name = !node.name().empty() ? node.name()
             : node.output_size() ? node.output(0)
                                  : "node " + std::to_string(index);
  row.className = node.op_type();
  row.outputShape = shape;
  std::string connected;
  for (const std::string &input : node.input())
    if (!input.empty() && !initializers.contains(input))
      connected += (connected.empty() ? "'" : ", '") + input + "'";
  row.connectedTo = "[" + connected + "]";
  row.numParams = paramsOfNode;
  row.numTrainableParams = trainableOfNode;
  model.layers.push_back(std::move(row));
  return success();
}

/// The `pkg.torch.export.graph_signature.InputSpec.kind` of each value that
/// PyTorch's dynamo exporter records it for (PARAMETER, BUFFER, ...): its
/// ValueInfoProto's metadata_props (IR 10, field 4), which the libonnx kiln
/// links (ONNX 1.12) predates and keeps as unknown fields.
static llvm::StringMap<std::string>
torchSignatureKinds(const onnx::GraphProto &graph) {
  llvm::StringMap<std::string> kinds;
  constexpr int kMetadataProps = 4;
  for (const onnx::ValueInfoProto &info : graph.value_info()) {
    const google::protobuf::UnknownFieldSet &unknown = info.unknown_fields();
    for (int i = 0; i < unknown.field_count(); ++i) {
      const google::protobuf::UnknownField &field = unknown.field(i);
      onnx::StringStringEntryProto entry;
      if (field.number() != kMetadataProps ||
          field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED ||
          !entry.ParseFromString(field.length_delimited()))
        continue;
      if (entry.key() == "pkg.torch.export.graph_signature.InputSpec.kind")
        kinds[info.name()] = entry.value();
    }
  }
  return kinds;
}

FailureOr<ImportedModel> OnnxModelImporter::run(const onnx::ModelProto &proto) {
  int64_t opset = defaultOpset(proto);
  if (opset < 0) {
    emitFileError() << "the model imports no opset of the default domain";
    return failure();
  }
  if (opset < kMinOpset || opset > kMaxOpset) {
    emitFileError() << "opset " << opset << " is not supported (kiln reads "
                    << "opsets " << kMinOpset << " to " << kMaxOpset << ")";
    return failure();
  }
  const onnx::GraphProto &graph = proto.graph();
  model.module = ModuleOp::create(fileLoc);
  model.name = graph.name().empty() ? "model" : graph.name();
  model.kind = "Functional";
  builder.setInsertionPointToEnd(model.module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, kPredictFuncName,
                                   builder.getFunctionType({}, {}));
  entry = func.addEntryBlock();

  std::string modelDir = llvm::sys::path::parent_path(path).str();
  for (const onnx::TensorProto &init : graph.initializer()) {
    FailureOr<HostTensor> t =
        readTensorProto(init, modelDir, fileLoc, "initializer");
    if (failed(t))
      return failure();
    if (values.count(init.name())) {
      emitFileError() << "initializer '" << init.name() << "' is listed twice";
      return failure();
    }
    if (t->type == OnnxType::Float)
      initializers.insert(init.name());
    values[init.name()] = OnnxValue::ofKnown(std::move(*t));
  }
  // A model from PyTorch's dynamo exporter says which initializers are the
  // module's parameters; the others are its constants (or values it folded
  // from parameters) and are not trained.
  llvm::StringMap<std::string> kinds = torchSignatureKinds(graph);
  if (!kinds.empty())
    for (const auto &name : initializers) {
      auto it = kinds.find(name.getKey());
      if (it == kinds.end())
        exporterMade.insert(name.getKey());
      if (it == kinds.end() || it->second != "PARAMETER")
        exporterConstants.insert(name.getKey());
    }
  for (const auto &name : options.frozen)
    if (!initializers.contains(name.getKey())) {
      emitFileError() << "--freeze names '" << name.getKey()
                      << "', which is no float32 initializer of the model";
      return failure();
    }
  if (failed(addInputs(graph, opset)))
    return failure();
  for (auto [i, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, i, opset)))
      return failure();

  builder.setInsertionPointToEnd(entry);
  SmallVector<Value> results;
  SmallVector<std::string> outputNames;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    auto it = values.find(info.name());
    if (it == values.end()) {
      emitFileError() << "graph output '" << info.name()
                      << "' is not computed by any node";
      return failure();
    }
    OnnxValue &v = it->second;
    Value result = v.value;
    if (v.sequence) {
      emitFileError() << "graph output '" << info.name()
                      << "' is a sequence; kiln's model outputs are tensors";
      return failure();
    }
    if (v.held) {
      emitFileError() << "graph output '" << info.name() << "' "
                      << describeHeld(v)
                      << "; kiln's model outputs have the batch first";
      return failure();
    }
    if (result && !v.layout.empty())
      result = TransposeOp::create(builder, fileLoc, result,
                                   invertPermutation(v.layout));
    if (!result && v.known->type == OnnxType::Float)
      result = materialize(info.name(), v);
    else if (!result && !v.known->hasDynamicBatch())
      result = materializeTyped(v);
    if (!result) {
      emitFileError() << "graph output '" << info.name() << "' is "
                      << typeName(v.known->type)
                      << (v.known->hasDynamicBatch()
                              ? " and holds the batch size"
                              : "")
                      << "; kiln's model outputs are float32, int32, int64 "
                         "or bool tensors";
      return failure();
    }
    results.push_back(result);
    outputNames.push_back(info.name());
  }
  if (results.empty()) {
    emitFileError() << "the graph has no outputs";
    return failure();
  }
  if (options.training && !foldedConstants.empty())
    warnNaming(foldedConstants,
               " initializer(s) that the exporter did not mark as parameters "
               "stay constant in training: ",
               " (torch.export's graph signature; values it folded from "
               "parameters train only when the model is exported with "
               "optimize=False)");
  if (options.training)
    warnSharedUniformParams(graph);
  finishPredictFunction(func, model, results, inputNames, outputNames);
  if (failed(verify(*model.module)))
    return failure();
  return std::move(model);
}

/// Reads and checks the model file.
static FailureOr<onnx::ModelProto> loadModel(MLIRContext *context,
                                             StringRef path) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  onnx::ModelProto proto;
  std::string problem;
  if (failed(readProtoFile(path, proto, problem))) {
    emitError(fileLoc) << (problem.empty()
                               ? "not a valid ONNX model (the protobuf does "
                                 "not parse: truncated or not ONNX)"
                               : problem);
    return failure();
  }
  if (!proto.has_graph()) {
    emitError(fileLoc) << "not a valid ONNX model (it has no graph)";
    return failure();
  }
  if (proto.ir_version() > kMaxIrVersion) {
    emitError(fileLoc) << "IR version " << proto.ir_version()
                       << " is newer than kiln reads (up to " << kMaxIrVersion
                       << ", ONNX 1.16)";
    return failure();
  }
  // A model of an opset kiln does not read is refused by the importer (and
  // listed by inspectOnnxModel) without the checker.
  int64_t opset = defaultOpset(proto);
  if (opset < kMinOpset || opset > kMaxOpset)
    return proto;
  auto libonnxKnows = [&](StringRef op) {
    const OpKind *kind = findOpKind(op, opset);
    return kind && kind->sinceVersion <= checkerLastOpset();
  };
  problem = checkOnnxModel(proto, path, opset, libonnxKnows);
  if (!problem.empty()) {
    emitError(fileLoc) << "invalid ONNX model: " << problem;
    return failure();
  }
  return proto;
}

FailureOr<ImportedModel>
mlir::kiln::onnx_import::importOnnxModel(MLIRContext *context, StringRef path,
                                         const ImportOptions &options) {
  context->loadDialect<KilnDialect, func::FuncDialect>();
  FailureOr<onnx::ModelProto> proto = loadModel(context, path);
  if (failed(proto))
    return failure();
  OnnxModelImporter importer(context, path, options);
  return importer.run(*proto);
}

FailureOr<OnnxModelInfo>
mlir::kiln::onnx_import::inspectOnnxModel(MLIRContext *context,
                                          StringRef path) {
  FailureOr<onnx::ModelProto> proto = loadModel(context, path);
  if (failed(proto))
    return failure();
  OnnxModelInfo info;
  info.opset = defaultOpset(*proto);
  auto note = [](std::vector<std::string> &list, std::string what) {
    if (!llvm::is_contained(list, what))
      list.push_back(std::move(what));
  };
  if (info.opset < kMinOpset || info.opset > kMaxOpset)
    note(info.unsupported, "opset " + std::to_string(info.opset));
  const onnx::GraphProto &graph = proto->graph();
  for (const onnx::NodeProto &node : graph.node()) {
    bool foreign = !node.domain().empty() && node.domain() != "ai.onnx";
    std::string op =
        foreign ? node.domain() + "." + node.op_type() : node.op_type();
    note(info.ops, op);
    if (foreign || !findOpKind(node.op_type(), info.opset))
      note(info.unsupported, op);
  }
  llvm::StringSet<> initialized;
  for (const onnx::TensorProto &init : graph.initializer())
    initialized.insert(init.name());
  // Element types: kiln computes in float32, and takes other tensors where
  // an op needs them when compiling (a shape, axes, indices: the operands
  // each handler lists as known) or computes with them (int32/int64/bool
  // operands the handler lists as any-type).
  auto elementType = [](const onnx::ValueInfoProto &v) {
    return static_cast<OnnxType>(v.type().tensor_type().elem_type());
  };
  auto computable = [&](OnnxType type) {
    return bool(elementTypeOf(context, type));
  };
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initialized.contains(input.name()))
      continue;
    info.inputs.push_back(input.name());
    OnnxType type = elementType(input);
    if (type == OnnxType::Float)
      continue;
    bool supported = true;
    for (const onnx::NodeProto &node : graph.node()) {
      const OpKind *kind = findOpKind(node.op_type(), info.opset);
      for (auto [i, name] : llvm::enumerate(node.input())) {
        if (name != input.name())
          continue;
        bool known = isIntegral(type) && kind && i < 32 &&
                     (kind->knownOperands >> i) & 1;
        bool any = computable(type) && kind && i < 32 &&
                   (kind->anyTypeOperands >> i) & 1;
        supported &= known || any;
      }
    }
    if (!supported)
      note(info.unsupported, typeName(type).str() + " data");
  }
  for (const onnx::ValueInfoProto &output : graph.output()) {
    info.outputs.push_back(output.name());
    if (!computable(elementType(output)))
      note(info.unsupported, typeName(elementType(output)).str() + " output");
  }
  return info;
}

llvm::Expected<std::string> mlir::kiln::onnx_import::rewriteOnnxInitializers(
    StringRef path, ArrayRef<ParamData> params,
    ArrayRef<const float *> trained) {
  // Each parameter back in the file's layout.
  llvm::StringMap<std::vector<float>> values;
  for (auto [param, data] : llvm::zip(params, trained)) {
    HostTensor stored;
    stored.shape = param.shape;
    stored.values.assign(data, data + param.values.size());
    SmallVector<int64_t> inverse(param.filePermutation.size()), shape;
    for (auto [d, p] : llvm::enumerate(param.filePermutation))
      inverse[p] = d;
    values[param.name] =
        inverse.empty() ? std::vector<float>(data, data + param.values.size())
                        : transposed(stored, inverse, shape);
  }
  onnx::ModelProto proto;
  std::string problem;
  if (failed(readProtoFile(path, proto, problem)))
    return llvm::createStringError(
        path + ": " + (problem.empty() ? "not a valid ONNX model" : problem));
  llvm::StringSet<> written;
  for (onnx::TensorProto &tensor :
       *proto.mutable_graph()->mutable_initializer()) {
    auto it = values.find(tensor.name());
    if (it == values.end())
      continue;
    int64_t count = 1;
    for (int64_t d : tensor.dims())
      count *= d;
    if (tensor.data_type() != onnx::TensorProto::FLOAT ||
        count != int64_t(it->second.size()))
      return llvm::createStringError(
          path + ": initializer '" + tensor.name() +
          "' does not match the trained parameter's type or size");
    std::string raw(count * sizeof(float), '\0');
    for (auto [i, v] : llvm::enumerate(it->second)) {
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      llvm::support::endian::write32le(raw.data() + i * 4, bits);
    }
    tensor.clear_float_data();
    tensor.clear_external_data();
    tensor.clear_data_location();
    tensor.set_raw_data(std::move(raw));
    written.insert(tensor.name());
  }
  for (const auto &entry : values)
    if (!written.contains(entry.getKey()))
      return llvm::createStringError(path +
                                     ": the model has no float32 "
                                     "initializer '" +
                                     entry.getKey() + "'");
  std::string out;
  if (!proto.SerializeToString(&out))
    return llvm::createStringError("cannot serialize the ONNX model (over "
                                   "2 GB?)");
  return out;
}