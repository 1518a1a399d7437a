// RUN: kiln-opt %s --kiln-approximate-math | FileCheck %s \
// RUN:   --implicit-check-not=math.tanh --implicit-check-not=math.exp \
// RUN:   --implicit-check-not=math.log

// tanh, exp, expm1, log and log1p become FMA polynomials on scalars and
// vectors alike (a kernel's tail and its vector body agree); erf keeps its
// libm call.
// CHECK-LABEL: func.func @approximated
// CHECK:         math.fma {{.+}} : vector<16xf32>
// CHECK:         math.erf {{.+}} : vector<16xf32>
// CHECK:         return
func.func @approximated(%v: vector<16xf32>, %s: f32) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, f32, f32, vector<16xf32>) {
  %0 = math.tanh %v : vector<16xf32>
  %1 = math.exp %v : vector<16xf32>
  %2 = math.expm1 %v : vector<16xf32>
  %3 = math.log %s : f32
  %4 = math.log1p %s : f32
  %5 = math.erf %v : vector<16xf32>
  return %0, %1, %2, %3, %4, %5 : vector<16xf32>, vector<16xf32>, vector<16xf32>, f32, f32, vector<16xf32>
}
