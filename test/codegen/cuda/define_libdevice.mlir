// RUN: kiln-opt %s --pass-pipeline='builtin.module(gpu.module(kiln-cuda-define-libdevice))' | FileCheck %s

// The libdevice functions upstream's NVVM conversion calls get bodies of
// the NVPTX intrinsics (internal: inlined, nothing called); one kiln does
// not know, or of an unexpected type or number of arguments, stays a
// declaration for the driver's PTX check to name. fmod is not known: NVPTX
// expands frem as x - trunc(x / y) * y, not fmod's exact remainder.
// CHECK-LABEL: gpu.module @kernels
// CHECK:       llvm.func internal @__nv_floorf(%[[X:.+]]: f32) -> f32 {
// CHECK-NEXT:    %[[R:.+]] = llvm.intr.floor(%[[X]]) : (f32) -> f32
// CHECK-NEXT:    llvm.return %[[R]] : f32
// CHECK:       llvm.func internal @__nv_fmaf(%[[A:.+]]: f32, %[[B:.+]]: f32, %[[C:.+]]: f32) -> f32 {
// CHECK-NEXT:    %[[F:.+]] = llvm.intr.fma(%[[A]], %[[B]], %[[C]]) : (f32, f32, f32) -> f32
// CHECK:       llvm.func internal @__nv_sqrt(%{{.+}}: f64) -> f64 {
// CHECK-NEXT:    llvm.intr.sqrt
// CHECK:       llvm.func internal @__nv_rsqrtf(%[[Y:.+]]: f32) -> f32 {
// CHECK:         %[[ONE:.+]] = llvm.mlir.constant(1.000000e+00 : f32) : f32
// CHECK:         %[[S:.+]] = llvm.intr.sqrt(%[[Y]])
// CHECK:         llvm.fdiv %[[ONE]], %[[S]]
// CHECK:       llvm.func @__nv_expf(f32) -> f32
// CHECK:       llvm.func @__nv_fabsf(i32) -> i32
// CHECK:       llvm.func @__nv_copysignf(f32) -> f32
// CHECK:       llvm.func @__nv_floor(f64, f64) -> f64
// CHECK:       llvm.func @__nv_fmodf(f32, f32) -> f32
gpu.module @kernels {
  llvm.func @__nv_floorf(f32) -> f32
  llvm.func @__nv_fmaf(f32, f32, f32) -> f32
  llvm.func @__nv_sqrt(f64) -> f64
  llvm.func @__nv_rsqrtf(f32) -> f32
  llvm.func @__nv_expf(f32) -> f32
  llvm.func @__nv_fabsf(i32) -> i32
  llvm.func @__nv_copysignf(f32) -> f32
  llvm.func @__nv_floor(f64, f64) -> f64
  llvm.func @__nv_fmodf(f32, f32) -> f32
}
