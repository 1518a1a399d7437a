// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="precision=tf32" --canonicalize --cse | FileCheck %s --check-prefix=TF32
// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="precision=bf16" --canonicalize --cse | FileCheck %s --check-prefix=BF16
// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="precision=tf32 host-loops=true" --canonicalize --cse | FileCheck %s --check-prefix=HOST

// precision=tf32|bf16 (kiln compile --gpu-precision): the tiled product
// rounds A and B as it stages them (in a kernel with the conversion
// instructions: cvt.rna.tf32.f32; on the host with integer arithmetic on
// the bits, which rounds the same way: for TF32, +0x1000, then the low 13
// bits cleared; a NaN made quiet instead), and each of the 8 warps multiplies
// its 32 x 16 part of the 64 x 64 tile with mma.sync: 2 x 2 blocks of
// 16 x 8, over 2 steps of 8 (TF32) or 1 step of 16 (BF16) per staged 16.
// The tiles' rows are padded (72 and 68 floats) against bank conflicts;
// each holds two staged steps (double buffering: 32 rows).
// TF32-LABEL:  gpu.func @tiled_matmul
// TF32-SAME:     workgroup(%[[A:.+]] : memref<32x72xf32, #gpu.address_space<workgroup>>, %[[B:.+]] : memref<32x72xf32, #gpu.address_space<workgroup>>)
// TF32:          %[[CVT:.+]] = nvvm.convert.float.to.tf32 %{{.+}} {rnd = #nvvm.fp_rnd_mode<rna>}
// TF32:          %[[ROUNDED:.+]] = arith.bitcast %[[CVT]] : i32 to f32
// TF32:          memref.store %[[ROUNDED]], %[[A]]
// TF32:          gpu.barrier
// TF32:          scf.for %{{.+}} iter_args({{.*}}, %[[BASE:.+]] = %c0) ->
// A's registers: (k t, row g), (t, g + 8), (t + 4, g), (t + 4, g + 8) of
// the warp's rows, k counted from the staged step's first row; B's:
// (t, column g), (t + 4, g).
// TF32:          %[[WARP:.+]] = arith.divui %thread_id_x, %c32 : index
// TF32:          %[[LANE:.+]] = arith.remui %thread_id_x, %c32 : index
// TF32:          %[[G:.+]] = arith.divui %[[LANE]], %c4 : index
// TF32:          %[[T:.+]] = arith.remui %[[LANE]], %c4 : index
// TF32:          %[[ROW:.+]] = arith.addi %{{.+}}, %[[G]] : index
// TF32:          %[[K:.+]] = arith.addi %[[BASE]], %[[T]] : index
// TF32:          memref.load %[[A]][%[[K]], %[[ROW]]]
// TF32:          %[[ROW8:.+]] = arith.addi %[[ROW]], %c8 : index
// TF32:          memref.load %[[A]][%[[K]], %[[ROW8]]]
// TF32:          %[[K4:.+]] = arith.addi %[[K]], %c4 : index
// TF32:          memref.load %[[A]][%[[K4]], %[[ROW]]]
// TF32:          memref.load %[[A]][%[[K4]], %[[ROW8]]]
// TF32-COUNT-8:  nvvm.mma.sync A[{{.+}}]  B[{{.+}}]  C[{{.+}}]  {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// TF32-NOT:      nvvm.mma.sync
// TF32:          gpu.barrier
// TF32-NOT:      math.fma

// With BF16, two elements a register, the lower k in the low half (rounded, so
// its low 16 bits are zero); a kernel rounds to nearest even with a
// truncation to bf16 (cvt.rn.bf16.f32) and back.
// BF16-LABEL:  gpu.func @tiled_matmul
// BF16-SAME:     workgroup(%[[A:.+]] : memref<32x68xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x68xf32, #gpu.address_space<workgroup>>)
// BF16:          %[[HALF:.+]] = arith.truncf %{{.+}} : f32 to bf16
// BF16:          %[[WIDE:.+]] = arith.extf %[[HALF]] : bf16 to f32
// BF16:          memref.store %[[WIDE]], %[[A]]
// BF16:          gpu.barrier
// BF16:          %[[T2:.+]] = arith.muli %{{.+}}, %c2 : index
// BF16:          %[[K:.+]] = arith.addi %{{.+}}, %[[T2]] : index
// BF16:          %[[LOW:.+]] = memref.load %[[A]][%[[K]], %[[ROW:.+]]]
// BF16:          %[[K1:.+]] = arith.addi %[[K]], %c1 : index
// BF16:          %[[HIGH:.+]] = memref.load %[[A]][%[[K1]], %[[ROW]]]
// BF16:          %[[LOWBITS:.+]] = arith.bitcast %[[LOW]] : f32 to i32
// BF16:          %[[SHIFTED:.+]] = arith.shrui %[[LOWBITS]], %c16_i32 : i32
// BF16:          %[[HIGHBITS:.+]] = arith.bitcast %[[HIGH]] : f32 to i32
// BF16:          %[[TOP:.+]] = arith.andi %[[HIGHBITS]], %c-65536_i32 : i32
// BF16:          arith.ori %[[TOP]], %[[SHIFTED]] : i32
// BF16-COUNT-4:  nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// BF16-NOT:      nvvm.mma.sync

// On the host, each lane's fragments (2 steps x 2 blocks x 4 registers of A,
// x 2 of B) go to scratch in one phase; the next phase emulates the
// instruction from the warp's scratch, 8 products per sum and step: 16
// sums x 2 steps x 8 = 256 fused multiply-adds per thread and staged step.
// HOST-LABEL:  func.func @tiled
// HOST-DAG:      memref.alloca() : memref<32x72xf32>
// HOST-DAG:      memref.alloca() : memref<256x16xi32>
// HOST-DAG:      memref.alloca() : memref<256x8xi32>
// HOST-NOT:      gpu.
// HOST-NOT:      nvvm.
// HOST:          %[[BITS:.+]] = arith.bitcast %{{.+}} : f32 to i32
// HOST:          %[[HALF:.+]] = arith.addi %[[BITS]], %c4096_i32 : i32
// HOST:          %[[CUT:.+]] = arith.andi %[[HALF]], %c-8192_i32 : i32
// HOST:          %[[MAG:.+]] = arith.andi %[[BITS]], %c2147483647_i32 : i32
// HOST:          %[[NAN:.+]] = arith.cmpi ugt, %[[MAG]], %c2139095040_i32 : i32
// HOST:          %[[QUIET:.+]] = arith.ori %[[BITS]], %c4194304_i32 : i32
// HOST:          %[[PICK:.+]] = arith.select %[[NAN]], %[[QUIET]], %[[CUT]] : i32
// HOST:          %[[ROUNDED:.+]] = arith.bitcast %[[PICK]] : i32 to f32
// HOST:          memref.store %[[ROUNDED]], %{{.+}} : memref<32x72xf32>
// HOST-NOT:      nvvm.
// HOST-COUNT-256: math.fma
// HOST-NOT:      math.fma
func.func @tiled(%a: memref<?x64xf32>, %b: memref<64x200xf32>, %c: memref<?x200xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x200xf32>) outs(%c : memref<?x200xf32>)
  return
}
