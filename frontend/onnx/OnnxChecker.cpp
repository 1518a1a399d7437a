//===- OnnxChecker.cpp - onnx::checker without exceptions -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compiled with -fexceptions (CMakeLists.txt): the only place kiln catches.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxChecker.h"

#include "llvm/Support/Path.h"

#include "onnx/checker.h"
#include "onnx/defs/schema.h"

#include <algorithm>
#include <exception>
#include <map>

using namespace mlir::kiln::onnx_import;

int64_t mlir::kiln::onnx_import::checkerIrVersion() {
  return onnx::IR_VERSION;
}

int64_t mlir::kiln::onnx_import::checkerLastOpset() {
  const auto &ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance();
  return ranges.Map().at(onnx::ONNX_DOMAIN).second;
}

namespace {
/// The schemas for a model newer than libonnx: libonnx's newest for the
/// ops kiln imports in a version libonnx knows; any other op of the default
/// domain takes anything (the importer checks or refuses it).
class NewerModelSchemas final : public onnx::ISchemaRegistry {
public:
  NewerModelSchemas(llvm::function_ref<bool(llvm::StringRef)> libonnxKnows)
      : libonnxKnows(libonnxKnows), lastOpset(checkerLastOpset()) {}

  const onnx::OpSchema *GetSchema(const std::string &op, int version,
                                  const std::string &domain) const override {
    bool defaultDomain = domain.empty() || domain == "ai.onnx";
    if (!defaultDomain)
      return onnx::OpSchemaRegistry::Schema(op, version, domain);
    if (libonnxKnows(op))
      return onnx::OpSchemaRegistry::Schema(
          op, std::min<int>(version, lastOpset), onnx::ONNX_DOMAIN);
    auto it = unchecked.find(op);
    if (it == unchecked.end()) {
      onnx::OpSchema schema(op, __FILE__, __LINE__);
      schema.SinceVersion(version)
          .Input(0, "inputs", "", "T", onnx::OpSchema::Variadic,
                 /*is_homogeneous=*/false, /*min_arity=*/0)
          .Output(0, "outputs", "", "T", onnx::OpSchema::Variadic,
                  /*is_homogeneous=*/false, /*min_arity=*/0)
          .TypeConstraint("T", onnx::OpSchema::all_tensor_types(), "")
          .AllowUncheckedAttributes();
      schema.Finalize();
      it = unchecked.emplace(op, std::move(schema)).first;
    }
    return &it->second;
  }

private:
  llvm::function_ref<bool(llvm::StringRef)> libonnxKnows;
  int64_t lastOpset;
  mutable std::map<std::string, onnx::OpSchema> unchecked;
};
} // namespace

/// check_model's checks, through `schemas`, for a model newer than the
/// checker.
static void checkNewerModel(const onnx::ModelProto &model,
                            llvm::StringRef path,
                            const onnx::ISchemaRegistry &schemas) {
  onnx::checker::CheckerContext ctx;
  ctx.set_ir_version(onnx::IR_VERSION);
  std::unordered_map<std::string, int> imports;
  for (const auto &id : model.opset_import())
    imports[id.domain()] = id.version();
  ctx.set_opset_imports(imports);
  ctx.set_schema_registry(&schemas);
  ctx.set_model_dir(llvm::sys::path::parent_path(path).str());
  onnx::checker::LexicalScopeContext lexicalScope;
  onnx::checker::check_graph(model.graph(), ctx, lexicalScope);
}

std::string mlir::kiln::onnx_import::checkOnnxModel(
    const onnx::ModelProto &model, llvm::StringRef path, int64_t opset,
    llvm::function_ref<bool(llvm::StringRef)> libonnxKnows) {
  try {
    if (model.ir_version() > checkerIrVersion() || opset > checkerLastOpset()) {
      NewerModelSchemas schemas(libonnxKnows);
      checkNewerModel(model, path, schemas);
      return "";
    }
    // External data is checked relative to the model's folder, which only
    // the path form of the checker knows.
    bool external = false;
    for (const auto &init : model.graph().initializer())
      external |= init.data_location() == onnx::TensorProto::EXTERNAL;
    if (external)
      onnx::checker::check_model(path.str());
    else
      onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    std::string message = e.what();
    // The checker appends a multi-line context dump; the first line says
    // what is wrong.
    size_t newline = message.find('\n');
    if (newline != std::string::npos)
      message.resize(newline);
    return message.empty() ? "rejected by onnx::checker" : message;
  } catch (...) {
    return "rejected by onnx::checker";
  }
  return "";
}
