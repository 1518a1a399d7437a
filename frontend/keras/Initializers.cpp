//===- Initializers.cpp - Keras weight initializers -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/Initializers.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <random>

using namespace mlir::kiln::keras;
using llvm::StringRef;

namespace {

/// Keras's `_compute_fans`.
std::pair<double, double> computeFans(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return {1, 1};
  if (shape.size() == 1)
    return {double(shape[0]), double(shape[0])};
  double receptive = 1;
  for (int64_t d : shape.drop_back(2))
    receptive *= d;
  return {shape[shape.size() - 2] * receptive, shape.back() * receptive};
}

/// Keras's `compute_fans` over explicit axes: the products of their sizes.
std::pair<double, double> axesFans(llvm::ArrayRef<int64_t> shape,
                                   const FanAxes &fans) {
  auto product = [&](llvm::ArrayRef<int64_t> axes) {
    double n = 1;
    for (int64_t a : axes)
      n *= shape[a];
    return n;
  };
  return {product(fans.input), product(fans.output)};
}

/// A VarianceScaling config's `input_axes` and `output_axes` (Keras 3):
/// nullopt unless both are set; an error for axes outside the shape.
llvm::Expected<std::optional<FanAxes>>
fanAxes(const llvm::json::Object *config, llvm::ArrayRef<int64_t> shape) {
  const llvm::json::Array *in = config ? config->getArray("input_axes") : nullptr;
  const llvm::json::Array *out =
      config ? config->getArray("output_axes") : nullptr;
  if (!in || !out)
    return std::nullopt;
  FanAxes fans;
  int64_t rank = static_cast<int64_t>(shape.size());
  for (auto [list, axes] : {std::pair{in, &fans.input}, {out, &fans.output}})
    for (const llvm::json::Value &v : *list) {
      std::optional<int64_t> a = v.getAsInteger();
      if (a && *a < 0)
        *a += rank;
      if (!a || *a < 0 || *a >= rank)
        return llvm::createStringError(
            "'input_axes' and 'output_axes' must be axes of a weight of rank " +
            std::to_string(rank));
      axes->push_back(*a);
    }
  return fans;
}

struct VarianceScaling {
  double scale;
  StringRef mode;
  StringRef distribution;
};

/// The VarianceScaling preset of a Keras initializer class, if it is one.
std::optional<VarianceScaling> preset(StringRef className) {
  return llvm::StringSwitch<std::optional<VarianceScaling>>(className)
      .Case("GlorotUniform", VarianceScaling{1, "fan_avg", "uniform"})
      .Case("GlorotNormal", VarianceScaling{1, "fan_avg", "truncated_normal"})
      .Case("HeUniform", VarianceScaling{2, "fan_in", "uniform"})
      .Case("HeNormal", VarianceScaling{2, "fan_in", "truncated_normal"})
      .Case("LecunUniform", VarianceScaling{1, "fan_in", "uniform"})
      .Case("LecunNormal", VarianceScaling{1, "fan_in", "truncated_normal"})
      .Default(std::nullopt);
}

/// The Keras class name of a string shorthand ("glorot_uniform").
StringRef classOfShorthand(StringRef name) {
  return llvm::StringSwitch<StringRef>(name)
      .Case("glorot_uniform", "GlorotUniform")
      .Case("glorot_normal", "GlorotNormal")
      .Case("he_uniform", "HeUniform")
      .Case("he_normal", "HeNormal")
      .Case("lecun_uniform", "LecunUniform")
      .Case("lecun_normal", "LecunNormal")
      .Cases({"zeros", "zero"}, "Zeros")
      .Cases({"ones", "one"}, "Ones")
      .Cases({"random_uniform", "uniform"}, "RandomUniform")
      .Cases({"random_normal", "normal"}, "RandomNormal")
      .Case("truncated_normal", "TruncatedNormal")
      .Case("orthogonal", "Orthogonal")
      .Cases({"identity", "Identity"}, "IdentityInitializer")
      .Default(name);
}

/// Config value `key` as a number: `fallback` when absent or null, an
/// error when it is something else ("abc" must not become the default).
llvm::Expected<double> number(const llvm::json::Object *config, StringRef key,
                              double fallback) {
  const llvm::json::Value *value = config ? config->get(key) : nullptr;
  if (!value || value->kind() == llvm::json::Value::Null)
    return fallback;
  if (std::optional<double> v = value->getAsNumber(); v && std::isfinite(*v))
    return *v;
  return llvm::createStringError(llvm::Twine("'") + key +
                                 "' must be a finite number");
}

} // namespace

llvm::Expected<std::vector<float>> mlir::kiln::keras::evaluateInitializer(
    const llvm::json::Value *spec, StringRef fallback,
    llvm::ArrayRef<int64_t> shape, uint64_t seed, StringRef weightName,
    const FanAxes *fans) {
  StringRef className = fallback;
  const llvm::json::Object *config = nullptr;
  if (spec && spec->kind() != llvm::json::Value::Null) {
    if (std::optional<StringRef> s = spec->getAsString()) {
      className = *s;
    } else if (const llvm::json::Object *obj = spec->getAsObject()) {
      std::optional<StringRef> name = obj->getString("class_name");
      if (!name)
        return llvm::createStringError(
            llvm::Twine("initializer lacks 'class_name'"));
      className = *name;
      config = obj->getObject("config");
    } else {
      return llvm::createStringError(
          llvm::Twine("initializer is neither a string nor an object"));
    }
  }
  className = classOfShorthand(className);

  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  std::vector<float> values(count, 0.0f);

  // Seeded by --seed, the weight's name and the config's own seed.
  uint64_t configSeed = 0;
  if (config)
    if (std::optional<int64_t> s = config->getInteger("seed"))
      configSeed = *s;
  std::mt19937_64 rng(llvm::hash_combine(seed, weightName, configSeed));
  auto uniform = [&](double lo, double hi) {
    std::uniform_real_distribution<double> dist(lo, hi);
    for (float &v : values)
      v = float(dist(rng));
  };
  auto normal = [&](double mean, double stddev, bool truncated) {
    std::normal_distribution<double> dist(0.0, 1.0);
    for (float &v : values) {
      double z = dist(rng);
      while (truncated && std::fabs(z) > 2.0)
        z = dist(rng);
      v = float(mean + stddev * z);
    }
  };

  std::optional<VarianceScaling> vs = preset(className);
  if (className == "VarianceScaling") {
    llvm::Expected<double> scale = number(config, "scale", 1.0);
    if (!scale)
      return scale.takeError();
    if (!(*scale > 0)) // Keras: "Argument `scale` must be positive float."
      return llvm::createStringError("VarianceScaling scale must be positive");
    vs = VarianceScaling{*scale,
                         config && config->getString("mode")
                             ? *config->getString("mode")
                             : StringRef("fan_in"),
                         config && config->getString("distribution")
                             ? *config->getString("distribution")
                             : StringRef("truncated_normal")};
  }
  if (vs) {
    llvm::Expected<std::optional<FanAxes>> configured = fanAxes(config, shape);
    if (!configured)
      return configured.takeError();
    if (*configured)
      fans = &**configured;
    auto [fanIn, fanOut] = fans ? axesFans(shape, *fans) : computeFans(shape);
    double scale = vs->scale;
    if (vs->mode == "fan_in")
      scale /= std::max(1.0, fanIn);
    else if (vs->mode == "fan_out")
      scale /= std::max(1.0, fanOut);
    else if (vs->mode == "fan_avg")
      scale /= std::max(1.0, (fanIn + fanOut) / 2.0);
    else
      return llvm::createStringError("VarianceScaling mode '" + vs->mode +
                                     "' is unknown");
    if (vs->distribution == "uniform") {
      double limit = std::sqrt(3.0 * scale);
      uniform(-limit, limit);
    } else if (vs->distribution == "truncated_normal" ||
               vs->distribution == "normal") {
      // 0.879... is the stddev of a unit normal truncated to [-2, 2].
      normal(0.0, std::sqrt(scale) / .87962566103423978, /*truncated=*/true);
    } else if (vs->distribution == "untruncated_normal") {
      normal(0.0, std::sqrt(scale), /*truncated=*/false);
    } else {
      return llvm::createStringError("VarianceScaling distribution '" +
                                     vs->distribution + "' is unknown");
    }
    return values;
  }
  if (className == "Zeros")
    return values;
  if (className == "Ones") {
    std::fill(values.begin(), values.end(), 1.0f);
    return values;
  }
  if (className == "Constant") {
    llvm::Expected<double> value = number(config, "value", 0.0);
    if (!value)
      return value.takeError();
    std::fill(values.begin(), values.end(), float(*value));
    return values;
  }
  if (className == "RandomUniform") {
    llvm::Expected<double> lo = number(config, "minval", -0.05);
    if (!lo)
      return lo.takeError();
    llvm::Expected<double> hi = number(config, "maxval", 0.05);
    if (!hi)
      return hi.takeError();
    if (!(*lo < *hi))
      return llvm::createStringError("RandomUniform minval must be below "
                                     "maxval");
    uniform(*lo, *hi);
    return values;
  }
  if (className == "RandomNormal" || className == "TruncatedNormal") {
    llvm::Expected<double> mean = number(config, "mean", 0.0);
    if (!mean)
      return mean.takeError();
    llvm::Expected<double> stddev = number(config, "stddev", 0.05);
    if (!stddev)
      return stddev.takeError();
    if (!(*stddev >= 0))
      return llvm::createStringError(className +
                                     " stddev must not be negative");
    normal(*mean, *stddev, className == "TruncatedNormal");
    return values;
  }
  if (className == "Orthogonal") {
    // Keras: a normal (rows, cols) matrix, rows = the product of all but
    // the last dimension; QR of the taller orientation; Q's columns signed
    // by R's diagonal; times `gain`.
    llvm::Expected<double> gain = number(config, "gain", 1.0);
    if (!gain)
      return gain.takeError();
    if (shape.size() < 2)
      return llvm::createStringError("Orthogonal needs a weight of rank >= 2");
    int64_t cols = shape.back(), rows = count / std::max<int64_t>(cols, 1);
    normal(0.0, 1.0, /*truncated=*/false);
    bool wide = rows < cols;
    int64_t tall = wide ? cols : rows, narrow = wide ? rows : cols;
    // Column j of the tall matrix, Gram-Schmidt orthonormalized in place
    // (modified, twice for stability); R's diagonal sign is the sign of
    // the norm's projection, which Gram-Schmidt makes positive.
    std::vector<double> q(tall * narrow);
    for (int64_t i = 0; i < tall; ++i)
      for (int64_t j = 0; j < narrow; ++j)
        q[i * narrow + j] = wide ? values[j * cols + i] : values[i * cols + j];
    for (int64_t j = 0; j < narrow; ++j)
      for (int pass = 0; pass < 2; ++pass) {
        for (int64_t p = 0; p < j; ++p) {
          double dot = 0;
          for (int64_t i = 0; i < tall; ++i)
            dot += q[i * narrow + p] * q[i * narrow + j];
          for (int64_t i = 0; i < tall; ++i)
            q[i * narrow + j] -= dot * q[i * narrow + p];
        }
        double norm = 0;
        for (int64_t i = 0; i < tall; ++i)
          norm += q[i * narrow + j] * q[i * narrow + j];
        norm = std::sqrt(norm);
        for (int64_t i = 0; i < tall; ++i)
          q[i * narrow + j] /= norm > 0 ? norm : 1;
      }
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        values[i * cols + j] =
            float(*gain * (wide ? q[j * narrow + i] : q[i * narrow + j]));
    return values;
  }
  if (className == "IdentityInitializer") {
    llvm::Expected<double> gain = number(config, "gain", 1.0);
    if (!gain)
      return gain.takeError();
    if (shape.size() != 2)
      return llvm::createStringError("Identity needs a 2-D weight");
    for (int64_t i = 0; i < std::min(shape[0], shape[1]); ++i)
      values[i * shape[1] + i] = float(*gain);
    return values;
  }
  return llvm::createStringError("unsupported initializer '" + className + "'");
}
