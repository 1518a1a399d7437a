//===- Devices.cpp - ./model devices and --device ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model devices` lists where the model can run, like TensorFlow's
// tf.config.list_physical_devices: the CPU and each GPU the CUDA driver
// reports. --device chooses one for predict, train, evaluate and bench.
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"
#include "gpu/Launch.h"

#include <cinttypes>
#include <thread>

namespace kiln::cli {

int Cli::runDevices() {
  if (int code = checkNoArguments(); code >= 0)
    return code;
  std::printf("cpu      %u threads\n", std::thread::hardware_concurrency());
  gpu::printDevices(stdout);
  if (desc->cuda) {
    std::string precision = gpu::describePrecision(desc->cuda);
    std::printf("this model: CPU and GPU code (PTX for %s%s%s; --device "
                "cpu|gpu|gpu:N)\n",
                gpu::ptxArchitectures(desc->cuda).c_str(),
                precision.empty() ? "" : "; ", precision.c_str());
  } else
    std::printf("this model: CPU code only (compiled without --target "
                "cuda)\n");
  return kExitOk;
}

std::string Cli::chooseDevice() const {
  if (!device.empty() || !desc->cuda)
    return device; // CPU code only: nothing to choose or say
  int32_t count = 0;
  kiln_status_t status = kiln_gpu_devices(nullptr, 0, &count);
  if (status) {
    std::fprintf(stderr, "device: cpu (%s)\n", kiln_status_message(status));
    kiln_status_free(status);
    return "";
  }
  return count > 0 ? "gpu:0" : "cpu";
}

int Cli::placeModel(kiln_model_t *model) const {
  std::string chosen = chooseDevice();
  if (chosen.empty())
    return -1;
  if (kiln_status_t status = kiln_model_set_device(model, chosen.c_str())) {
    if (!device.empty())
      return runtimeError(status); // asked for: an error, never a fallback
    // The default GPU cannot run this binary (its PTX is for newer GPUs):
    // the CPU, saying why, as without a driver.
    std::fprintf(stderr, "device: cpu (%s)\n", kiln_status_message(status));
    kiln_status_free(status);
    return -1;
  }
  if (desc->cuda || chosen != "cpu") {
    // On a GPU, how its products multiply when not in fp32.
    std::string precision =
        chosen == "cpu" ? "" : gpu::describePrecision(desc->cuda);
    std::fprintf(stderr, "device: %s%s%s\n", kiln_model_device(model),
                 precision.empty() ? "" : ", ", precision.c_str());
  }
  return -1;
}

} // namespace kiln::cli
