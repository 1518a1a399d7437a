//===- Library.cpp - A compiled model packaged as a C library -------------===//
// SPDX-License-Identifier: Apache-2.0
//
// One list of typed functions (`libraryFunctions`) is built from the
// descriptor; the header prints it and the IR emitter implements it, so the
// two cannot disagree. A function's parameters are the handle, scalars
// passed through, and tensor pointers; consecutive tensor pointers of one
// group (inputs, outputs, targets) reach the runtime as one array.
//===----------------------------------------------------------------------===//

#include "codegen/abi/Library.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// A parameter of a generated function.
struct Param {
  std::string type;    ///< its C type, e.g. "const float *"
  std::string name;    ///< a C identifier
  std::string comment; ///< after the name, e.g. "[batch][28][28]"
  /// >= 0: the index of the pointer array (runtime argument) it joins.
  int group = -1;
};

/// A function NAME.h declares and the model object defines.
struct Function {
  std::string result; ///< C type: "int32_t", "void" or "const char *"
  std::string name;
  std::vector<Param> params;
  std::string callee;          ///< the runtime function it forwards to
  bool passDescriptor = false; ///< the callee's first argument: &descriptor
  std::string doc;             ///< the comment above its declaration
};

const char *cType(int32_t dtype) {
  switch (dtype) {
  case KILN_DTYPE_I32:
    return "int32_t";
  case KILN_DTYPE_I64:
    return "int64_t";
  case KILN_DTYPE_BOOL:
    return "uint8_t";
  default:
    return "float";
  }
}

const char *dtypeName(int32_t dtype) {
  switch (dtype) {
  case KILN_DTYPE_I32:
    return "int32";
  case KILN_DTYPE_I64:
    return "int64";
  case KILN_DTYPE_BOOL:
    return "bool (one byte, 0 or 1)";
  default:
    return "float32";
  }
}

/// "[batch][28][28]", with `batch` for the dynamic dimension.
std::string shapeComment(const kiln_tensor_desc_t &t, llvm::StringRef batch) {
  std::string text;
  for (int32_t d = 0; d < t.rank; ++d)
    text += t.dims[d] < 0 ? ("[" + batch + "]").str()
                          : "[" + std::to_string(t.dims[d]) + "]";
  return text.empty() ? "[1] (a scalar)" : text;
}

int64_t sampleElements(const kiln_tensor_desc_t &t) {
  int64_t elements = 1;
  for (int32_t d = 0; d < t.rank; ++d)
    if (t.dims[d] >= 0)
      elements *= t.dims[d];
  return elements;
}

bool isKeyword(llvm::StringRef word) {
  static const llvm::StringSet<> keywords = {
      "auto",     "break",    "case",      "char",          "const",
      "continue", "default",  "do",        "double",        "else",
      "enum",     "extern",   "float",     "for",           "goto",
      "if",       "inline",   "int",       "long",          "register",
      "restrict", "return",   "short",     "signed",        "sizeof",
      "static",   "struct",   "switch",    "typedef",       "union",
      "unsigned", "void",     "volatile",  "while",         "bool",
      "class",    "delete",   "new",       "namespace",     "operator",
      "private",  "public",   "protected", "template",      "this",
      "throw",    "try",      "catch",     "true",          "false",
      "using",    "virtual",  "friend",    "mutable",       "explicit",
      "export",   "typename", "nullptr",   "decltype",      "noexcept",
      "alignas",  "alignof",  "asm",       "static_assert", "thread_local",
      "wchar_t",  "char16_t", "char32_t",  "constexpr",     "and",
      "or",       "not",      "xor",       "compl",         "bitand",
      "bitor",    "and_eq",   "or_eq",     "xor_eq",        "not_eq"};
  return keywords.contains(word);
}

/// Distinct C identifiers for tensor names ("dense_1/Softmax:0" ->
/// "dense_1_Softmax_0"), never one of `taken`.
class Namer {
public:
  explicit Namer(std::initializer_list<llvm::StringRef> reserved) {
    for (llvm::StringRef word : reserved)
      taken.insert(word);
  }
  std::string operator()(llvm::StringRef raw) {
    std::string name;
    for (char c : raw)
      name += llvm::isAlnum(c) ? c : '_';
    if (name.empty() || llvm::isDigit(name.front()) || name.front() == '_')
      name = "t_" + name;
    if (isKeyword(name))
      name += '_';
    std::string unique = name;
    for (int n = 2; !taken.insert(unique).second; ++n)
      unique = name + "_" + std::to_string(n);
    return unique;
  }

private:
  llvm::StringSet<> taken;
};

bool canTrain(const kiln_model_desc_t &desc) {
  return desc.training && !desc.train_unavailable;
}

/// Targets are float32, sparse ones class indices.
void markTargets(std::vector<Param> &targets, const kiln_train_desc_t &train) {
  for (Param &t : targets) {
    t.type = "const float *";
    if (llvm::StringRef(train.loss).contains("sparse"))
      t.comment += ", class indices";
  }
}

/// The typed functions of `desc`'s library, in header order.
std::vector<Function> libraryFunctions(const kiln_model_desc_t &desc,
                                       const LibraryInfo &info) {
  const std::string &p = info.name;
  Namer namer({"m", "batch", "loss", "num_samples", "epochs", "batch_size",
               "seed", "epoch_losses", "path", "device", "out", "count"});
  std::vector<std::string> inputNames, outputNames, targetNames;
  for (int64_t i = 0; i < desc.num_inputs; ++i)
    inputNames.push_back(namer(desc.inputs[i].name));
  for (int64_t i = 0; i < desc.num_outputs; ++i)
    outputNames.push_back(namer(desc.outputs[i].name));
  const kiln_train_desc_t *train = canTrain(desc) ? desc.training : nullptr;
  // A target is named after its output ("probs" -> "probs_target").
  for (int64_t i = 0; train && i < train->num_targets; ++i)
    targetNames.push_back(
        namer(std::string(train->targets[i].name) + "_target"));

  Param handle{p + "_t *", "m", "", -1};
  auto tensors = [&](const kiln_tensor_desc_t *t, int64_t count,
                     llvm::ArrayRef<std::string> names, bool in, int group,
                     llvm::StringRef batch) {
    std::vector<Param> params;
    for (int64_t i = 0; i < count; ++i)
      params.push_back(
          {std::string(in ? "const " : "") + cType(t[i].dtype) + " *", names[i],
           shapeComment(t[i], batch), group});
    return params;
  };
  std::vector<Function> functions;
  functions.push_back(
      {"int32_t",
       p + "_create",
       {{p + "_t **", "out", "", -1}},
       "kiln_lib_create",
       /*passDescriptor=*/true,
       "Creates a session with the compiled weights. *out receives a handle\n"
       "even on failure (NULL only when out of memory): " +
           p + "_error says why;\n" + p + "_destroy it either way."});
  functions.push_back({"void",
                       p + "_destroy",
                       {handle},
                       "kiln_lib_destroy",
                       false,
                       "Frees a session; NULL is a no-op."});
  functions.push_back(
      {"const char *",
       p + "_error",
       {handle},
       "kiln_lib_error",
       false,
       "Why the session's last failing call failed (\"\" when none did)."});
  std::vector<Param> predict = {handle, {"int64_t", "batch", "", -1}};
  for (const std::vector<Param> &group :
       {tensors(desc.inputs, desc.num_inputs, inputNames, true, 0, "batch"),
        tensors(desc.outputs, desc.num_outputs, outputNames, false, 1,
                "batch")})
    predict.insert(predict.end(), group.begin(), group.end());
  functions.push_back(
      {"int32_t", p + "_predict", predict, "kiln_lib_predict", false,
       "Runs the model on `batch` samples: row-major caller buffers, inputs\n"
       "read, outputs written. Calls may run concurrently on one session."});
  functions.push_back(
      {"int32_t",
       p + "_load_weights",
       {handle, {"const char *", "path", "", -1}},
       "kiln_lib_load_weights",
       false,
       "Loads a kiln weights file (./model train --save-weights, " + p +
           "_save_weights)\nof this model; on failure the session is "
           "unchanged."});
  functions.push_back(
      {"int32_t",
       p + "_save_weights",
       {handle, {"const char *", "path", "", -1}},
       "kiln_lib_save_weights",
       false,
       "Writes the parameters" +
           std::string(train ? ", optimizer state, iteration and epoch" : "") +
           " as a kiln weights file\n(atomically: a temporary file, then a "
           "rename)."});
  functions.push_back(
      {"void",
       p + "_set_num_threads",
       {{"int32_t", "count", "", -1}},
       "kiln_set_num_threads",
       false,
       "Threads for the large matrix products of calls from this thread\n"
       "(<= 0: KILN_NUM_THREADS, else every core); results do not depend "
       "on it."});
  if (train) {
    std::vector<Param> step = {handle, {"int64_t", "batch", "", -1}};
    auto in =
        tensors(desc.inputs, desc.num_inputs, inputNames, true, 0, "batch");
    auto targets = tensors(train->targets, train->num_targets, targetNames,
                           true, 1, "batch");
    markTargets(targets, *train);
    step.insert(step.end(), in.begin(), in.end());
    step.insert(step.end(), targets.begin(), targets.end());
    step.push_back({"float *", "loss", "(may be NULL)", -1});
    functions.push_back(
        {"int32_t", p + "_train_step", step, "kiln_lib_train_step", false,
         "One train step on `batch` samples (Keras's train_on_batch) at the "
         "compiled\nlearning rate; *loss receives the batch's loss."});
    std::vector<Param> fit = {handle, {"int64_t", "num_samples", "", -1}};
    in = tensors(desc.inputs, desc.num_inputs, inputNames, true, 0,
                 "num_samples");
    targets = tensors(train->targets, train->num_targets, targetNames, true, 1,
                      "num_samples");
    markTargets(targets, *train);
    fit.insert(fit.end(), in.begin(), in.end());
    fit.insert(fit.end(), targets.begin(), targets.end());
    fit.push_back({"int64_t", "epochs", "", -1});
    fit.push_back({"int64_t", "batch_size", "(<= 0: 32)", -1});
    fit.push_back(
        {"int64_t", "seed", "(< 0: the last fit's, else random)", -1});
    fit.push_back({"float *", "epoch_losses", "[epochs] (may be NULL)", -1});
    functions.push_back(
        {"int32_t", p + "_fit", fit, "kiln_lib_fit", false,
         "Keras's fit(x, y, epochs, batch_size, shuffle=True) without "
         "callbacks:\neach epoch a full shuffle under `seed`, the batches "
         "./model train --seed\ntakes; epoch_losses[e] receives epoch e's "
         "mean loss."});
  }
  if (info.cuda)
    functions.push_back(
        {"int32_t",
         p + "_set_device",
         {handle, {"const char *", "device", "", -1}},
         "kiln_lib_set_device",
         false,
         "Where the entries run: \"cpu\" (the default), \"gpu\" or "
         "\"gpu:N\"; the CUDA\ndriver is loaded on first use."});
  return functions;
}

std::string upper(llvm::StringRef text) { return text.upper(); }

void printComment(std::string &out, llvm::StringRef text,
                  llvm::StringRef indent = "") {
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (auto [i, line] : llvm::enumerate(lines)) {
    std::string lead = i == 0 ? "/* " : line.empty() ? " *" : " * ";
    out +=
        (indent + lead + line + (i + 1 == lines.size() ? " */\n" : "\n")).str();
  }
}

/// "int32_t f(int64_t a, float *b /* [batch] */)": on one line when it
/// fits in 80 columns, else one parameter a line.
std::string declaration(const Function &f) {
  auto joined = [](llvm::StringRef type, llvm::StringRef name) {
    return (type + (type.ends_with("*") ? "" : " ") + name).str();
  };
  std::string head = joined(f.result, f.name) + "(", flat = head, tall = head;
  for (auto [i, param] : llvm::enumerate(f.params)) {
    std::string text = joined(param.type, param.name);
    if (!param.comment.empty())
      text += " /* " + param.comment + " */";
    flat += (i ? ", " : "") + text;
    tall += (i ? ",\n    " : "\n    ") + text;
  }
  return flat.size() + 2 <= 80 && flat.find("/*") == std::string::npos
             ? flat + ")"
             : tall + ")";
}

std::string formatCount(int64_t n) {
  std::string digits = std::to_string(n), text;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      text += ',';
    text += digits[i];
  }
  return text;
}

} // namespace

llvm::Error mlir::kiln::checkLibraryName(llvm::StringRef name) {
  bool valid =
      !name.empty() && (llvm::isAlpha(name.front())) &&
      llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
  if (!valid || isKeyword(name))
    return llvm::createStringError(
        "library name '" + name +
        "' is not a C identifier (-o DIR/NAME: NAME prefixes every "
        "function, e.g. -o out/fashion writes out/fashion.h and "
        "out/libfashion.a)");
  return llvm::Error::success();
}

bool mlir::kiln::usesOpenMP(const llvm::Module &module) {
  return llvm::any_of(module.functions(), [](const llvm::Function &f) {
    return f.isDeclaration() && !f.use_empty() &&
           f.getName().starts_with("__kmpc_");
  });
}

llvm::Error mlir::kiln::emitLibraryFunctions(llvm::Module &module,
                                             const kiln_model_desc_t &desc,
                                             const LibraryInfo &info) {
  llvm::GlobalVariable *descriptor =
      module.getNamedGlobal("kiln_model_descriptor");
  if (!descriptor)
    return llvm::createStringError("the module has no kiln_model_descriptor");
  descriptor->setName(info.name + "_model_descriptor");
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *ptrTy = b.getPtrTy();
  auto typeOf = [&](llvm::StringRef c) -> llvm::Type * {
    if (c == "void")
      return b.getVoidTy();
    if (c == "int32_t")
      return b.getInt32Ty();
    if (c == "int64_t")
      return b.getInt64Ty();
    return ptrTy;
  };
  for (const Function &f : libraryFunctions(desc, info)) {
    llvm::SmallVector<llvm::Type *> paramTypes, calleeTypes;
    if (f.passDescriptor)
      calleeTypes.push_back(ptrTy);
    int lastGroup = -1;
    for (const Param &param : f.params) {
      paramTypes.push_back(typeOf(param.type));
      if (param.group < 0 || param.group != lastGroup)
        calleeTypes.push_back(typeOf(param.type));
      lastGroup = param.group;
    }
    llvm::Type *result = typeOf(f.result);
    auto *fn = llvm::Function::Create(
        llvm::FunctionType::get(result, paramTypes, false),
        llvm::GlobalValue::ExternalLinkage, f.name, module);
    if (fn->getName() != f.name)
      return llvm::createStringError("the model object already defines '" +
                                     f.name + "'");
    llvm::FunctionCallee callee = module.getOrInsertFunction(
        f.callee, llvm::FunctionType::get(result, calleeTypes, false));
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
    llvm::SmallVector<llvm::Value *> args;
    if (f.passDescriptor)
      args.push_back(descriptor);
    for (size_t i = 0; i < f.params.size();) {
      int group = f.params[i].group;
      if (group < 0) {
        args.push_back(fn->getArg(unsigned(i++)));
        continue;
      }
      size_t end = i;
      while (end < f.params.size() && f.params[end].group == group)
        ++end;
      auto *arrayTy = llvm::ArrayType::get(ptrTy, end - i);
      llvm::Value *array = b.CreateAlloca(arrayTy);
      for (size_t k = i; k < end; ++k)
        b.CreateStore(fn->getArg(unsigned(k)),
                      b.CreateConstGEP2_32(arrayTy, array, 0, unsigned(k - i)));
      args.push_back(array);
      i = end;
    }
    llvm::CallInst *call = b.CreateCall(callee, args);
    if (result->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
  }
  return llvm::Error::success();
}

std::string mlir::kiln::libraryHeader(const kiln_model_desc_t &desc,
                                      const LibraryInfo &info) {
  const std::string &p = info.name;
  std::string guard = upper(p) + "_H";
  std::vector<Function> functions = libraryFunctions(desc, info);
  std::string out;
  int64_t total = 0, trainable = 0;
  for (int64_t i = 0; i < desc.num_params; ++i) {
    int64_t count = sampleElements(desc.params[i]);
    total += count;
    if (!(desc.params[i].flags & KILN_TENSOR_NON_TRAINABLE))
      trainable += count;
  }
  std::string about = p + ".h: the model '" + (desc.name ? desc.name : "") +
                      "' (" + (desc.kind ? desc.kind : "") +
                      "), compiled by kiln.\nGenerated from the model "
                      "descriptor; do not edit.\n\n";
  // The typed names of predict's tensors, with their shapes and dtypes.
  const Function &predict = *llvm::find_if(
      functions, [&](const Function &f) { return f.name == p + "_predict"; });
  about += "Inputs:\n";
  size_t k = 2;
  for (int64_t i = 0; i < desc.num_inputs; ++i, ++k)
    about +=
        llvm::formatv("  {0,-16} {1} {2}  (model input '{3}')\n",
                      predict.params[k].name, dtypeName(desc.inputs[i].dtype),
                      predict.params[k].comment, desc.inputs[i].name)
            .str();
  about += "Outputs:\n";
  for (int64_t i = 0; i < desc.num_outputs; ++i, ++k)
    about +=
        llvm::formatv("  {0,-16} {1} {2}  (model output '{3}')\n",
                      predict.params[k].name, dtypeName(desc.outputs[i].dtype),
                      predict.params[k].comment, desc.outputs[i].name)
            .str();
  about += "Parameters: " + formatCount(total) + " (" + formatCount(trainable) +
           " trainable) in " + std::to_string(desc.num_params) + " tensors, " +
           formatCount(desc.weights_size) + " bytes of weights built in.\n";
  if (canTrain(desc)) {
    const kiln_train_desc_t &t = *desc.training;
    about += std::string("Training: loss ") + t.loss +
             (t.from_logits ? " (from logits)" : "") + ", optimizer " +
             t.optimizer;
    for (int64_t i = 0; i < t.num_hyper; ++i) {
      char value[32];
      std::snprintf(value, sizeof(value), "%g", t.hyper[i].value);
      about += (i ? ", " : " (") + std::string(t.hyper[i].name) + "=" + value +
               (i + 1 == t.num_hyper ? ")" : "");
    }
    about += ". Targets are float32";
    for (int64_t i = 0; i < t.num_targets; ++i)
      about += (i ? ", " : ": ") + std::string(t.targets[i].name) + " " +
               shapeComment(t.targets[i], "batch");
    about += ".\n";
  } else if (desc.train_unavailable) {
    about +=
        std::string("No training functions: ") + desc.train_unavailable + ".\n";
  } else {
    about += "No training functions: the model was compiled without a loss "
             "(kiln compile --loss).\n";
  }
  about += "\nFunctions returning int32_t return 0 on success, else a kiln "
           "status code:\n1 invalid argument, 2 not found, 3 I/O error, 4 "
           "data loss (a corrupt file),\n5 out of memory, 6 unimplemented, 7 "
           "internal; " +
           p +
           "_error(m) says why.\nBuffers are row-major and "
           "caller-owned. Link: pkg-config " +
           p + ", or CMake\nfind_package(" + p + ") and the target " + p +
           "::" + p +
           ".\nWith the full kiln runtime (kiln/runtime.h), the "
           "descriptor is\n`extern const kiln_model_desc_t " +
           p + "_model_descriptor;`.";
  printComment(out, about);
  out += "#ifndef " + guard + "\n#define " + guard +
         "\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n"
         "#endif\n\n";
  out += "/* A session of the model: its parameters and optimizer state. */\n";
  out += "typedef struct " + p + "_session " + p + "_t;\n\n";
  out += "/* Elements of one sample of each tensor. */\n";
  for (int64_t i = 0; i < desc.num_inputs; ++i)
    out += "#define " + upper(p) + "_" + upper(predict.params[2 + i].name) +
           "_ELEMENTS " + std::to_string(sampleElements(desc.inputs[i])) + "\n";
  for (int64_t i = 0; i < desc.num_outputs; ++i)
    out += "#define " + upper(p) + "_" +
           upper(predict.params[2 + desc.num_inputs + i].name) + "_ELEMENTS " +
           std::to_string(sampleElements(desc.outputs[i])) + "\n";
  out += "\n";
  for (const Function &f : functions) {
    printComment(out, f.doc);
    out += declaration(f) + ";\n\n";
  }
  out += "#ifdef __cplusplus\n} /* extern \"C\" */\n\n";
  // The RAII wrapper: no exceptions, so it also builds with -fno-exceptions.
  std::string cls = "class Model {\npublic:\n";
  cls += "  Model() noexcept { status_ = " + p + "_create(&m_); }\n";
  cls += "  ~Model() { " + p + "_destroy(m_); }\n";
  cls += "  Model(const Model &) = delete;\n"
         "  Model &operator=(const Model &) = delete;\n"
         "  Model(Model &&other) noexcept : m_(other.m_), "
         "status_(other.status_) {\n    other.m_ = nullptr;\n  }\n"
         "  Model &operator=(Model &&other) noexcept {\n"
         "    if (this != &other) {\n      " +
         p +
         "_destroy(m_);\n      m_ = other.m_;\n      status_ = "
         "other.status_;\n      other.m_ = nullptr;\n    }\n"
         "    return *this;\n  }\n\n";
  cls += "  /* Whether creating the session succeeded. */\n"
         "  bool ok() const noexcept { return m_ && status_ == 0; }\n"
         "  explicit operator bool() const noexcept { return ok(); }\n"
         "  /* Why the last failing call failed. */\n"
         "  const char *error() const noexcept { return " +
         p + "_error(m_); }\n  " + p +
         "_t *get() const noexcept { return m_; }\n\n";
  for (const Function &f : llvm::drop_begin(functions, 3)) {
    if (f.params.empty() || f.params.front().name != "m")
      continue; // set_num_threads: not per session
    llvm::StringRef method = llvm::StringRef(f.name).drop_front(p.size() + 1);
    cls += "  " + f.result + (f.result.back() == '*' ? "" : " ") +
           method.str() + "(";
    std::string args = "m_";
    for (auto [i, param] : llvm::enumerate(llvm::drop_begin(f.params))) {
      cls += (i ? ", " : "") + param.type +
             (param.type.back() == '*' ? "" : " ") + param.name;
      args += ", " + param.name;
    }
    cls += ") noexcept {\n    return " + f.name + "(" + args + ");\n  }\n";
  }
  cls +=
      "\nprivate:\n  " + p + "_t *m_ = nullptr;\n  int32_t status_ = 0;\n};\n";
  out += "namespace " + p + " {\n\n/* The session as a C++ object: created " +
         "by the constructor, destroyed by the\n * destructor; check ok() "
         "after constructing. */\n" +
         cls + "\n} /* namespace " + p + " */\n#endif\n\n#endif /* " + guard +
         " */\n";
  return out;
}

std::string mlir::kiln::pkgConfigFile(const kiln_model_desc_t &desc,
                                      const LibraryInfo &info) {
  std::string libs = "-L${libdir} -l" + info.name;
  // A static library brings the runtime's needs; a shared one has them.
  if (!info.shared) {
    if (info.openmp)
      libs += " -l:libomp.so.5";
    libs += " -lstdc++ -lm -ldl -lpthread";
  }
  for (const std::string &flag : info.linkFlags)
    libs += " " + flag;
  return "# pkg-config file of the kiln-compiled model '" +
         std::string(desc.name ? desc.name : "") +
         "'; paths are relative to this file.\n"
         "prefix=${pcfiledir}\nlibdir=${prefix}\nincludedir=${prefix}\n\n"
         "Name: " +
         info.name + "\nDescription: the model '" +
         std::string(desc.name ? desc.name : "") +
         "' compiled ahead of time by kiln\nVersion: 1.0\n"
         "Cflags: -I${includedir}\nLibs: " +
         libs + "\n";
}

std::string mlir::kiln::cmakeConfigFile(const LibraryInfo &info) {
  const std::string &p = info.name;
  std::string kind = info.shared ? "SHARED" : "STATIC";
  std::string file = info.shared ? "lib" + p + ".so" : "lib" + p + ".a";
  std::string links;
  if (!info.shared)
    links = std::string(info.openmp ? "-l:libomp.so.5;" : "") +
            "stdc++;m;${CMAKE_DL_LIBS};Threads::Threads";
  std::string text = "# CMake package of the kiln-compiled model " + p +
                     ": find_package(" + p + ") gives the\n# imported target " +
                     p + "::" + p + " (" + file + " and " + p +
                     ".h, both beside this file).\n"
                     "if(TARGET " +
                     p + "::" + p + ")\n  return()\nendif()\n";
  if (!info.shared)
    text += "include(CMakeFindDependencyMacro)\nfind_dependency(Threads)\n";
  text += "add_library(" + p + "::" + p + " " + kind + " IMPORTED)\n" +
          "set_target_properties(" + p + "::" + p +
          " PROPERTIES\n  IMPORTED_LOCATION \"${CMAKE_CURRENT_LIST_DIR}/" +
          file +
          "\"\n  INTERFACE_INCLUDE_DIRECTORIES "
          "\"${CMAKE_CURRENT_LIST_DIR}\"";
  if (!links.empty())
    text += "\n  INTERFACE_LINK_LIBRARIES \"" + links + "\"";
  if (!info.linkFlags.empty())
    text += "\n  INTERFACE_LINK_OPTIONS \"" + llvm::join(info.linkFlags, ";") +
            "\"";
  if (info.shared)
    text += "\n  IMPORTED_SONAME \"" + file + "\"";
  return text + ")\nset(" + p + "_FOUND TRUE)\n";
}
