//===- Devices.cpp - ./model devices and --device ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model devices` lists where the model can run, like TensorFlow's
// tf.config.list_physical_devices: the CPU and each GPU the CUDA driver
// reports. --device chooses one for predict, train, evaluate and bench.
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"
#include "gpu/Launch.h"

#include <algorithm>
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
  kiln_device_info_t gpus[gpu::kMaxDevices];
  int32_t count = 0;
  kiln_status_t status = kiln_gpu_devices(gpus, gpu::kMaxDevices, &count);
  if (status) {
    std::fprintf(stderr, "device: cpu (%s)\n", kiln_status_message(status));
    kiln_status_free(status);
    return "";
  }
  if (count == 0)
    return "cpu";
  // The first GPU this binary's PTX runs on, as TensorFlow skips GPUs
  // older than it supports.
  count = std::min<int32_t>(count, gpu::kMaxDevices);
  for (int32_t i = 0; i < count; ++i)
    if (gpu::runsOn(desc->cuda, gpus[i].compute_major, gpus[i].compute_minor))
      return "gpu:" + std::to_string(i);
  std::string which;
  for (int32_t i = 0; i < count; ++i)
    which += std::string(i ? "; " : "") + "gpu:" + std::to_string(i) + " " +
             gpus[i].name + " has compute capability " +
             std::to_string(gpus[i].compute_major) + "." +
             std::to_string(gpus[i].compute_minor);
  std::fprintf(stderr,
               "device: cpu (%s, and model '%s' carries PTX for %s only: "
               "kiln compile --gpu-arch sm_%d%d,...)\n",
               which.c_str(), desc->name ? desc->name : "",
               gpu::ptxArchitectures(desc->cuda).c_str(), gpus[0].compute_major,
               gpus[0].compute_minor);
  return "";
}

int Cli::placeModel(kiln_model_t *model) const {
  std::string chosen = chooseDevice();
  if (chosen.empty())
    return -1;
  if (kiln_status_t status = kiln_model_set_device(model, chosen.c_str())) {
    if (!device.empty())
      return runtimeError(status); // asked for: an error, never a fallback
    // The GPU chosen cannot run the model after all (no context, no
    // memory): the CPU, saying why, as without a driver.
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
