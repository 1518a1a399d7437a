//===- KerasLayers.h - The Keras layer handler interface --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A layer handler turns one Keras layer into kiln ops. The importer gives it
// a `LayerBuilder`: the builder positioned in @predict, typed accessors of the
// layer's config with Keras's defaults, `addParam` (which takes the layer's
// next weight from the weights file, checking its shape, or evaluates the
// layer's initializer), and `emitError` (which prefixes the file and the layer
// so every diagnostic points into the user's model). Handlers are registered
// per layer family (CoreLayers.cpp, ...) in a table keyed by class name.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_KERASLAYERS_H
#define KILN_FRONTEND_KERAS_KERASLAYERS_H

#include "frontend/keras/Initializers.h"
#include "frontend/keras/KerasFlavor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

namespace mlir::kiln::keras {

class LayerBuilder {
public:
  virtual ~LayerBuilder() = default;

  OpBuilder &builder;
  Location loc;
  StringRef name;
  StringRef className;
  const llvm::json::Object &config;

  /// An error about this layer: "layer 'name' (Class): ...".
  virtual InFlightDiagnostic emitError() = 0;
  /// What a parameter is to training.
  enum class ParamRole {
    Weight, ///< trainable unless the layer has `trainable: false`
    State,  ///< non-trainable; updated by the training step when the layer
            ///< is trainable (BatchNormalization's moving statistics)
    Fixed,  ///< never trained nor updated (Normalization's adapted
            ///< statistics)
  };

  /// Adjusts freshly initialized values (never values from a weights
  /// file): LSTM's `unit_forget_bias`.
  using InitialValues = function_ref<void(std::vector<float> &)>;

  /// The layer's next parameter `weightName` of `shape`: from the weights
  /// file (shape-checked) or from the initializer at config[`initializerKey`]
  /// (default `defaultInitializer`), then `adjust`ed.
  virtual FailureOr<Value> addParam(StringRef weightName,
                                    ArrayRef<int64_t> shape,
                                    StringRef initializerKey,
                                    StringRef defaultInitializer,
                                    ParamRole role = ParamRole::Weight,
                                    InitialValues adjust = nullptr) = 0;

  /// Where the next parameters belong, for a layer whose weights live in
  /// sublayers (a recurrent layer's cells): `keras3Scope` is their group
  /// below the layer's in a Keras 3 file ("cell", "cell/cells/<name>"; the
  /// layer kind's `weightScopes` lists them in weight order) and `config`
  /// the sublayer config their initializers, regularizers and constraints
  /// are read from. Until it is called, the layer's own group and config.
  /// `nameScope`, when not empty, goes between the layer's name and the
  /// weight's in the parameters' names ("rnn/cell_1/kernel",
  /// "bidirectional/backward_lstm/kernel"), so that a layer with several
  /// cells names each weight once.
  virtual void setWeightScope(StringRef keras3Scope,
                              const llvm::json::Object &config,
                              StringRef nameScope = "") = 0;
  /// The config the parameters' initializers, regularizers and constraints
  /// are read from (the layer's, or the current weight scope's).
  virtual const llvm::json::Object &paramConfig() const = 0;

  /// False for a layer with `trainable: false` (Keras: its weights are
  /// frozen, and mode-dependent layers run in inference mode), or one
  /// wrapped by such a layer.
  virtual bool isTrainable() const {
    return config.getBoolean("trainable").value_or(true);
  }

  /// Imports the sublayer `layerObject` ({class_name, config}) that this
  /// layer wraps (TimeDistributed's) with its class's registered handler:
  /// its config keys are checked like a layer's, its weights are this
  /// layer's next ones (Keras 3 group `keras3Scope` below this layer's),
  /// and its errors name this layer and the wrapped class. `foldedSteps`
  /// is the wrapped builder's `foldedSteps`.
  virtual FailureOr<SmallVector<Value, 1>>
  importSublayer(StringRef keras3Scope, const llvm::json::Object &layerObject,
                 ArrayRef<Value> inputs, int64_t foldedSteps) = 0;

  /// Inside TimeDistributed: the time steps folded into the batch axis of
  /// the input (T, for (B, T, ...) imported as (B*T, ...)); 0 elsewhere.
  /// Keras 3 calls the wrapped layer once per step, so a layer whose
  /// training form reads across the batch (BatchNormalization's
  /// statistics) or shares draws across it (a Dropout noise_shape of 1 on
  /// the batch) must act per step.
  int64_t foldedSteps = 0;

  /// Which Keras wrote the file, for the names whose meaning differs
  /// between versions (KerasFlavor.h).
  KerasFlavor flavor = KerasFlavor::Unknown;

  /// The fan axes the next `addParam` hands a VarianceScaling initializer
  /// (EinsumDense's kernel); unset: Keras's default fans.
  std::optional<FanAxes> fanAxes;

  /// The call's non-tensor keyword arguments that the layer kind lists in
  /// `callArguments` (MultiHeadAttention's `use_causal_mask`); null when
  /// the call passed none.
  const llvm::json::Object *callArguments = nullptr;

  /// Keras masks (for a kind with `MaskUse::Handle`): one entry per input,
  /// (batch, steps) float32 of 1 (a step that counts) and 0 (padding), or
  /// null for an input without a mask. The handler sets `outputMasks`
  /// likewise, one per output or fewer (the rest have none).
  ArrayRef<Value> inputMasks;
  /// The call's positional arguments as Keras 3 wrote them (tensors and
  /// constants); null for other formats.
  const llvm::json::Array *positionalArguments = nullptr;
  SmallVector<Value, 1> outputMasks;
  /// The tensors the call passes by the keywords the kind lists in
  /// `LayerKind::keywordTensors` (MultiHeadAttention's `attention_mask`),
  /// by keyword.
  ArrayRef<std::pair<StringRef, Value>> keywordTensors;
  /// The tensor the call passes as `key`, null when it passes none.
  Value keywordTensor(StringRef key) const {
    for (const auto &[k, v] : keywordTensors)
      if (k == key)
        return v;
    return Value();
  }
  /// The mask of input `i`, null when it has none.
  Value inputMask(size_t i = 0) const {
    return i < inputMasks.size() ? inputMasks[i] : Value();
  }

  /// Typed config accessors: nullopt when the key is absent or null.
  std::optional<int64_t> getInteger(StringRef key) const {
    return config.getInteger(key);
  }
  std::optional<bool> getBoolean(StringRef key) const {
    return config.getBoolean(key);
  }
  std::optional<StringRef> getString(StringRef key) const {
    return config.getString(key);
  }
  /// A list of integers; nullopt (after an error) if malformed.
  FailureOr<SmallVector<int64_t>> getIntegerList(StringRef key);

protected:
  LayerBuilder(OpBuilder &builder, Location loc, StringRef name,
               StringRef className, const llvm::json::Object &config)
      : builder(builder), loc(loc), name(name), className(className),
        config(config) {}
};

/// A layer's outputs in Keras's order (one for most layers; an RNN with
/// `return_state` returns the sequence and its states).
using LayerOutputs = SmallVector<Value, 1>;

/// Builds the layer's outputs from its input values.
using LayerHandler = FailureOr<LayerOutputs> (*)(LayerBuilder &layer,
                                                 ArrayRef<Value> inputs);
/// What a layer kind does with a Keras mask on its inputs (the padding of
/// Embedding's `mask_zero`, or a Masking layer's): Keras 3's
/// `supports_masking`, `compute_mask` and a `mask` argument of `call`.
enum class MaskUse {
  /// A layer without masking: the mask ends here (Keras warns; so does
  /// kiln).
  Drop,
  /// The layer computes without it and its first output carries the
  /// first input's mask (Keras's default `compute_mask`).
  Pass,
  /// Add, Multiply, ...: the output carries the logical or of the inputs'
  /// masks (none unless every input has one).
  Merge,
  /// The handler reads `LayerBuilder::inputMasks` and sets `outputMasks`.
  Handle,
  /// Keras computes with the mask here and kiln does not: a masked input
  /// is an error.
  Refuse,
};

/// How kiln imports one Keras layer class.
struct LayerKind {
  LayerHandler handler;
  /// The config keys the handler reads, besides those every layer has
  /// (name, trainable, dtype, the input shape keys). The importer refuses
  /// any other key that is set (not null or false): kiln would silently
  /// build a different model.
  ArrayRef<StringLiteral> keys;
  /// For a layer whose weights live in sublayers: their Keras 3 groups
  /// below the layer's, in weight order, read from the layer's config
  /// (null: the layer's own `vars` only).
  std::vector<std::string> (*weightScopes)(const llvm::json::Object &config) =
      nullptr;
  /// True for a layer that takes integer tensors (Embedding's ids); the
  /// importer refuses an integer input to any other layer.
  bool integerInputs = false;
  /// The keyword arguments of the layer's call that the handler reads
  /// (Keras 3): first the `tensorArguments` tensor ones in positional order
  /// (a tensor passed by keyword takes its position among the inputs),
  /// then the others (`LayerBuilder::callArguments`). Any other argument
  /// but `training` is refused.
  ArrayRef<StringLiteral> callArguments;
  size_t tensorArguments = 0;
  /// Keyword arguments of the call that pass one tensor the handler reads
  /// by name (`LayerBuilder::keywordTensor`), not as an input
  /// (MultiHeadAttention's `attention_mask`): any tensor of the graph,
  /// float32, integer or boolean (the importer's checks of inputs skip
  /// it).
  ArrayRef<StringLiteral> keywordTensors;
  MaskUse masks = MaskUse::Drop;
  /// One of Keras 3's logical operations on masks (NotEqual, Any, ...): its
  /// outputs are booleans (float 0/1), which only these operations and
  /// `mask` call arguments may take.
  bool logical = false;
};
using LayerRegistry = llvm::StringMap<LayerKind>;

/// Adapts a handler of a one-output layer.
template <FailureOr<Value> (*Handler)(LayerBuilder &, ArrayRef<Value>)>
FailureOr<LayerOutputs> singleOutput(LayerBuilder &layer,
                                     ArrayRef<Value> inputs) {
  FailureOr<Value> output = Handler(layer, inputs);
  if (failed(output))
    return failure();
  return LayerOutputs{*output};
}

/// InputLayer-free core layers: Dense, Embedding, Activation, Flatten,
/// Reshape, Dropout.
void registerCoreLayers(LayerRegistry &registry);
/// BatchNormalization.
void registerNormalizationLayers(LayerRegistry &registry);
/// Conv1D/2D and the pooling layers (ConvolutionalLayers.cpp).
void registerConvolutionalLayers(LayerRegistry &registry);
/// SimpleRNN and RNN over SimpleRNNCells (RecurrentLayers.cpp).
void registerRecurrentLayers(LayerRegistry &registry);
/// Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum
/// (MergeLayers.cpp).
void registerMergeLayers(LayerRegistry &registry);
/// ReLU, LeakyReLU, PReLU, ELU, Softmax, Rescaling (ActivationLayers.cpp).
void registerActivationLayers(LayerRegistry &registry);
/// ZeroPadding, Cropping, UpSampling (1-D/2-D), Permute, RepeatVector
/// (ReshapingLayers.cpp).
void registerReshapingLayers(LayerRegistry &registry);
/// EinsumDense, MultiHeadAttention, Attention and AdditiveAttention
/// (AttentionLayers.cpp).
void registerAttentionLayers(LayerRegistry &registry);
/// Whether any entry of a float 0/1 mask along `axis` is set, as float
/// 0/1 (Keras's `ops.any` on a mask).
Value anyMask(OpBuilder &b, Location loc, Value mask, int64_t axis,
              bool keepDims = false);

/// The operations by which Keras 3's functional graphs compute masks:
/// NotEqual, Any, LogicalOr, LogicalAnd, ConvertToTensor, ExpandDims,
/// ZerosLike and Concatenate, registered as "ops.<class>" (MaskOperations.cpp).
void registerMaskOperations(LayerRegistry &registry);

/// Why a layer's (or a sublayer's, a cell's) `dtype` config is refused:
/// anything but float32 (a mixed or reduced-precision policy computes
/// differently); nullopt when absent or float32.
std::optional<std::string> unsupportedDtype(const llvm::json::Object &config);

/// The layer's `axis` config: one integer, or a list of one (Keras 2 and
/// tuples write that); `fallback` when absent or null. An error for
/// anything else, saying that `what` over several axes is not supported.
FailureOr<int64_t> singleAxis(LayerBuilder &layer, int64_t fallback,
                              StringRef what);

/// The layer's single input, checked to have rank >= `minRank`.
FailureOr<Value> singleInput(LayerBuilder &layer, ArrayRef<Value> inputs,
                             int64_t minRank);
/// An LSTM's update from its pre-activation `z`, the gates (i, f, c, o)
/// side by side along `axis` (`units` each), and its carry state, as
/// Keras's LSTMCell and ConvLSTMCell compute it: c' = rec(f) * carry +
/// rec(i) * act(z_c), h' = rec(o) * act(c'). Returns (h', c')
/// (RecurrentLayers.cpp).
FailureOr<std::pair<Value, Value>>
buildLstmUpdate(LayerBuilder &layer, Value z, Value carry, int64_t units,
                int64_t axis, StringRef activation,
                StringRef recurrentActivation);
/// The layer's single input, channels-last (`data_format`) with `rank`
/// spatial dimensions, or with `timeSteps` a sequence of such (its steps
/// after the batch), every size but the batch known; an error otherwise
/// (ConvolutionalLayers.cpp).
FailureOr<Value> spatialInput(LayerBuilder &layer, ArrayRef<Value> inputs,
                              int64_t rank, bool timeSteps = false);
/// A Keras mask of `x` (batch, steps, ...) as (batch, steps, 1), to
/// multiply or blend per step; an error unless it is one value per step
/// (batch, steps).
FailureOr<Value> stepMask(LayerBuilder &layer, Value x, Value mask);

/// The layer's `activation` config as a name ("linear" when absent); an
/// error for a custom (non-string) activation.
FailureOr<StringRef> activationName(LayerBuilder &layer);

/// The regularizer at `layer.config[key]` as a `kiln.regularizer` attribute
/// ({l1, l2}); a null attribute when there is none. Errors name the layer.
FailureOr<DictionaryAttr> readRegularizer(LayerBuilder &layer, StringRef key);
/// The constraint at `layer.config[key]`, for a weight of rank `rank`, as a
/// `kiln.constraint` attribute; a null attribute when there is none.
FailureOr<DictionaryAttr> readConstraint(LayerBuilder &layer, StringRef key,
                                         int64_t rank);

/// Applies the Keras activation `name` ("relu", "linear", ...) to `x`;
/// emits an error on `layer` for an unknown one.
FailureOr<Value> buildActivation(LayerBuilder &layer, StringRef name, Value x);
/// `y` plus the layer's `bias` parameter of `units` (bias_initializer,
/// zeros by default) when `useBias`, then the activation `activation`:
/// the end of Dense and the convolutions.
FailureOr<Value> buildBiasAndActivation(LayerBuilder &layer, Value y,
                                        int64_t units, bool useBias,
                                        StringRef activation);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_KERASLAYERS_H
