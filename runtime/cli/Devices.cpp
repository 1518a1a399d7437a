//===- Devices.cpp - ./model devices and --device ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model devices` lists where the model can run, like TensorFlow's
// tf.config.list_physical_devices: the CPU and each GPU the CUDA driver
// reports. --device chooses one for predict, train, evaluate and bench.
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"

#include <cinttypes>
#include <thread>

namespace kiln::cli {

int Cli::runDevices() {
  if (int code = checkNoArguments(); code >= 0)
    return code;
  std::printf("cpu      %u threads\n", std::thread::hardware_concurrency());
  kiln_device_info_t gpus[16];
  int32_t count = 0;
  kiln_status_t status = kiln_gpu_devices(gpus, 16, &count);
  if (status) {
    std::printf("(no GPU: %s)\n", kiln_status_message(status));
    kiln_status_free(status);
  }
  for (int32_t i = 0; i < count && i < 16; ++i) {
    const kiln_device_info_t &gpu = gpus[i];
    std::printf("gpu:%-4d %s, compute capability %d.%d, %d multiprocessors, "
                "%.1f GiB, CUDA driver %d.%d\n",
                gpu.index, gpu.name, gpu.compute_major, gpu.compute_minor,
                gpu.multiprocessors,
                static_cast<double>(gpu.memory_bytes) / (1 << 30),
                gpu.driver_version / 1000, gpu.driver_version % 1000 / 10);
  }
  std::printf("this model: %s\n",
              desc->cuda ? "CPU and GPU code (--device cpu|gpu|gpu:N)"
                         : "CPU code only (compiled without --target cuda)");
  return kExitOk;
}

int Cli::placeModel(kiln_model_t *model) const {
  std::string chosen = device;
  if (chosen.empty()) {
    if (!desc->cuda)
      return -1; // CPU code only: nothing to choose or say
    int32_t count = 0;
    kiln_status_t status = kiln_gpu_devices(nullptr, 0, &count);
    if (status) {
      std::fprintf(stderr, "device: cpu (%s)\n", kiln_status_message(status));
      kiln_status_free(status);
      return -1;
    }
    chosen = count > 0 ? "gpu:0" : "cpu";
  }
  if (kiln_status_t status = kiln_model_set_device(model, chosen.c_str()))
    return runtimeError(status);
  if (desc->cuda || chosen != "cpu")
    std::fprintf(stderr, "device: %s\n", kiln_model_device(model));
  return -1;
}

} // namespace kiln::cli
