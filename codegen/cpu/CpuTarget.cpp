//===- CpuTarget.cpp - x86-64 code generation and packaging -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuTarget.h"
#include "codegen/Passes.h"
#include "codegen/abi/OutputFile.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Signals.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

using namespace mlir;
using namespace mlir::kiln;

/// An error carrying `message` (kiln's compiler errors are llvm::Error,
/// printed once by the driver).
static llvm::Error targetError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<std::unique_ptr<CpuTarget>>
mlir::kiln::createCpuTarget(llvm::StringRef cpu) {
  std::string error;
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return targetError(error);
  std::string cpuName, features;
  if (cpu.empty() || cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures featureSet;
    for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      featureSet.AddFeature(feature, enabled);
    features = featureSet.getString();
  } else {
    cpuName = cpu.str();
    // Check the name first: LLVM only warns about unknown CPUs.
    std::unique_ptr<llvm::MCSubtargetInfo> generic(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!generic || !generic->isCPUStringValid(cpuName)) {
      return targetError("unknown target CPU '" + cpuName + "' for " +
                         triple.str());
    }
  }
  auto result = std::make_unique<CpuTarget>();
  result->machine.reset(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!result->machine) {
    return targetError("cannot create a target machine for " + triple.str());
  }
  const llvm::MCSubtargetInfo *sti = result->machine->getMCSubtargetInfo();
  result->vectorWidth = sti->checkFeatures("+avx512f") ? 16 : 8;
  if (cpu.empty() || cpu == "native") {
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 >= 64 * 1024)
      result->l2Bytes = l2;
  }
  return std::move(result);
}

void mlir::kiln::setLoweringOptions(const CpuTarget &target,
                                    CpuLoweringOptions &options) {
  options.vectorWidth = target.vectorWidth;
  // B is packed when it fills more than half of L2 (the other half holds
  // the rows of A and C that stream past it).
  options.packThreshold = target.l2Bytes / 2;
}

llvm::Expected<std::unique_ptr<llvm::Module>> mlir::kiln::translateModel(
    ModuleOp module, llvm::LLVMContext &context, const ImportedModel &model,
    const ModelSignature &signature, const CpuTarget &target,
    std::unique_ptr<llvm::Module> gpuPart) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, model.name);
  if (!llvmModule)
    return targetError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(target.machine->getTargetTriple());
  llvmModule->setDataLayout(target.machine->createDataLayout());
  if (gpuPart && llvm::Linker::linkModules(*llvmModule, std::move(gpuPart)))
    return targetError("linking the CUDA host code failed");
  // The workspace sizes the lowering recorded complete the signature.
  ModelSignature complete = signature;
  complete.workspace = getWorkspaceSizes(module);
  if (llvm::Error error =
          emitModelAbi(*llvmModule, model, complete, kPredictFuncName))
    return std::move(error);
  return std::move(llvmModule);
}

/// LLVM's O3 without `called-value-propagation`: it only annotates indirect
/// calls, of which generated code has none, and its solver's time grows
/// with the square of the call sites (40 s of a 1000-layer model's compile).
static llvm::ModulePassManager
buildO3Pipeline(llvm::PassBuilder &pb,
                llvm::PassInstrumentationCallbacks &callbacks) {
  llvm::ModulePassManager o3 =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  std::string text;
  llvm::raw_string_ostream os(text);
  o3.printPipeline(os, [&](llvm::StringRef className) {
    llvm::StringRef name = callbacks.getPassNameForClassName(className);
    return name.empty() ? className : name;
  });
  llvm::StringRef pass = "called-value-propagation";
  size_t at = text.find(pass);
  if (at == std::string::npos)
    return o3;
  text.erase(at, pass.size() + (text.compare(at + pass.size(), 1, ",") == 0));
  llvm::ModulePassManager trimmed;
  if (llvm::Error error = pb.parsePassPipeline(trimmed, text)) {
    llvm::consumeError(std::move(error)); // as printed, it always parses
    return o3;
  }
  return trimmed;
}

void mlir::kiln::optimizeModule(llvm::Module &module, const CpuTarget &target) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassInstrumentationCallbacks callbacks;
  llvm::PassBuilder pb(target.machine.get(), llvm::PipelineTuningOptions(),
                       std::nullopt, &callbacks);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = buildO3Pipeline(pb, callbacks);
  mpm.run(module, mam);
}

llvm::Error mlir::kiln::emitMachineCode(llvm::Module &module,
                                        const CpuTarget &target, bool assembly,
                                        llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager pm;
  if (target.machine->addPassesToEmitFile(
          pm, os, nullptr,
          assembly ? llvm::CodeGenFileType::AssemblyFile
                   : llvm::CodeGenFileType::ObjectFile))
    return targetError("the target cannot emit this file type");
  pm.run(module);
  return llvm::Error::success();
}

llvm::Error mlir::kiln::emitMachineCode(llvm::Module &module,
                                        const CpuTarget &target, bool assembly,
                                        llvm::StringRef path) {
  // Atomic: an interrupted compile leaves the old file or none.
  return writeOutputFile(path, /*binary=*/!assembly,
                         [&](llvm::raw_pwrite_stream &os) {
                           return emitMachineCode(module, target, assembly, os);
                         });
}

llvm::Expected<std::vector<std::string>>
mlir::kiln::compileObjects(std::unique_ptr<llvm::Module> module,
                           llvm::StringRef cpu, unsigned threads,
                           llvm::StringRef dir, llvm::StringRef forPath) {
  // The parts, as bitcode: each is read back into its own context.
  std::vector<llvm::SmallString<0>> parts;
  unsigned functions = 0;
  for (const llvm::Function &f : *module)
    functions += !f.isDeclaration();
  unsigned count = std::min(threads, functions);
  if (count > 1) {
    llvm::SplitModule(
        *module, count,
        [&](std::unique_ptr<llvm::Module> part) {
          llvm::SmallString<0> bitcode;
          llvm::raw_svector_ostream os(bitcode);
          llvm::WriteBitcodeToFile(*part, os);
          parts.push_back(std::move(bitcode));
        },
        /*PreserveLocals=*/false);
  }
  // The workers compile to memory; only this thread writes files, so that a
  // termination signal's handler never races a worker's open or rename
  // (createOwnedTemporary).
  size_t n = parts.empty() ? 1 : parts.size();
  std::vector<llvm::SmallString<0>> objects(n);
  std::vector<std::string> errors(n);
  auto compile = [&](size_t i) {
    auto fail = [&](llvm::Error error) {
      errors[i] = llvm::toString(std::move(error));
    };
    llvm::Expected<std::unique_ptr<CpuTarget>> target = createCpuTarget(cpu);
    if (!target)
      return fail(target.takeError());
    llvm::raw_svector_ostream os(objects[i]);
    if (parts.empty()) {
      optimizeModule(*module, **target);
      if (llvm::Error error = emitMachineCode(*module, **target,
                                              /*assembly=*/false, os))
        fail(std::move(error));
      return;
    }
    llvm::LLVMContext context;
    llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(llvm::StringRef(parts[i].data(), parts[i].size()),
                              "part"),
        context);
    if (!part)
      return fail(part.takeError());
    optimizeModule(**part, **target);
    if (llvm::Error error =
            emitMachineCode(**part, **target, /*assembly=*/false, os))
      fail(std::move(error));
  };
  std::vector<std::thread> workers;
  for (size_t i = 1; i < n; ++i)
    workers.emplace_back(compile, i);
  compile(0);
  for (std::thread &worker : workers)
    worker.join();
  for (const std::string &error : errors)
    if (!error.empty())
      return targetError(error);
  std::vector<std::string> paths;
  auto removeAll = [&] {
    for (const std::string &path : paths)
      removeTemporary(path);
  };
  for (const llvm::SmallString<0> &object : objects) {
    llvm::Expected<std::string> path =
        createOwnedTemporary(dir, "kiln-model", ".o", forPath);
    if (!path) {
      removeAll();
      return path.takeError();
    }
    paths.push_back(*path);
    std::error_code ec;
    llvm::raw_fd_ostream os(*path, ec, llvm::sys::fs::OF_None);
    if (!ec) {
      os << object;
      os.close();
      ec = os.error();
      os.clear_error();
    }
    if (ec) {
      removeAll();
      return targetError("cannot write '" + *path + "': " + ec.message());
    }
  }
  return paths;
}

/// The directory holding libkiln_runtime_*.a: $KILN_RUNTIME_DIR, else
/// `<dir of this executable>/../lib`.
static std::string runtimeLibraryDir() {
  if (const char *dir = std::getenv("KILN_RUNTIME_DIR"))
    return dir;
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("kiln", &anchor);
  llvm::SmallString<256> dir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(dir, "lib");
  return dir.str().str();
}

namespace {

/// The signal that interrupted a link, and the linker's process group.
volatile std::sig_atomic_t linkInterrupted = 0;
volatile pid_t linkerGroup = 0;

void forwardToLinker(int signal) {
  linkInterrupted = signal;
  if (linkerGroup > 0)
    ::killpg(linkerGroup, SIGTERM);
}

/// Runs `args` (args[0] the program) in a process group of its own, with
/// stdout and stderr to `logPath`, and returns its exit status (-1 when it
/// could not run, with `message`). A SIGINT, SIGTERM or SIGHUP meanwhile
/// stops the whole group (the C++ driver, collect2, ld), each removing its
/// own temporaries, and waits until none is left; the caller then sees
/// `linkInterrupted`. (llvm::sys::ExecuteAndWait would leave the linker
/// running, and writing temporaries, after kiln is gone.)
int runLinker(llvm::ArrayRef<llvm::StringRef> args, llvm::StringRef logPath,
              std::string &message) {
  std::vector<std::string> storage(args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &arg : storage)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attributes);
  std::string log = logPath.str();
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);

  // Our handlers for the link's duration (LLVM's, which remove the files
  // registered with RemoveFileOnSignal, come back after it).
  constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction forward = {}, previous[3];
  forward.sa_handler = forwardToLinker;
  sigemptyset(&forward.sa_mask);
  linkInterrupted = 0;
  for (int i = 0; i < 3; ++i) {
    ::sigaction(kSignals[i], nullptr, &previous[i]);
    // A signal ignored by whoever started kiln stays ignored.
    if (previous[i].sa_handler != SIG_IGN)
      ::sigaction(kSignals[i], &forward, nullptr);
  }
  llvm::scope_exit restore([&] {
    for (int i = 0; i < 3; ++i)
      ::sigaction(kSignals[i], &previous[i], nullptr);
  });

  pid_t pid = 0;
  int spawned =
      ::posix_spawn(&pid, argv[0], &files, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    message = std::strerror(spawned);
    return -1;
  }
  linkerGroup = pid;
  // Interrupted before the group existed: stop it now.
  if (linkInterrupted)
    ::killpg(pid, SIGTERM);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (linkInterrupted) {
    // The driver is gone; give its children (collect2, ld) up to two
    // seconds to clean up after themselves.
    for (int i = 0; i < 200 && ::killpg(pid, 0) == 0; ++i) {
      struct timespec pause = {0, 10 * 1000 * 1000};
      ::nanosleep(&pause, nullptr);
    }
  }
  linkerGroup = 0;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  message = std::string("terminated by signal ") +
            std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return -1;
}

/// After an interrupted link and the removal of its files: ends kiln as
/// the signal would have (LLVM's handlers remove the other temporaries).
[[noreturn]] void endInterrupted() {
  int signal = linkInterrupted;
  llvm::sys::RunInterruptHandlers();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
  std::_Exit(128 + signal);
}

} // namespace

/// The runtime archives of `layers`, in that order.
static llvm::Expected<llvm::SmallVector<std::string>>
runtimeArchives(llvm::ArrayRef<llvm::StringRef> layers) {
  std::string libDir = runtimeLibraryDir();
  llvm::SmallVector<std::string> libs;
  for (llvm::StringRef layer : layers) {
    llvm::SmallString<256> lib(libDir);
    llvm::sys::path::append(lib, "libkiln_runtime_" + layer + ".a");
    if (!llvm::sys::fs::exists(lib)) {
      return targetError("kiln runtime library '" + lib +
                         "' not found (set KILN_RUNTIME_DIR)");
    }
    libs.push_back(lib.str().str());
  }
  return libs;
}

// From `libkiln_runtime.ldflags` beside the archives (written by
// runtime/CMakeLists.txt); none when the file is absent.
llvm::Expected<llvm::SmallVector<std::string>> mlir::kiln::runtimeLinkFlags() {
  llvm::SmallString<256> path(runtimeLibraryDir());
  llvm::sys::path::append(path, "libkiln_runtime.ldflags");
  llvm::SmallVector<std::string> flags;
  if (!llvm::sys::fs::exists(path))
    return flags;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!text)
    return targetError("cannot read '" + path +
                       "': " + text.getError().message());
  llvm::SmallVector<llvm::StringRef> words;
  llvm::SplitString((*text)->getBuffer(), words);
  for (llvm::StringRef word : words) {
    if (!word.starts_with("-"))
      return targetError("kiln runtime link flags '" + path + "': '" + word +
                         "' is not an option of the C++ driver");
    flags.push_back(word.str());
  }
  return flags;
}

/// Links `objects` with the runtime archives of `layers` (folder names,
/// each before the ones it depends on) through the system C++ driver, with
/// `extraArgs` first, into `outputPath` (atomically).
static llvm::Error linkImage(llvm::ArrayRef<std::string> objects,
                             llvm::StringRef outputPath,
                             llvm::ArrayRef<llvm::StringRef> layers,
                             llvm::ArrayRef<std::string> extraArgs);

/// The archives a library needs, each before the ones it depends on.
static llvm::SmallVector<llvm::StringRef> libraryLayers(bool cuda) {
  if (cuda)
    return {"gpu", "model", "base"};
  return {"model", "base"};
}

llvm::Error mlir::kiln::linkExecutable(llvm::ArrayRef<std::string> objects,
                                       llvm::StringRef outputPath) {
  // The runtime's archives, each before the ones it depends on
  // (runtime/README.md): main() first, the session and base archives last.
  return linkImage(objects, outputPath,
                   {"main", "cli", "serve", "train", "data", "gpu", "model",
                    "formats", "base"},
                   {});
}

llvm::Error mlir::kiln::linkSharedLibrary(llvm::ArrayRef<std::string> objects,
                                          llvm::StringRef outputPath,
                                          llvm::StringRef name, bool cuda) {
  // Only the generated NAME_* functions are exported: the runtime inside
  // stays private, so two libraries never clash.
  llvm::SmallString<128> tempDir;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, tempDir);
  llvm::Expected<std::string> script =
      createOwnedTemporary(tempDir, "kiln-exports", ".map", outputPath);
  if (!script)
    return script.takeError();
  TemporaryRemover removeScript(*script);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(*script, ec);
    if (ec)
      return targetError("cannot write '" + *script + "': " + ec.message());
    os << "{\n  global: " << name << "_*;\n  local: *;\n};\n";
  }
  std::string soname = "lib" + name.str() + ".so";
  return linkImage(objects, outputPath, libraryLayers(cuda),
                   {"-shared", "-Wl,--version-script=" + *script,
                    "-Wl,-soname," + soname, "-Wl,--no-undefined"});
}

llvm::Error mlir::kiln::writeLibraryArchive(llvm::ArrayRef<std::string> objects,
                                            llvm::StringRef outputPath,
                                            llvm::StringRef name, bool cuda) {
  llvm::Expected<llvm::SmallVector<std::string>> libs =
      runtimeArchives(libraryLayers(cuda));
  if (!libs)
    return libs.takeError();
  std::vector<llvm::NewArchiveMember> members;
  std::vector<std::string> memberNames;
  for (size_t i = 0; i < objects.size(); ++i)
    memberNames.push_back(
        (name + (i ? "." + std::to_string(i) : std::string()) + ".o").str());
  for (auto [path, memberName] : llvm::zip(objects, memberNames)) {
    llvm::Expected<llvm::NewArchiveMember> object =
        llvm::NewArchiveMember::getFile(path, /*Deterministic=*/true);
    if (!object)
      return object.takeError();
    object->MemberName = memberName;
    members.push_back(std::move(*object));
  }
  // The runtime archives' members, copied (they point into the buffers).
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  std::vector<std::unique_ptr<llvm::object::Archive>> archives;
  for (const std::string &lib : *libs) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFile(lib, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!buffer)
      return targetError("cannot read '" + lib +
                         "': " + buffer.getError().message());
    llvm::Expected<std::unique_ptr<llvm::object::Archive>> archive =
        llvm::object::Archive::create((*buffer)->getMemBufferRef());
    if (!archive)
      return archive.takeError();
    llvm::Error error = llvm::Error::success();
    for (const llvm::object::Archive::Child &child :
         (*archive)->children(error)) {
      llvm::Expected<llvm::NewArchiveMember> member =
          llvm::NewArchiveMember::getOldMember(child, /*Deterministic=*/true);
      if (!member)
        return member.takeError();
      members.push_back(std::move(*member));
    }
    if (error)
      return error;
    buffers.push_back(std::move(*buffer));
    archives.push_back(std::move(*archive));
  }
  // writeArchive writes a temporary beside the output and renames it.
  return llvm::writeArchive(resolveOutputPath(outputPath), members,
                            llvm::SymtabWritingMode::NormalSymtab,
                            llvm::object::Archive::K_GNU,
                            /*Deterministic=*/true, /*Thin=*/false);
}

static llvm::Error linkImage(llvm::ArrayRef<std::string> objects,
                             llvm::StringRef outputPath,
                             llvm::ArrayRef<llvm::StringRef> layers,
                             llvm::ArrayRef<std::string> extraArgs) {
  llvm::Expected<llvm::SmallVector<std::string>> archives =
      runtimeArchives(layers);
  if (!archives)
    return archives.takeError();
  llvm::SmallVector<std::string> &libs = *archives;
  llvm::Expected<llvm::SmallVector<std::string>> runtimeFlags =
      runtimeLinkFlags();
  if (!runtimeFlags)
    return runtimeFlags.takeError();
  llvm::ErrorOr<std::string> driver = llvm::sys::findProgramByName("c++");
  if (!driver)
    driver = llvm::sys::findProgramByName("g++");
  if (!driver) {
    return targetError(
        "no system C++ compiler driver (c++ or g++) to link with");
  }
  // Link to a unique temporary beside the (resolved) output, then rename:
  // concurrent compiles to one output never share it. A device or FIFO
  // output (/dev/null) is never replaced: the linker writes a temporary in
  // TMPDIR whose bytes are then written to it in place.
  std::string target = resolveOutputPath(outputPath);
  bool special = isSpecialFile(target);
  llvm::SmallString<128> tempDir;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, tempDir);
  llvm::Expected<std::string> temporary =
      special ? createOwnedTemporary(tempDir, "kiln-link", ".tmp", outputPath)
              : createTemporaryBeside(target, ".link.tmp");
  if (!temporary)
    return temporary.takeError();
  std::string tmp = *temporary;
  llvm::scope_exit release([&] { llvm::sys::DontRemoveFileOnSignal(tmp); });
  llvm::SmallVector<llvm::StringRef> args = {*driver};
  args.append(extraArgs.begin(), extraArgs.end());
  args.append({"-o", tmp});
  args.append(objects.begin(), objects.end());
  args.append(libs.begin(), libs.end());
  // The system's zlib (gzip data, npz, checksums; Debian's zlib1g is a
  // required package) and libstdc++: 0.8 MB less in every executable. A
  // shared library carries its own libstdc++, hidden, so that any
  // application (Python's ctypes) can load it.
  args.append({"-lz", "-lm"});
  if (llvm::is_contained(extraArgs, "-shared"))
    args.append({"-static-libstdc++", "-static-libgcc"});
  // Only what is reachable from main() or the exports (runtime archives are
  // built with function sections), and no symbol table: a small binary.
  // One read-only segment for the headers, code and constants: without
  // -z noseparate-code (the default since binutils 2.31 on x86-64) each
  // of them starts on a page of its own, up to 12 KiB of padding that was
  // 1% of the MLP's executable.
  args.append(
      {"-Wl,--gc-sections", "-Wl,--strip-all", "-Wl,-z,noseparate-code"});
  // Parallel loops call libomp (Debian's libomp5, LLVM's OpenMP runtime);
  // a model without any needs no libomp at all.
  args.append({"-Wl,--as-needed", "-l:libomp.so.5", "-Wl,--no-as-needed"});
  args.append(runtimeFlags->begin(), runtimeFlags->end());
  // The linker's own words go to a log: on failure they are reported with
  // the user's path in place of the temporary's.
  llvm::Expected<std::string> log =
      createOwnedTemporary(tempDir, "kiln-link", ".log", outputPath);
  if (!log)
    return log.takeError();
  TemporaryRemover removeLog(*log);
  std::string message;
  int rc = runLinker(args, *log, message);
  if (linkInterrupted) {
    llvm::sys::fs::remove(tmp);
    llvm::sys::fs::remove(*log);
    endInterrupted();
  }
  if (rc != 0) {
    llvm::sys::fs::remove(tmp);
    std::string said;
    if (llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
            llvm::MemoryBuffer::getFile(*log))
      said = (*text)->getBuffer().trim().str();
    if (llvm::StringRef(said).contains("No space left on device"))
      return targetError("cannot write '" + outputPath +
                         "': No space left on device");
    for (size_t at; (at = said.find(tmp)) != std::string::npos;)
      said.replace(at, tmp.size(), outputPath.str());
    return targetError("cannot write '" + outputPath + "': linking failed (" +
                       *driver + " exited with " + std::to_string(rc) +
                       (message.empty() ? "" : ": " + message) + ")" +
                       (said.empty() ? "" : ":\n" + said));
  }
  if (special) {
    llvm::FileRemover remove(tmp);
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> linked =
        llvm::MemoryBuffer::getFile(tmp, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!linked)
      return targetError("cannot read the linked output: " +
                         linked.getError().message());
    return writeOutputFile(outputPath, /*binary=*/true,
                           [&](llvm::raw_pwrite_stream &os) {
                             os << (*linked)->getBuffer();
                             return llvm::Error::success();
                           });
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, target)) {
    llvm::sys::fs::remove(tmp);
    return targetError("cannot write '" + outputPath + "': " + ec.message());
  }
  return llvm::Error::success();
}
