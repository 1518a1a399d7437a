//===- Optimizers.cpp - Keras optimizers as kiln IR -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The update rules and defaults of Keras 3 (= tf.keras >= 2.11) optimizers,
// `g` the gradient, `lr` the (run-time) learning rate, `t` the 1-based step:
//   sgd      momentum = 0:  p -= lr * g
//            else:          v = momentum * v - lr * g;
//                           p += nesterov ? momentum * v - lr * g : v
//   adam     m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//            amsgrad: v_hat = max(v_hat, v), read instead of v
//            p -= m * alpha / (sqrt(v) + epsilon),
//            alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   rmsprop  v = rho * v + (1 - rho) * g^2
//            centered: a = rho * a + (1 - rho) * g, d = v - a^2 + epsilon;
//            else d = v + epsilon
//            step = lr * g / sqrt(d)
//            momentum = 0: p -= step;  else: s = momentum * s + step, p -= s
//   adagrad  a += g^2;  p -= lr * g / sqrt(a + epsilon),
//            a starting at initial_accumulator_value
// Slots start at zero in the runtime, so Adagrad's accumulator is stored
// shifted by its initial value.
//===----------------------------------------------------------------------===//

#include "passes/training/Training.h"

#include "passes/autodiff/GradientBuilder.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace mlir::kiln;

llvm::Expected<OptimizerSpec>
mlir::kiln::makeOptimizerSpec(llvm::StringRef name,
                              const llvm::StringMap<double> &overrides) {
  std::string error;
  auto fail = [&] { return llvm::createStringError(error); };
  OptimizerSpec spec;
  // Keras class names (SGD, Adam, ...), function names and tfjs names.
  std::string lower = name.lower();
  for (const char *known : {"sgd", "adam", "rmsprop", "adagrad"})
    if (lower == known)
      spec.name = known;
  llvm::StringMap<double> &h = spec.hyper;
  if (spec.name == "sgd") {
    h = {{"learning_rate", 0.01}, {"momentum", 0.0}, {"nesterov", 0.0}};
  } else if (spec.name == "adam") {
    h = {{"learning_rate", 0.001},
         {"beta_1", 0.9},
         {"beta_2", 0.999},
         {"epsilon", 1e-7},
         {"amsgrad", 0.0}};
  } else if (spec.name == "rmsprop") {
    h = {{"learning_rate", 0.001},
         {"rho", 0.9},
         {"momentum", 0.0},
         {"epsilon", 1e-7},
         {"centered", 0.0}};
  } else if (spec.name == "adagrad") {
    h = {{"learning_rate", 0.001},
         {"initial_accumulator_value", 0.1},
         {"epsilon", 1e-7}};
  } else {
    error = "unknown optimizer '" + name.str() +
            "' (expected sgd, adam, rmsprop or adagrad)";
    return fail();
  }
  for (const auto &entry : overrides) {
    auto it = h.find(entry.getKey());
    if (it == h.end()) {
      error = "optimizer '" + spec.name + "' has no hyperparameter '" +
              entry.getKey().str() + "'";
      return fail();
    }
    it->second = entry.getValue();
  }
  for (const auto &entry : h) {
    StringRef key = entry.getKey();
    double v = entry.getValue();
    bool flag = key == "nesterov" || key == "amsgrad" || key == "centered";
    if (flag ? v != 0 && v != 1 : !std::isfinite(v)) {
      error = spec.name + " " + key.str() +
              (flag ? " must be true or false" : " must be a finite number");
      return fail();
    }
  }
  // Keras takes 0 (nothing moves); kiln refuses a negative rate, which
  // would climb the loss.
  if (!(h["learning_rate"] >= 0)) {
    error = "learning_rate must not be negative";
    return fail();
  }
  // Keras's own constraints (SGD checks momentum; the others' ranges are
  // where their update rules mean anything), checked rather than trained.
  struct Range {
    const char *name;
    double low, high;
    bool highOpen;
  };
  static const Range kRanges[] = {
      {"momentum", 0, 1, false},
      {"beta_1", 0, 1, true},
      {"beta_2", 0, 1, true},
      {"rho", 0, 1, false},
      {"epsilon", 0, HUGE_VAL, false},
      {"initial_accumulator_value", 0, HUGE_VAL, false},
  };
  for (const Range &range : kRanges) {
    auto it = h.find(range.name);
    if (it == h.end())
      continue;
    double v = it->second;
    bool inside =
        v >= range.low && (range.highOpen ? v < range.high : v <= range.high);
    if (!inside) {
      auto text = [](double x) {
        char buffer[32];
        std::snprintf(buffer, sizeof(buffer), "%g", x);
        return std::string(buffer);
      };
      error = spec.name + " " + range.name + " must be in [" + text(range.low) +
              ", " + (range.high == HUGE_VAL ? "inf" : text(range.high)) +
              (range.highOpen ? ")" : "]") + ", got " + text(v);
      return fail();
    }
  }
  return spec;
}

std::vector<std::string>
mlir::kiln::optimizerSlotNames(const OptimizerSpec &spec) {
  if (spec.name == "sgd")
    return spec.hyper.lookup("momentum") != 0
               ? std::vector<std::string>{"momentum"}
               : std::vector<std::string>{};
  if (spec.name == "adam")
    return spec.hyper.lookup("amsgrad") != 0
               ? std::vector<std::string>{"m", "v", "v_hat"}
               : std::vector<std::string>{"m", "v"};
  if (spec.name == "rmsprop") {
    std::vector<std::string> names = {"velocity"};
    if (spec.hyper.lookup("momentum") != 0)
      names.push_back("momentum");
    if (spec.hyper.lookup("centered") != 0)
      names.push_back("average_gradient");
    return names;
  }
  return {"accumulator"};
}

void mlir::kiln::buildOptimizerUpdate(GradientBuilder &m,
                                      const OptimizerSpec &spec, Value p,
                                      Value g, ValueRange slots, Value lr,
                                      Value t,
                                      SmallVectorImpl<Value> &updated) {
  // Intermediate values are named (not nested calls) so that the IR order
  // does not depend on the host compiler's argument evaluation order.
  auto constant = [&](double value) { return m.scalar(p, value); };
  auto hyper = [&](llvm::StringRef key) {
    return constant(spec.hyper.lookup(key));
  };
  auto sqrt = [&](Value x) -> Value {
    return SqrtOp::create(m.builder(), m.location(), x);
  };
  Value lrG = m.mul(lr, g);
  if (spec.name == "sgd") {
    if (slots.empty()) {
      updated.push_back(m.sub(p, lrG));
      return;
    }
    Value momentum = hyper("momentum");
    Value v = m.sub(m.mul(momentum, slots[0]), lrG);
    Value step = v;
    if (spec.hyper.lookup("nesterov") != 0)
      step = m.sub(m.mul(momentum, v), lrG);
    updated.append({m.add(p, step), v});
    return;
  }
  if (spec.name == "adam") {
    double beta1 = spec.hyper.lookup("beta_1"),
           beta2 = spec.hyper.lookup("beta_2");
    // beta^t = exp(t * ln(beta)), with t a run-time scalar.
    auto power = [&](double beta) {
      return m.exp(m.mul(t, constant(std::log(beta))));
    };
    Value one = constant(1);
    Value correction2 = sqrt(m.sub(one, power(beta2)));
    Value correction1 = m.sub(one, power(beta1));
    Value alpha = m.div(m.mul(lr, correction2), correction1);
    Value mDelta = m.sub(g, slots[0]);
    Value mNew = m.add(slots[0], m.mul(mDelta, constant(1 - beta1)));
    Value vDelta = m.sub(m.mul(g, g), slots[1]);
    Value vNew = m.add(slots[1], m.mul(vDelta, constant(1 - beta2)));
    // AMSGrad divides by the largest second moment so far.
    Value vRead = vNew;
    if (slots.size() > 2)
      vRead = MaximumOp::create(m.builder(), m.location(), slots[2], vNew);
    Value denom = m.add(sqrt(vRead), hyper("epsilon"));
    Value step = m.div(m.mul(mNew, alpha), denom);
    updated.append({m.sub(p, step), mNew, vNew});
    if (slots.size() > 2)
      updated.push_back(vRead);
    return;
  }
  if (spec.name == "rmsprop") {
    double rho = spec.hyper.lookup("rho");
    bool hasMomentum = spec.hyper.lookup("momentum") != 0;
    bool centered = spec.hyper.lookup("centered") != 0;
    Value kept = m.mul(constant(rho), slots[0]);
    Value added = m.mul(constant(1 - rho), m.mul(g, g));
    Value vNew = m.add(kept, added);
    Value denomSquared = vNew;
    Value average;
    if (centered) {
      // The variance: the second moment less the squared mean gradient.
      Value keptMean = m.mul(constant(rho), slots.back());
      average = m.add(keptMean, m.mul(constant(1 - rho), g));
      denomSquared = m.sub(vNew, m.mul(average, average));
    }
    Value denom = sqrt(m.add(denomSquared, hyper("epsilon")));
    Value step = m.div(lrG, denom);
    if (hasMomentum) {
      Value s = m.add(m.mul(hyper("momentum"), slots[1]), step);
      updated.append({m.sub(p, s), vNew, s});
    } else {
      updated.append({m.sub(p, step), vNew});
    }
    if (centered)
      updated.push_back(average);
    return;
  }
  // adagrad, accumulator stored minus its initial value.
  Value shifted = m.add(slots[0], m.mul(g, g));
  Value acc = m.add(shifted, hyper("initial_accumulator_value"));
  Value denom = sqrt(m.add(acc, hyper("epsilon")));
  updated.append({m.sub(p, m.div(lrG, denom)), shifted});
}
