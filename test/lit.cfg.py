# lit configuration of kiln's compiler tests.
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")
# Fixtures, the runtime's GoogleTest sources and benchmarks are not lit tests.
config.excludes = ["Inputs", "runtime", "benchmark", "fakecuda", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py"]

llvm_config.use_default_substitutions()
# kiln and kiln-opt: this build's, or another build's (-DKILN_TOOLS_DIR) on
# this build's runtime archives.
tool_dirs = [config.kiln_tools_dir or os.path.join(config.kiln_obj_root, "bin"),
             config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["kiln", "kiln-opt"], tool_dirs)
config.environment["PATH"] = os.pathsep.join(
    tool_dirs + [config.environment.get("PATH", "")])
config.environment["KILN_RUNTIME_DIR"] = os.path.join(config.kiln_obj_root, "lib")

# Independent NumPy/h5py references run with Debian's Python, never pyenv's.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(("%kiln_lib", os.path.join(config.kiln_obj_root, "lib")))
config.substitutions.append(("%conformance", config.conformance_dir))
config.substitutions.append(
    ("%e2e_inputs", os.path.join(config.kiln_src_root, "test", "e2e", "Inputs")))
if os.path.isdir(config.conformance_dir):
    config.available_features.add("conformance")
# The tests' virtual environment (tools/dev/setup.sh): TensorBoard from PyPI.
tb_python = os.path.join(config.kiln_venv, "bin", "python")
config.substitutions.append(("%tb_python", tb_python))
if os.path.isfile(tb_python) and os.path.isfile(
        os.path.join(config.kiln_venv, "kiln-requirements.txt")):
    config.available_features.add("tensorboard")
    if os.path.isdir(os.path.join(config.kiln_venv, "lib")) and any(
            os.path.isdir(os.path.join(root, "onnxruntime"))
            for root, _, _ in os.walk(os.path.join(config.kiln_venv, "lib"))
            if root.endswith("site-packages")):
        config.available_features.add("onnxruntime")
    if any(os.path.isdir(os.path.join(root, "tf2onnx"))
           for root, _, _ in os.walk(os.path.join(config.kiln_venv, "lib"))
           if root.endswith("site-packages")):
        config.available_features.add("tf2onnx")
# A sanitized build (-DKILN_SANITIZE): programs a test links itself against
# the runtime archives need the same flags.
config.substitutions.append(
    ("%sanitize_flags",
     "-fsanitize=" + config.kiln_sanitize if config.kiln_sanitize else ""))
if config.kiln_sanitize:
    config.available_features.add("sanitizers")
# Debian's dataset-fashion-mnist (installed by tools/dev/setup.sh).
fashion = "/usr/share/datasets/fashion-mnist"
config.substitutions.append(("%fashion", fashion))
if os.path.isfile(os.path.join(fashion, "train-images-idx3-ubyte.gz")):
    config.available_features.add("fashion-mnist")

# lit runs tests side by side on every core: each compiled model keeps to
# one thread (tests of threads ask for their count with --threads, which
# wins over the environment).
config.environment["KILN_NUM_THREADS"] = "1"

# valgrind's memcheck runs compiler passes in a few tests: the sanitized
# build (build-asan/) holds the runtime only.
if shutil.which("valgrind"):
    config.available_features.add("valgrind")

# The CUDA toolkit's ptxas validates the PTX of --target cuda (kiln itself
# never needs the toolkit); without it, the tests that need it are
# UNSUPPORTED, naming the feature.
ptxas = os.environ.get("KILN_PTXAS", "/usr/local/cuda/bin/ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
# Execution tests of the GPU mapping on the host (DESIGN.md contract 4):
# kiln-opt's host loops (with a main that prints through the runner's
# printMemrefF32), lowered by upstream passes and run by mlir-runner.
llvm_lib = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
runner_libs = [os.path.join(llvm_lib, name) for name in
               ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so")]
if os.access(os.path.join(config.llvm_tools_dir, "mlir-runner"), os.X_OK) and \
        all(os.path.isfile(lib) for lib in runner_libs):
    config.available_features.add("mlir-runner")
    config.substitutions.append(
        ("%run_on_host",
         "mlir-opt --convert-linalg-to-loops --lower-affine --convert-scf-to-cf"
         " --convert-vector-to-llvm --expand-strided-metadata --lower-affine"
         " --finalize-memref-to-llvm"
         " --convert-math-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm"
         " --convert-func-to-llvm --convert-ub-to-llvm --reconcile-unrealized-casts"
         " | mlir-runner -e main --entry-point-result=void --shared-libs="
         + ",".join(runner_libs)))

# No test may use a real CUDA driver unless it asks: the driver kiln loads
# is KILN_CUDA_DRIVER when set. %fake_cuda is a driver without a GPU
# (test/fakecuda) for the runtime's tests around kernels.
config.substitutions.append(
    ("%fake_cuda", os.path.join(config.kiln_obj_root, "lib", "libkiln-fake-cuda.so")))
config.environment["KILN_CUDA_DRIVER"] = os.environ.get(
    "KILN_TEST_CUDA_DRIVER", "kiln-test-no-cuda-driver.so")
