//===- KerasImporter.cpp - Keras / TensorFlow.js model importer -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Finds the model's topology (Keras JSON) and weights in whichever file form
// the user has, then walks the topology, Sequential or functional, Keras 2 or
// Keras 3 schema, calling one registered handler per layer. Each handler
// builds kiln ops into @predict; parameters become @predict arguments whose
// values go to `ImportedModel::params`, never into the IR.
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasImporter.h"
#include "frontend/keras/Initializers.h"
#include "frontend/keras/KerasLayers.h"
#include "frontend/keras/KerasWeights.h"
#include "frontend/keras/TrainingConfig.h"

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;
namespace json = llvm::json;

namespace {

//===----------------------------------------------------------------------===//
// Topology
//===----------------------------------------------------------------------===//

/// The most elements one parameter, or one sample of a tensor, may hold
/// (2^31: sizes stay far from int64 overflow in every product codegen and
/// the runtime form, and a model beyond that is not one kiln can compile on
/// one machine).
constexpr int64_t kMaxElements = int64_t(1) << 31;

/// The element count of `dims` (all positive), or nullopt when one is not
/// positive or the count exceeds kMaxElements.
static std::optional<int64_t> boundedCount(ArrayRef<int64_t> dims) {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d <= 0 || d > kMaxElements / count)
      return std::nullopt;
    count *= d;
  }
  return count;
}

/// One layer of the topology.
struct LayerSpec {
  std::string name;
  std::string className;
  /// Its key in the layer registry: the class name, or "ops.<class>" for
  /// a Keras 3 operation node.
  std::string kind;
  const json::Object *config = nullptr;
  const json::Object *raw = nullptr; ///< the whole layer entry
  /// Producers of the layer's inputs: (layer name, tensor index).
  SmallVector<std::pair<std::string, int64_t>> inbound;
  std::string keras3Path;
  /// Called with `training=False`: its mode-dependent ops take their
  /// inference form in training too.
  bool inferenceCall = false;
  /// The call's keyword arguments (Keras 3), when the layer kind reads
  /// some (LayerKind::callArguments).
  const json::Object *callArguments = nullptr;
  /// The call's positional arguments (Keras 3): an operation's constants.
  const json::Array *positionalArguments = nullptr;
  /// The masks a Keras 3 functional call passes (Keras records those its
  /// inputs carry), by input position: `mask` (one tensor, or a list for
  /// the inputs in order), `query_mask`, `value_mask`, `key_mask`. Each
  /// replaces the mask kiln carried for that input.
  SmallVector<std::optional<std::pair<std::string, int64_t>>> maskRefs;
  /// The tensors passed by the keywords the kind reads by name
  /// (LayerKind::keywordTensors): (keyword, (layer name, tensor index)).
  SmallVector<std::pair<std::string, std::pair<std::string, int64_t>>>
      keywordRefs;
};

/// True for a config value that turns nothing on: null or false.
static bool isOff(const json::Value &value) {
  return value.kind() == json::Value::Null ||
         value.getAsBoolean() == std::optional<bool>(false);
}

/// Collects `keras_history` refs of Keras 3 `__keras_tensor__`s in `value`.
static void
collectKerasTensors(const json::Value &value,
                    SmallVectorImpl<std::pair<std::string, int64_t>> &refs) {
  if (const json::Array *array = value.getAsArray()) {
    for (const json::Value &v : *array)
      collectKerasTensors(v, refs);
    return;
  }
  const json::Object *object = value.getAsObject();
  if (!object)
    return;
  if (object->getString("class_name") == StringRef("__keras_tensor__")) {
    const json::Object *config = object->getObject("config");
    const json::Array *history =
        config ? config->getArray("keras_history") : nullptr;
    if (history && history->size() == 3 && (*history)[0].getAsString())
      refs.push_back({(*history)[0].getAsString()->str(),
                      (*history)[2].getAsInteger().value_or(0)});
    return;
  }
  for (const auto &kv : *object)
    collectKerasTensors(kv.second, refs);
}

/// Collects the refs of Keras 2 tensors, ["name", node, tensor], in
/// `value` (a call's keyword argument: one, or a list of them).
static void
collectKeras2Tensors(const json::Value &value,
                     SmallVectorImpl<std::pair<std::string, int64_t>> &refs) {
  const json::Array *array = value.getAsArray();
  if (!array)
    return;
  if (array->size() == 3 && (*array)[0].getAsString() &&
      (*array)[1].getAsInteger() && (*array)[2].getAsInteger()) {
    refs.push_back({(*array)[0].getAsString()->str(),
                    *(*array)[2].getAsInteger()});
    return;
  }
  for (const json::Value &v : *array)
    collectKeras2Tensors(v, refs);
}

/// Parses a ["name", node, tensor] reference (Keras 2 nodes and
/// input_layers/output_layers).
static std::optional<std::pair<std::string, int64_t>>
parseRef(const json::Value &value) {
  const json::Array *ref = value.getAsArray();
  if (!ref || ref->size() < 3 || !(*ref)[0].getAsString())
    return std::nullopt;
  return std::make_pair((*ref)[0].getAsString()->str(),
                        (*ref)[2].getAsInteger().value_or(0));
}

/// Parses input_layers / output_layers: a list of refs, or one bare ref
/// (Keras 3 writes a single input that way).
static std::optional<SmallVector<std::pair<std::string, int64_t>>>
parseRefList(const json::Value *value) {
  const json::Array *array = value ? value->getAsArray() : nullptr;
  if (!array)
    return std::nullopt;
  SmallVector<std::pair<std::string, int64_t>> refs;
  if (!array->empty() && (*array)[0].getAsString()) {
    auto ref = parseRef(*value);
    if (!ref)
      return std::nullopt;
    refs.push_back(*ref);
    return refs;
  }
  for (const json::Value &v : *array) {
    auto ref = parseRef(v);
    if (!ref)
      return std::nullopt;
    refs.push_back(*ref);
  }
  return refs;
}

class KerasModelImporter;

/// The LayerBuilder the importer hands to handlers.
class LayerBuilderImpl : public LayerBuilder {
public:
  LayerBuilderImpl(KerasModelImporter &importer, OpBuilder &builder,
                   Location loc, const LayerSpec &spec,
                   std::vector<std::string> weightScopes)
      : LayerBuilder(builder, loc, spec.name, spec.className, *spec.config),
        importer(importer), layerPath(spec.keras3Path),
        scopePath(spec.keras3Path), weightScopes(std::move(weightScopes)) {}

  InFlightDiagnostic emitError() override;
  FailureOr<Value> addParam(StringRef weightName, ArrayRef<int64_t> shape,
                            StringRef initializerKey,
                            StringRef defaultInitializer, ParamRole role,
                            InitialValues adjust) override;
  void setWeightScope(StringRef keras3Scope,
                      const llvm::json::Object &scopeConfig,
                      StringRef nameScope) override {
    scopePath = (layerPath + "/" + keras3Scope).str();
    scopeConfig_ = &scopeConfig;
    paramScope = nameScope.str();
    numWeights = 0;
  }
  const llvm::json::Object &paramConfig() const override {
    return scopeConfig_ ? *scopeConfig_ : config;
  }
  FailureOr<LayerOutputs> importSublayer(StringRef keras3Scope,
                                         const llvm::json::Object &layerObject,
                                         ArrayRef<Value> inputs,
                                         int64_t foldedSteps) override;
  /// Checks that every weight the file has for this layer was used.
  LogicalResult finish();

  int64_t numParams = 0;
  int64_t numTrainableParams = 0;

private:
  KerasModelImporter &importer;
  /// The layer's Keras 3 group, and the current weight scope's.
  std::string layerPath, scopePath;
  const llvm::json::Object *scopeConfig_ = nullptr;
  /// The current weight scope's part of the parameters' names.
  std::string paramScope;
  /// Sublayer groups whose weights follow the layer's own (Keras 3).
  std::vector<std::string> weightScopes;
  /// The file's weights for this layer, read when it creates its first
  /// weight (so layers are asked in order, and only those with weights).
  bool weightsRead = false;
  std::optional<std::vector<WeightArray>> fileWeights;
  size_t nextWeight = 0;
  size_t numWeights = 0;
};

class KerasModelImporter {
public:
  KerasModelImporter(MLIRContext *ctx, StringRef path,
                     const ImportOptions &options, ModelSource source)
      : ctx(ctx), path(path), options(options), source(std::move(source)),
        fileLoc(FileLineColLoc::get(ctx, path, 0, 0)), builder(ctx) {
    registerCoreLayers(registry);
    registerNormalizationLayers(registry);
    registerConvolutionalLayers(registry);
    registerRecurrentLayers(registry);
    registerMergeLayers(registry);
    registerActivationLayers(registry);
    registerReshapingLayers(registry);
    registerAttentionLayers(registry);
    registerMaskOperations(registry);
  }

  FailureOr<ImportedModel> run();

  InFlightDiagnostic emitLayerError(StringRef name, StringRef className) {
    InFlightDiagnostic diag = emitError(fileLoc);
    diag << "layer '" << name << "' (" << className << "): ";
    return diag;
  }

  /// Adds a parameter argument to @predict.
  Value addParamArgument(ParamData data) {
    auto type = RankedTensorType::get(data.shape, builder.getF32Type());
    Value arg = entry->insertArgument(model.params.size(), type, fileLoc);
    model.params.push_back(std::move(data));
    return arg;
  }

  /// Refuses a layer config key that is set but not among `known` (nor
  /// common to all layers), and a dtype other than float32; errors name
  /// layer `name` of class `className`.
  LogicalResult checkConfigKeys(StringRef name, StringRef className,
                                const json::Object &config,
                                ArrayRef<StringLiteral> known,
                                bool operation = false);

  MLIRContext *ctx;
  std::string path;
  const ImportOptions &options;
  ModelSource source;
  Location fileLoc;
  OpBuilder builder;
  LayerRegistry registry;
  ImportedModel model;
  Block *entry = nullptr;

private:
  FailureOr<SmallVector<LayerSpec, 0>> parseLayers(const json::Value &layers,
                                                bool sequential);
  LogicalResult readCallArgument(LayerSpec &spec, StringRef key,
                                 const json::Value &value, bool keras3);
  LogicalResult readKeywordArguments(LayerSpec &spec,
                                     const json::Object &kwargs, bool keras3);
  FailureOr<Value> addInput(const LayerSpec &spec,
                            std::optional<SmallVector<int64_t>> shape);
  FailureOr<LayerOutputs>
  importLayer(const LayerSpec &spec, ArrayRef<Value> inputs,
              ArrayRef<Value> inputMasks, SmallVectorImpl<Value> &outputMasks,
              ArrayRef<std::pair<StringRef, Value>> keywordTensors = {});
  LogicalResult checkOutputMask(StringRef name, Value mask);
  LogicalResult importSequential(const json::Object &config);
  LogicalResult importFunctional(const json::Object &config);
  std::optional<SmallVector<int64_t>> batchShape(const json::Object &config);

  SmallVector<std::string> inputNames;
  SmallVector<std::pair<std::string, Value>> outputs;
  /// The outputs of Keras 3's logical operations (masks, as float 0/1).
  llvm::DenseSet<Value> booleans;
};

InFlightDiagnostic LayerBuilderImpl::emitError() {
  return importer.emitLayerError(name, className);
}

FailureOr<Value> LayerBuilderImpl::addParam(
    StringRef weightName, ArrayRef<int64_t> shape, StringRef initializerKey,
    StringRef defaultInitializer, ParamRole role, InitialValues adjust) {
  // Sizes first: nothing is read or allocated for a shape kiln refuses.
  if (!boundedCount(shape)) {
    emitError() << "weight '" << weightName << "' of shape "
                << formatKerasShape(shape) << " is empty or holds more than "
                << kMaxElements << " elements";
    return failure();
  }
  ParamData data;
  data.name = paramScope.empty()
                  ? (name + "/" + weightName).str()
                  : (name + "/" + paramScope + "/" + weightName).str();
  data.keras3Path = scopePath + "/vars/" + std::to_string(numWeights++);
  data.shape.assign(shape.begin(), shape.end());
  // Keras: a layer with `trainable: false` has only non-trainable weights;
  // state is never trainable and only updated while its layer trains.
  data.trainable = role == ParamRole::Weight && isTrainable();
  data.state = role == ParamRole::State && isTrainable();
  if (WeightSource *source = importer.source.weights.get()) {
    StringRef file = source->fileName();
    if (!weightsRead) {
      weightsRead = true;
      llvm::Expected<std::optional<std::vector<WeightArray>>> read =
          source->layerWeights({name, layerPath, weightScopes});
      if (!read) {
        emitError() << "reading '" << file
                    << "': " << llvm::toString(read.takeError());
        return failure();
      }
      fileWeights = std::move(*read);
    }
    if (!fileWeights) {
      emitError() << "no weights for this layer in '" << file << "'";
      return failure();
    }
    if (nextWeight >= fileWeights->size()) {
      emitError() << "missing weight '" << weightName << "' in '" << file
                  << "' (it has " << fileWeights->size()
                  << " weights for this layer)";
      return failure();
    }
    WeightArray &array = (*fileWeights)[nextWeight++];
    if (ArrayRef<int64_t>(array.shape) != shape) {
      emitError() << "weight '" << weightName << "' ('" << array.name
                  << "' in '" << file << "') has shape "
                  << formatKerasShape(array.shape) << ", expected "
                  << formatKerasShape(shape);
      return failure();
    }
    data.values = std::move(array.values);
  } else {
    llvm::Expected<std::vector<float>> values = evaluateInitializer(
        paramConfig().get(initializerKey), defaultInitializer, shape,
        importer.options.seed, data.name, fanAxes ? &*fanAxes : nullptr);
    if (!values) {
      emitError() << initializerKey << ": "
                  << llvm::toString(values.takeError());
      return failure();
    }
    data.values = std::move(*values);
    data.initialized = true;
    if (adjust)
      adjust(data.values);
  }
  // `kernel_initializer` -> `kernel_regularizer`, `kernel_constraint`: they
  // act on what the optimizer trains, so only trainable weights keep them
  // (Keras regularizes and constrains trainable variables only).
  if (initializerKey.consume_back("_initializer")) {
    FailureOr<DictionaryAttr> regularizer =
        readRegularizer(*this, (initializerKey + "_regularizer").str());
    FailureOr<DictionaryAttr> constraint = readConstraint(
        *this, (initializerKey + "_constraint").str(), shape.size());
    if (failed(regularizer) || failed(constraint))
      return failure();
    if (data.trainable) {
      data.regularizer = *regularizer;
      data.constraint = *constraint;
    }
  }
  numParams += data.values.size();
  if (data.trainable)
    numTrainableParams += data.values.size();
  return importer.addParamArgument(std::move(data));
}

namespace {
/// The LayerBuilder of a layer that another wraps (TimeDistributed's): the
/// wrapped layer's config and class, the wrapper's weights and name. Its
/// errors read "layer 'td' (TimeDistributed(Conv2D)): ...".
class WrappedLayerBuilder : public LayerBuilder {
public:
  WrappedLayerBuilder(LayerBuilder &outer, KerasModelImporter &importer,
                      StringRef label, const llvm::json::Object &config,
                      StringRef scope)
      : LayerBuilder(outer.builder, outer.loc, outer.name, label, config),
        outer(outer), importer(importer), scope(scope.str()) {}

  InFlightDiagnostic emitError() override {
    return importer.emitLayerError(name, className);
  }
  bool isTrainable() const override {
    return outer.isTrainable() && LayerBuilder::isTrainable();
  }
  /// The wrapper's next weight; a frozen wrapped layer's are never trained
  /// nor updated.
  FailureOr<Value> addParam(StringRef weightName, ArrayRef<int64_t> shape,
                            StringRef initializerKey,
                            StringRef defaultInitializer, ParamRole role,
                            InitialValues adjust) override {
    if (!LayerBuilder::isTrainable())
      role = ParamRole::Fixed;
    outer.fanAxes = fanAxes;
    return outer.addParam(weightName, shape, initializerKey, defaultInitializer,
                          role, adjust);
  }
  void setWeightScope(StringRef keras3Scope,
                      const llvm::json::Object &scopeConfig,
                      StringRef nameScope) override {
    outer.setWeightScope(scope + "/" + keras3Scope.str(), scopeConfig,
                         nameScope);
  }
  const llvm::json::Object &paramConfig() const override {
    return outer.paramConfig();
  }
  FailureOr<LayerOutputs> importSublayer(StringRef keras3Scope,
                                         const llvm::json::Object &layerObject,
                                         ArrayRef<Value> inputs,
                                         int64_t foldedSteps) override {
    emitError() << "a wrapper inside a wrapper is not supported";
    return failure();
  }

private:
  LayerBuilder &outer;
  KerasModelImporter &importer;
  std::string scope;
};
} // namespace

FailureOr<LayerOutputs>
LayerBuilderImpl::importSublayer(StringRef keras3Scope,
                                 const llvm::json::Object &layerObject,
                                 ArrayRef<Value> inputs, int64_t foldedSteps) {
  std::optional<StringRef> innerClass = layerObject.getString("class_name");
  const llvm::json::Object *innerConfig = layerObject.getObject("config");
  if (!innerClass || !innerConfig) {
    emitError() << "the wrapped layer lacks 'class_name' or 'config'";
    return failure();
  }
  std::string label = (className + "(" + *innerClass + ")").str();
  auto kind = importer.registry.find(*innerClass);
  if (kind == importer.registry.end()) {
    emitError() << "wraps unsupported layer class '" << *innerClass << "'";
    return failure();
  }
  if (failed(importer.checkConfigKeys(name, label, *innerConfig,
                                      kind->second.keys)))
    return failure();
  // The wrapper's outputs are not the wrapped layer's, whose penalty Keras
  // computes per call: refused rather than applied to the wrong tensor.
  if (const json::Value *activity = innerConfig->get("activity_regularizer");
      activity && !isOff(*activity)) {
    importer.emitLayerError(name, label)
        << "config 'activity_regularizer' is not supported on a wrapped "
           "layer: kiln does not ignore a setting that changes the model";
    return failure();
  }
  // Keras 3's TimeDistributed hands its mask, a step at a time, to a layer
  // whose call takes one (kiln's layers that use masks); for any other it
  // just passes the mask on (TimeDistributed's handler).
  if (inputMask() && (kind->second.masks == MaskUse::Handle ||
                      kind->second.masks == MaskUse::Refuse)) {
    importer.emitLayerError(name, label)
        << "its input carries a mask (Embedding's mask_zero or Masking), "
           "which Keras hands to the wrapped layer at each step; kiln does "
           "not";
    return failure();
  }
  setWeightScope(keras3Scope, *innerConfig, "");
  WrappedLayerBuilder inner(*this, importer, label, *innerConfig, keras3Scope);
  inner.foldedSteps = foldedSteps;
  inner.flavor = flavor;
  return kind->second.handler(inner, inputs);
}

LogicalResult LayerBuilderImpl::finish() {
  WeightSource *source = importer.source.weights.get();
  if (source && !weightsRead) {
    if (llvm::Error error =
            source->checkNoWeights({name, layerPath, weightScopes})) {
      emitError() << "reading '" << source->fileName()
                  << "': " << llvm::toString(std::move(error));
      return failure();
    }
    return success();
  }
  if (fileWeights && nextWeight != fileWeights->size()) {
    emitError() << "'" << importer.source.weights->fileName() << "' has "
                << fileWeights->size() << " weights for this layer, the layer "
                << "uses " << nextWeight;
    return failure();
  }
  return success();
}

std::optional<SmallVector<int64_t>>
KerasModelImporter::batchShape(const json::Object &config) {
  const json::Array *shape = nullptr;
  for (StringRef key : {"batch_input_shape", "batch_shape"})
    if ((shape = config.getArray(key)))
      break;
  if (!shape)
    return std::nullopt;
  SmallVector<int64_t> dims;
  for (const json::Value &d : *shape)
    dims.push_back(d.getAsInteger().value_or(ShapedType::kDynamic));
  return dims;
}

/// A call argument of a layer's inbound node that passes no tensor. Null
/// is absent. `training`: Keras 3's functional models pass fit's, evaluate's
/// and predict's own flag to every layer, overriding the node's, so it is
/// read as Keras 3 runs it: not at all; Keras 2 honours the node's, so
/// `training=False` keeps the layer in inference mode in fit too (a frozen
/// base model's BatchNormalization), and `training=True` (training mode in
/// predict) is refused. Anything else would change the model kiln builds,
/// and is refused.
LogicalResult KerasModelImporter::readCallArgument(LayerSpec &spec,
                                                   StringRef key,
                                                   const json::Value &value,
                                                   bool keras3) {
  if (value.kind() == json::Value::Null || (keras3 && key == "training"))
    return success();
  if (key == "training" && value.getAsBoolean() == false) {
    spec.inferenceCall = true;
    return success();
  }
  InFlightDiagnostic diag = emitLayerError(spec.name, spec.className);
  if (key == "training")
    diag << "call argument 'training=True' (training mode in predict and "
            "evaluate too) is not supported";
  else
    diag << "call argument '" << key
         << "' is not supported: kiln does not ignore a setting that "
            "changes the model";
  return failure();
}

/// The input whose mask a Keras 3 call's keyword argument passes.
static std::optional<size_t> maskPosition(StringRef key) {
  return llvm::StringSwitch<std::optional<size_t>>(key)
      .Cases({"mask", "query_mask"}, 0)
      .Case("value_mask", 1)
      .Case("key_mask", 2)
      .Default(std::nullopt);
}

/// A call's keyword arguments (Keras 3's, or Keras 2's with `keras3`
/// false): tensors the layer kind names take their positions among the
/// inputs (after the positional ones), a recurrent layer's `initial_state`
/// follows them, and the kind's other arguments reach its handler; the
/// rest go to `readCallArgument`.
LogicalResult
KerasModelImporter::readKeywordArguments(LayerSpec &spec,
                                         const json::Object &kwargs,
                                         bool keras3) {
  auto kind = registry.find(spec.kind);
  ArrayRef<StringLiteral> named;
  size_t tensorSlots = 0;
  if (kind != registry.end()) {
    named = kind->second.callArguments;
    tensorSlots = kind->second.tensorArguments;
  }
  std::vector<std::string> keys;
  for (const auto &kv : kwargs)
    keys.push_back(kv.first.str());
  llvm::sort(keys);
  using Refs = SmallVector<std::pair<std::string, int64_t>>;
  SmallVector<Refs> slots(tensorSlots);
  for (const std::string &key : keys) {
    Refs refs;
    if (keras3)
      collectKerasTensors(*kwargs.get(key), refs);
    else
      collectKeras2Tensors(*kwargs.get(key), refs);
    size_t index = llvm::find(named, key) - named.begin();
    if (refs.empty()) {
      if (index < named.size() && index >= tensorSlots) {
        spec.callArguments = &kwargs;
        continue;
      }
      if (failed(readCallArgument(spec, key, *kwargs.get(key), keras3)))
        return failure();
      continue;
    }
    if (index < tensorSlots) {
      slots[index] = std::move(refs);
      continue;
    }
    if (kind != registry.end() &&
        llvm::is_contained(kind->second.keywordTensors, key)) {
      if (refs.size() != 1) {
        emitLayerError(spec.name, spec.className)
            << "call argument '" << key << "' passes " << refs.size()
            << " tensors; kiln reads one";
        return failure();
      }
      spec.keywordRefs.push_back({key, refs.front()});
      continue;
    }
    if (std::optional<size_t> position = maskPosition(key)) {
      // One tensor, or (`mask`) a list of tensors and nulls.
      auto place = [&](size_t i, const json::Value &v) {
        Refs one;
        if (keras3)
          collectKerasTensors(v, one);
        else
          collectKeras2Tensors(v, one);
        if (one.size() > 1)
          return false;
        if (spec.maskRefs.size() <= i)
          spec.maskRefs.resize(i + 1);
        if (!one.empty())
          spec.maskRefs[i] = one.front();
        return true;
      };
      bool ok = true;
      if (const json::Array *list = kwargs.get(key)->getAsArray();
          list && key == "mask")
        for (auto [i, v] : llvm::enumerate(*list))
          ok &= place(i, v);
      else
        ok = place(*position, *kwargs.get(key));
      if (!ok) {
        emitLayerError(spec.name, spec.className)
            << "call argument '" << key << "' is not one mask per input";
        return failure();
      }
      continue;
    }
    if (key != "initial_state") {
      emitLayerError(spec.name, spec.className)
          << "call argument '" << key
          << "' passes tensors; kiln does not read it";
      return failure();
    }
    spec.inbound.append(refs.begin(), refs.end());
  }
  for (auto [index, refs] : llvm::enumerate(slots)) {
    if (refs.empty())
      continue;
    if (spec.inbound.size() != index) {
      emitLayerError(spec.name, spec.className)
          << "call argument '" << named[index] << "' is argument "
          << index + 1 << " of the call, but only " << spec.inbound.size()
          << " of the arguments before it are given";
      return failure();
    }
    spec.inbound.append(refs.begin(), refs.end());
  }
  return success();
}

FailureOr<SmallVector<LayerSpec, 0>>
KerasModelImporter::parseLayers(const json::Value &layers, bool sequential) {
  const json::Array *array = layers.getAsArray();
  if (!array) {
    emitError(fileLoc) << "model config has no 'layers' list";
    return failure();
  }
  SmallVector<LayerSpec, 0> specs;
  llvm::StringMap<int> snakeCounts;
  llvm::StringSet<> names;
  for (const json::Value &value : *array) {
    const json::Object *layer = value.getAsObject();
    std::optional<StringRef> className =
        layer ? layer->getString("class_name") : std::nullopt;
    const json::Object *config = layer ? layer->getObject("config") : nullptr;
    if (!className || !config) {
      emitError(fileLoc) << "layer #" << specs.size()
                         << " lacks 'class_name' or 'config'";
      return failure();
    }
    LayerSpec spec;
    spec.className = className->str();
    // Keras 3 records operations (keras.ops) in functional graphs, some
    // named like layers (Concatenate): they have kinds of their own.
    spec.kind = layer->getString("module").value_or("").starts_with(
                    "keras.src.ops")
                    ? "ops." + spec.className
                    : spec.className;
    spec.config = config;
    spec.raw = layer;
    spec.name = config->getString("name")
                    .value_or(layer->getString("name").value_or(""))
                    .str();
    if (spec.name.empty())
      spec.name = "layer_" + std::to_string(specs.size());
    // Keras requires unique layer names; a later one silently replacing an
    // earlier one would compile a different graph.
    if (!names.insert(spec.name).second) {
      emitLayerError(spec.name, spec.className)
          << "a layer with this name appears earlier in the model (layer "
             "names must be unique)";
      return failure();
    }
    // Custom layers: a registered_name ("package>Class") or a non-Keras
    // module.
    std::optional<StringRef> registered = layer->getString("registered_name");
    std::optional<StringRef> module = layer->getString("module");
    if ((registered && *registered != *className) ||
        (module && !module->starts_with("keras"))) {
      emitLayerError(spec.name, spec.className)
          << "unsupported custom layer '"
          << (registered ? *registered : *className) << "'"
          << (module ? (" from module '" + *module + "'").str() : "");
      return failure();
    }
    // Keras 3 weight path: model.layers (Sequential hides InputLayer), named
    // by snake-cased class with a per-name counter.
    if (!(sequential && spec.className == "InputLayer")) {
      std::string snake = toSnakeCase(spec.className);
      int &count = snakeCounts[snake];
      spec.keras3Path =
          "layers/" + (count ? snake + "_" + std::to_string(count) : snake);
      ++count;
    }
    if (const json::Array *nodes = layer->getArray("inbound_nodes")) {
      if (nodes->size() > 1) {
        emitLayerError(spec.name, spec.className)
            << "shared layers (called " << nodes->size()
            << " times) are not supported";
        return failure();
      }
      for (const json::Value &node : *nodes) {
        if (const json::Array *refs = node.getAsArray()) { // Keras 2
          // [layer, node, tensor, kwargs]: the positional tensors, then the
          // call's other arguments, tensors among them (MultiHeadAttention's
          // `value` and `key`) after the positional ones; `training=True`
          // runs a layer in training mode in predict.
          SmallVector<const json::Object *> kwargsOfRefs;
          for (const json::Value &r : *refs) {
            auto ref = parseRef(r);
            if (!ref) {
              emitLayerError(spec.name, spec.className)
                  << "malformed inbound node";
              return failure();
            }
            const json::Array &parts = *r.getAsArray();
            if (const json::Object *kwargs =
                    parts.size() > 3 ? parts[3].getAsObject() : nullptr;
                kwargs && !kwargs->empty())
              kwargsOfRefs.push_back(kwargs);
            spec.inbound.push_back(*ref);
          }
          for (const json::Object *kwargs : kwargsOfRefs)
            if (failed(readKeywordArguments(spec, *kwargs, /*keras3=*/false)))
              return failure();
        } else if (const json::Object *call = node.getAsObject()) {
          // Keras 3: {"args": [...], "kwargs": {...}}: the tensors of the
          // args, then those of a recurrent layer's `initial_state`.
          if (!call->get("args") && !call->get("kwargs"))
            collectKerasTensors(node, spec.inbound);
          if (const json::Value *args = call->get("args")) {
            collectKerasTensors(*args, spec.inbound);
            spec.positionalArguments = args->getAsArray();
          }
          if (const json::Object *kwargs = call->getObject("kwargs"))
            if (failed(readKeywordArguments(spec, *kwargs, /*keras3=*/true)))
              return failure();
        }
      }
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

FailureOr<Value>
KerasModelImporter::addInput(const LayerSpec &spec,
                             std::optional<SmallVector<int64_t>> shape) {
  if (!shape || shape->empty()) {
    emitLayerError(spec.name, spec.className)
        << "the model's input shape is unknown (no batch_input_shape, "
           "batch_shape or input layer)";
    return failure();
  }
  // float32 data, integer ids for an Embedding, or booleans for a
  // MultiHeadAttention's attention_mask.
  Type element = builder.getF32Type();
  if (std::optional<StringRef> dtype = spec.config->getString("dtype")) {
    if (*dtype == "int32" || *dtype == "int64")
      element = builder.getIntegerType(*dtype == "int32" ? 32 : 64);
    else if (*dtype == "bool")
      element = builder.getI1Type();
    else if (*dtype != "float32") {
      emitLayerError(spec.name, spec.className)
          << "input dtype '" << *dtype
          << "' is not supported (float32, int32/int64 ids, or bool)";
      return failure();
    }
  }
  for (size_t i = 1; i < shape->size(); ++i)
    if ((*shape)[i] <= 0) {
      emitLayerError(spec.name, spec.className)
          << "input shape " << formatKerasShape(*shape)
          << " has a dynamic or invalid non-batch dimension";
      return failure();
    }
  if (!boundedCount(ArrayRef<int64_t>(*shape).drop_front())) {
    emitLayerError(spec.name, spec.className)
        << "input shape " << formatKerasShape(*shape) << " holds more than "
        << kMaxElements << " elements per sample";
    return failure();
  }
  (*shape)[0] = ShapedType::kDynamic;
  auto type = RankedTensorType::get(*shape, element);
  inputNames.push_back(spec.name);
  return entry->addArgument(type, fileLoc);
}


/// The name of a Keras dtype config: "float32", or a DTypePolicy object's
/// `config.name` (Keras 3).
static std::optional<StringRef> dtypeName(const json::Value &value) {
  if (std::optional<StringRef> name = value.getAsString())
    return name;
  if (const json::Object *policy = value.getAsObject())
    if (const json::Object *config = policy->getObject("config"))
      return config->getString("name");
  return std::nullopt;
}

LogicalResult
KerasModelImporter::checkConfigKeys(StringRef name, StringRef className,
                                    const json::Object &config,
                                    ArrayRef<StringLiteral> known,
                                    bool operation) {
  // Keys every layer has; the input shape keys are read by the model's
  // import (the first layer of a Sequential may carry them).
  // `activity_regularizer`: every layer's outputs may carry one
  // (importLayer).
  static constexpr StringLiteral common[] = {
      "name",        "trainable",   "dtype",     "batch_input_shape",
      "batch_shape", "input_shape", "input_dim", "batch_size",
      "activity_regularizer"};
  // A Keras 3 operation's config: its name and what its handler reads
  // (ZerosLike's `dtype` is the result's, not a compute policy).
  ArrayRef<StringLiteral> shared(common);
  if (operation)
    shared = shared.take_front(1);
  else if (std::optional<std::string> dtype = unsupportedDtype(config)) {
    emitLayerError(name, className) << *dtype;
    return failure();
  }
  for (const auto &[key, value] : config) {
    if (llvm::is_contained(shared, key.str()) ||
        llvm::is_contained(known, key.str()) || isOff(value))
      continue;
    emitLayerError(name, className)
        << "config '" << key.str()
        << "' is not supported: kiln does not ignore a setting that changes "
           "the model";
    return failure();
  }
  return success();
}

/// Keras weights an output's loss and metrics by the mask it carries
/// (a sequence output after Embedding's mask_zero): kiln does not.
LogicalResult KerasModelImporter::checkOutputMask(StringRef name, Value mask) {
  if (!mask)
    return success();
  emitError(fileLoc) << "output '" << name
                     << "' carries a mask (Embedding's mask_zero or Masking), "
                        "by which Keras weights its loss and metrics; kiln "
                        "does not (end the mask first: an RNN without "
                        "return_sequences, or GlobalAveragePooling1D)";
  return failure();
}

FailureOr<LayerOutputs> KerasModelImporter::importLayer(
    const LayerSpec &spec, ArrayRef<Value> inputs, ArrayRef<Value> inputMasks,
    SmallVectorImpl<Value> &outputMasks,
    ArrayRef<std::pair<StringRef, Value>> keywordTensors) {
  auto handler = registry.find(spec.kind);
  if (handler == registry.end()) {
    if (spec.kind != spec.className)
      emitLayerError(spec.name, spec.className)
          << "unsupported Keras operation '" << spec.className
          << "' (kiln reads the operations Keras computes masks with)";
    else
      emitLayerError(spec.name, spec.className)
          << "unsupported layer class '" << spec.className << "'";
    return failure();
  }
  if (!handler->second.logical)
    for (Value input : inputs)
      if (booleans.contains(input)) {
        emitLayerError(spec.name, spec.className)
            << "takes a boolean tensor (a Keras mask); kiln reads masks "
               "only as a layer's `mask` argument";
        return failure();
      }
  MaskUse maskUse = handler->second.masks;
  bool masked = llvm::any_of(inputMasks, [](Value m) { return bool(m); });
  if (masked && maskUse == MaskUse::Refuse) {
    emitLayerError(spec.name, spec.className)
        << "its input carries a mask (Embedding's mask_zero or Masking), "
           "which Keras uses in this layer; kiln does not";
    return failure();
  }
  if (masked && maskUse == MaskUse::Drop)
    emitWarning(fileLoc) << "layer '" << spec.name << "' (" << spec.className
                         << ") does not support masking: the mask of its "
                            "input ends here, as in Keras";
  if (failed(checkConfigKeys(spec.name, spec.className, *spec.config,
                             handler->second.keys,
                             /*operation=*/handler->second.logical)))
    return failure();
  for (Value input : inputs) {
    Type element = cast<RankedTensorType>(input.getType()).getElementType();
    if (element.isInteger(1)) {
      emitLayerError(spec.name, spec.className)
          << "takes a bool input; kiln reads booleans only as a "
             "MultiHeadAttention's attention_mask";
      return failure();
    }
    if (!handler->second.integerInputs && isa<IntegerType>(element)) {
      emitLayerError(spec.name, spec.className)
          << "takes an int" << element.getIntOrFloatBitWidth()
          << " input; only Embedding takes integer ids (give the model "
             "input dtype float32)";
      return failure();
    }
  }
  std::vector<std::string> scopes;
  if (handler->second.weightScopes)
    scopes = handler->second.weightScopes(*spec.config);
  Location loc = NameLoc::get(builder.getStringAttr(spec.name), fileLoc);
  LayerBuilderImpl layer(*this, builder, loc, spec, std::move(scopes));
  layer.flavor = source.flavor;
  layer.callArguments = spec.callArguments;
  layer.positionalArguments = spec.positionalArguments;
  layer.inputMasks = inputMasks;
  layer.keywordTensors = keywordTensors;
  Block *block = builder.getInsertionBlock();
  Operation *before = builder.getInsertionPoint() == block->begin()
                          ? nullptr
                          : &*std::prev(builder.getInsertionPoint());
  FailureOr<LayerOutputs> result = handler->second.handler(layer, inputs);
  if (failed(result) || failed(layer.finish()))
    return failure();
  // An activity regularizer: each float output marked for the losses,
  // which add its penalty (kiln.activity_regularizer).
  FailureOr<DictionaryAttr> activity =
      readRegularizer(layer, "activity_regularizer");
  if (failed(activity))
    return failure();
  if (*activity)
    for (Value &output : *result) {
      auto type = cast<RankedTensorType>(output.getType());
      if (!isa<FloatType>(type.getElementType()) || type.getRank() == 0)
        continue;
      output = ActivityRegularizerOp::create(
          builder, loc, output, activity->getAs<FloatAttr>("l1"),
          activity->getAs<FloatAttr>("l2"));
    }
  if (spec.inferenceCall) {
    // training=False: every mode-dependent op the layer built (in a
    // recurrent loop's body too) keeps its inference form.
    Block::iterator first =
        before ? std::next(before->getIterator()) : block->begin();
    for (Operation &op : llvm::make_range(first, builder.getInsertionPoint()))
      op.walk([&](ModeDependentOpInterface modal) {
        modal->setAttr(kInferenceOnlyAttrName, builder.getUnitAttr());
      });
  }
  if (result->empty()) {
    emitLayerError(spec.name, spec.className) << "produced no output";
    return failure();
  }
  outputMasks.clear();
  switch (maskUse) {
  case MaskUse::Pass:
    outputMasks.push_back(inputMasks.empty() ? Value() : inputMasks.front());
    break;
  case MaskUse::Merge:
    // Keras: the logical or of the inputs' masks, none unless all have one.
    if (masked && llvm::all_of(inputMasks, [](Value m) { return bool(m); })) {
      Value any = inputMasks.front();
      for (Value m : inputMasks.drop_front())
        any = MaximumOp::create(builder, loc, any, m);
      outputMasks.push_back(any);
    }
    break;
  case MaskUse::Handle:
    outputMasks.assign(layer.outputMasks.begin(), layer.outputMasks.end());
    break;
  case MaskUse::Drop:
  case MaskUse::Refuse:
    break;
  }
  outputMasks.resize(result->size());
  if (handler->second.logical)
    booleans.insert(result->begin(), result->end());
  // Keras prints one shape, or a list of them for several outputs.
  std::string shapes;
  for (Value output : *result)
    shapes +=
        (shapes.empty() ? "" : ", ") +
        formatKerasShape(cast<RankedTensorType>(output.getType()).getShape());
  if (result->size() > 1)
    shapes = "[" + shapes + "]";
  model.layers.push_back({spec.name, spec.className, shapes, "",
                          layer.numParams, layer.numTrainableParams,
                          spec.keras3Path});
  return result;
}

LogicalResult KerasModelImporter::importSequential(const json::Object &config) {
  FailureOr<SmallVector<LayerSpec, 0>> specs =
      parseLayers(*config.get("layers"), /*sequential=*/true);
  if (failed(specs))
    return failure();
  if (specs->empty()) {
    emitError(fileLoc) << "Sequential model has no layers";
    return failure();
  }
  // The input comes from an InputLayer, the first layer's batch shape, or
  // the model's build_input_shape.
  Value x;
  size_t first = 0;
  const LayerSpec &head = specs->front();
  if (head.className == "InputLayer") {
    FailureOr<Value> input = addInput(head, batchShape(*head.config));
    if (failed(input))
      return failure();
    x = *input;
    first = 1;
  } else {
    std::optional<SmallVector<int64_t>> shape = batchShape(*head.config);
    if (!shape) {
      if (const json::Array *build = config.getArray("build_input_shape")) {
        shape.emplace();
        for (const json::Value &d : *build)
          shape->push_back(d.getAsInteger().value_or(ShapedType::kDynamic));
      }
    }
    LayerSpec input;
    input.name = head.name + "_input";
    input.className = "InputLayer";
    input.config = head.config;
    FailureOr<Value> value = addInput(input, shape);
    if (failed(value))
      return failure();
    x = *value;
  }
  Value mask;
  for (const LayerSpec &spec : llvm::drop_begin(*specs, first)) {
    SmallVector<Value, 1> masks;
    FailureOr<LayerOutputs> y = importLayer(spec, x, mask, masks);
    if (failed(y))
      return failure();
    mask = masks.front();
    if (y->size() != 1) {
      emitLayerError(spec.name, spec.className)
          << "has " << y->size()
          << " outputs; a Sequential model needs layers with one output "
             "(use the functional API)";
      return failure();
    }
    x = y->front();
  }
  if (failed(checkOutputMask(specs->back().name, mask)))
    return failure();
  outputs.push_back({specs->back().name, x});
  return success();
}

LogicalResult KerasModelImporter::importFunctional(const json::Object &config) {
  FailureOr<SmallVector<LayerSpec, 0>> specs =
      parseLayers(*config.get("layers"), /*sequential=*/false);
  if (failed(specs))
    return failure();
  auto inputRefs = parseRefList(config.get("input_layers"));
  auto outputRefs = parseRefList(config.get("output_layers"));
  if (!inputRefs || !outputRefs) {
    emitError(fileLoc) << "functional model config lacks well-formed "
                          "'input_layers'/'output_layers'";
    return failure();
  }
  // Each layer's outputs; inbound refs pick one by tensor index.
  llvm::StringMap<LayerOutputs> values;
  auto lookup = [&](StringRef name, int64_t index) -> Value {
    auto it = values.find(name);
    if (it == values.end() || index < 0 || index >= int64_t(it->second.size()))
      return Value();
    return it->second[index];
  };
  // Their Keras masks (null: none), index for index.
  llvm::StringMap<SmallVector<Value, 1>> masks;
  auto maskOf = [&](StringRef name, int64_t index) -> Value {
    auto it = masks.find(name);
    return it == masks.end() ? Value() : it->second[index];
  };
  llvm::StringMap<const LayerSpec *> byName;
  for (const LayerSpec &spec : *specs)
    byName[spec.name] = &spec;
  if (outputRefs->empty()) {
    emitError(fileLoc) << "functional model has no outputs (empty "
                          "'output_layers')";
    return failure();
  }
  // Inputs first, in input_layers order: they are @predict's arguments.
  for (auto &[name, index] : *inputRefs) {
    const LayerSpec *spec = byName.lookup(name);
    if (!spec || spec->className != "InputLayer") {
      emitError(fileLoc) << "input_layers names '" << name
                         << "', which is not an InputLayer";
      return failure();
    }
    FailureOr<Value> input = addInput(*spec, batchShape(*spec->config));
    if (failed(input))
      return failure();
    values[name] = LayerOutputs{*input};
    model.layers.push_back(
        {spec->name, "InputLayer",
         "[" +
             formatKerasShape(
                 cast<RankedTensorType>(input->getType()).getShape()) +
             "]",
         "[]", 0, 0, spec->keras3Path});
  }
  for (const LayerSpec &spec : *specs) {
    if (spec.className == "InputLayer") {
      if (!values.count(spec.name)) {
        emitLayerError(spec.name, spec.className)
            << "input layer is not listed in input_layers";
        return failure();
      }
      continue;
    }
    SmallVector<Value> inputs, inputMasks;
    std::string connected;
    for (auto &[name, index] : spec.inbound) {
      Value v = lookup(name, index);
      if (!v) {
        InFlightDiagnostic diag = emitLayerError(spec.name, spec.className);
        if (values.count(name))
          diag << "input '" << name << "' has no output " << index
               << " (it has " << values.lookup(name).size() << ")";
        else
          diag << "input '" << name << "' is not defined before this layer";
        return failure();
      }
      inputs.push_back(v);
      inputMasks.push_back(maskOf(name, index));
      connected += (connected.empty() ? "'" : ", '") + name + "[0][" +
                   std::to_string(index) + "]'";
    }
    for (auto [i, ref] : llvm::enumerate(spec.maskRefs)) {
      if (!ref)
        continue;
      Value m = lookup(ref->first, ref->second);
      if (!m || !booleans.contains(m) || i >= inputMasks.size()) {
        emitLayerError(spec.name, spec.className)
            << "the mask its call passes for input " << i
            << " is not one kiln computed (from Embedding's mask_zero or "
               "Masking)";
        return failure();
      }
      inputMasks[i] = m;
    }
    SmallVector<std::pair<StringRef, Value>> keywordTensors;
    for (const auto &[key, ref] : spec.keywordRefs) {
      Value v = lookup(ref.first, ref.second);
      if (!v) {
        emitLayerError(spec.name, spec.className)
            << "call argument '" << key << "' names output " << ref.second
            << " of '" << ref.first
            << "', which is not defined before this layer";
        return failure();
      }
      keywordTensors.push_back({key, v});
      connected += (connected.empty() ? "'" : ", '") + ref.first + "[0][" +
                   std::to_string(ref.second) + "]'";
    }
    FailureOr<LayerOutputs> y =
        importLayer(spec, inputs, inputMasks, masks[spec.name], keywordTensors);
    if (failed(y))
      return failure();
    model.layers.back().connectedTo = "[" + connected + "]";
    values[spec.name] = std::move(*y);
  }
  for (auto &[name, index] : *outputRefs) {
    Value v = lookup(name, index);
    if (!v) {
      emitError(fileLoc) << "output_layers names unknown output " << index
                         << " of layer '" << name << "'";
      return failure();
    }
    if (failed(checkOutputMask(name, maskOf(name, index))))
      return failure();
    if (booleans.contains(v)) {
      emitError(fileLoc) << "output '" << name
                         << "' is a boolean tensor (a Keras mask); kiln's "
                            "outputs are numbers";
      return failure();
    }
    // Outputs are named after their layer; a layer's further outputs get
    // their index appended.
    outputs.push_back({index ? name + "_" + std::to_string(index) : name, v});
  }
  return success();
}

FailureOr<ImportedModel> KerasModelImporter::run() {
  const json::Object *topology = source.topology.getAsObject();
  std::optional<StringRef> className =
      topology ? topology->getString("class_name") : std::nullopt;
  if (!className) {
    emitError(fileLoc) << "model JSON has no 'class_name' (not a Keras model)";
    return failure();
  }
  bool sequential = *className == "Sequential";
  if (!sequential && *className != "Model" && *className != "Functional") {
    emitError(fileLoc) << "unsupported model class '" << *className
                       << "' (expected Sequential, Model or Functional)";
    return failure();
  }
  // Keras 2.0/2.1 wrote a Sequential config as the bare list of layers.
  json::Object wrapped;
  const json::Object *config = topology->getObject("config");
  if (!config && sequential && topology->getArray("config")) {
    wrapped["layers"] = *topology->get("config");
    config = &wrapped;
  }
  if (!config || !config->getArray("layers")) {
    emitError(fileLoc) << "model JSON has no 'config' with 'layers'";
    return failure();
  }

  model.module = ModuleOp::create(fileLoc);
  model.name = config->getString("name").value_or("model").str();
  model.kind = sequential ? "Sequential" : "Functional";
  model.module->setSymNameAttr(builder.getStringAttr(model.name));
  builder.setInsertionPointToEnd(model.module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, kPredictFuncName,
                                   builder.getFunctionType({}, {}));
  entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);

  if (failed(sequential ? importSequential(*config)
                        : importFunctional(*config)))
    return failure();
  if (source.weights) {
    std::vector<std::string> warnings;
    if (llvm::Error error = source.weights->finish(warnings)) {
      emitError(fileLoc) << "'" << source.weights->fileName()
                         << "': " << llvm::toString(std::move(error));
      return failure();
    }
    for (const std::string &warning : warnings)
      emitWarning(fileLoc) << "'" << source.weights->fileName()
                           << "': " << warning;
  }

  SmallVector<Value> results;
  SmallVector<std::string> outputNames;
  for (auto &output : outputs) {
    results.push_back(output.second);
    outputNames.push_back(output.first);
  }
  finishPredictFunction(func, model, results, inputNames, outputNames);
  if (failed(verify(*model.module)))
    return failure();
  if (const json::Object *training = source.training.getAsObject()) {
    TrainingConfig config;
    parseTrainingConfig(*training, source.flavor, config);
    model.training = std::move(config);
  } else if (source.training.kind() != json::Value::Null) {
    TrainingConfig config;
    config.lossIssue = "the training configuration is not a JSON object";
    model.training = std::move(config);
  }
  return std::move(model);
}

} // namespace

std::optional<std::string>
mlir::kiln::keras::unsupportedDtype(const json::Object &config) {
  const json::Value *value = config.get("dtype");
  if (!value || isOff(*value))
    return std::nullopt;
  std::optional<StringRef> dtype = dtypeName(*value);
  if (dtype == StringRef("float32"))
    return std::nullopt;
  return "dtype " + (dtype ? "'" + dtype->str() + "'" : std::string("policy")) +
         " is not supported: kiln computes in float32";
}

FailureOr<ImportedModel>
mlir::kiln::keras::importKerasModel(MLIRContext *context, StringRef path,
                                    ModelSource source,
                                    const ImportOptions &options) {
  context->loadDialect<KilnDialect, func::FuncDialect>();
  KerasModelImporter importer(context, path, options, std::move(source));
  return importer.run();
}
