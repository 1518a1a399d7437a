// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(gpu.module(kiln-cuda-check-barriers))' --verify-diagnostics
// Every kernel kiln-cuda-map-to-gpu makes passes (the kiln-cuda-check-barriers
// pass runs in buildCudaMappingPipeline, after the mapping): the CNN's and
// the embedding's, with their tiled products, shared sums and block loop,
// and the CNN's tensor-core products.
// RUN: kiln compile %S/../../../examples/fashion_mnist_cnn.json --target cuda --emit mlir --stage gpu -o /dev/null
// RUN: kiln compile %S/../../e2e/Inputs/keras3-embedding/emb.keras --target cuda --emit mlir --stage gpu -o /dev/null
// RUN: kiln compile %S/../../../examples/fashion_mnist_cnn.json --target cuda --gpu-precision bf16 --emit mlir --stage gpu -o /dev/null

// Uniform control flow: a loop over steps counted from the arguments, a
// branch on the block id and on a value read from global memory at the
// same place in every thread, a loop-carried step, a branch on a value
// read from shared memory.
gpu.module @kernels {
  gpu.func @uniform(%n: index, %flags: memref<?xi32>) workgroup(%tile: memref<64xf32, #gpu.address_space<workgroup>>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %zero = arith.constant 0.0 : f32
    %t = gpu.thread_id x
    %block = gpu.block_id x
    %steps = arith.ceildivui %n, %c16 : index
    %last = scf.for %k = %c0 to %steps step %c1 iter_args(%step = %c0) -> (index) {
      %in = arith.cmpi ult, %t, %c16 : index
      scf.if %in {
        memref.store %zero, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      %next = arith.addi %step, %c16 : index
      scf.yield %next : index
    }
    %odd = arith.remui %block, %c1 : index
    %first = arith.cmpi eq, %odd, %c0 : index
    scf.if %first {
      gpu.barrier
    }
    %flag = memref.load %flags[%block] : memref<?xi32>
    %zero32 = arith.constant 0 : i32
    %set = arith.cmpi ne, %flag, %zero32 : i32
    scf.if %set {
      gpu.barrier
    }
    %bound = scf.for %i = %c0 to %last step %c16 iter_args(%acc = %c0) -> (index) {
      gpu.barrier
      scf.yield %i : index
    }
    %s = memref.load %tile[%c0] : memref<64xf32, #gpu.address_space<workgroup>>
    %pos = arith.cmpf ogt, %s, %zero : f32
    scf.if %pos {
      gpu.barrier
    }
    gpu.return
  }
}

// -----

// Only the first thread of the block reaches the barrier.
gpu.module @kernels {
  gpu.func @first_thread_only() kernel {
    %c0 = arith.constant 0 : index
    %t = gpu.thread_id x
    %first = arith.cmpi eq, %t, %c0 : index
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %first {
      // expected-error @+1 {{not every thread of the block reaches this barrier: the ones that do would wait for the others forever}}
      gpu.barrier
    }
    gpu.return
  }
}

// -----

// A loop whose trip count differs between threads (thread t's elements of
// a strided loop): the last ones run fewer rounds.
gpu.module @kernels {
  gpu.func @strided_rounds(%n: index) kernel {
    %c256 = arith.constant 256 : index
    %t = gpu.thread_id x
    // expected-note @+1 {{'scf.for' here depends on the thread}}
    scf.for %i = %t to %n step %c256 {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    gpu.return
  }
}

// -----

// A value read from a thread's own memory (a register tile) differs, and
// so does a result chosen by a branch on the thread.
gpu.module @kernels {
  gpu.func @private_and_chosen(%x: f32) kernel {
    %c0 = arith.constant 0 : index
    %zero = arith.constant 0.0 : f32
    %t = gpu.thread_id x
    %regs = memref.alloca() : memref<4xf32>
    memref.store %x, %regs[%c0] : memref<4xf32>
    %r = memref.load %regs[%c0] : memref<4xf32>
    %pos = arith.cmpf ogt, %r, %zero : f32
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %pos {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    %first = arith.cmpi eq, %t, %c0 : index
    %v = scf.if %first -> (f32) {
      scf.yield %x : f32
    } else {
      scf.yield %zero : f32
    }
    %chosen = arith.cmpf ogt, %v, %zero : f32
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %chosen {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    gpu.return
  }
}

// -----

// A loop-carried value that becomes the thread id on the second round.
gpu.module @kernels {
  gpu.func @carried(%n: index) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %t = gpu.thread_id x
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%v = %c0) -> (index) {
      scf.yield %t : index
    }
    // expected-note @+1 {{'scf.for' here depends on the thread}}
    scf.for %j = %c0 to %r step %c1 {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    gpu.return
  }
}

// -----

// The tensor cores' mma.sync, which the 32 threads of a warp execute
// together, under a branch on the thread.
gpu.module @kernels {
  gpu.func @mma_in_some_threads(%a: i32, %b: i32) kernel {
    %c16 = arith.constant 16 : index
    %zero = arith.constant 0.0 : f32
    %t = gpu.thread_id x
    %few = arith.cmpi ult, %t, %c16 : index
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %few {
      // expected-error @+1 {{not every thread of the block reaches this warp-wide mma.sync, which all 32 threads of a warp must execute together}}
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%zero, %zero, %zero, %zero] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    }
    gpu.return
  }
}

// -----

// A loop-carried value that becomes the thread's on the second round (u +
// t yielded): both barriers are reached by some threads only, whichever
// is checked first.
gpu.module @kernels {
  gpu.func @carried_in_two_rounds(%n: index) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %t = gpu.thread_id x
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%u = %c0) -> (index) {
      %a = arith.addi %u, %t : index
      %ca = arith.cmpi eq, %a, %c0 : index
      // expected-note @+1 {{'scf.if' here depends on the thread}}
      scf.if %ca {
        // expected-error @+1 {{not every thread of the block reaches this barrier}}
        gpu.barrier
      }
      %cu = arith.cmpi eq, %u, %c0 : index
      // expected-note @+1 {{'scf.if' here depends on the thread}}
      scf.if %cu {
        // expected-error @+1 {{not every thread of the block reaches this barrier}}
        gpu.barrier
      }
      scf.yield %a : index
    }
    gpu.return
  }
}

// -----

// Other values of each thread's own: its global id, its warp, NVVM's
// thread id register, an atomic's old value.
gpu.module @kernels {
  gpu.func @other_sources(%n: index, %count: memref<1xi32>) kernel {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : i32
    %zero = arith.constant 0 : i32
    %g = gpu.global_id x
    %in = arith.cmpi ult, %g, %n : index
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %in {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    %old = memref.atomic_rmw addi %one, %count[%c0] : (i32, memref<1xi32>) -> i32
    %first = arith.cmpi eq, %old, %zero : i32
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %first {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    %w = gpu.subgroup_id : index
    %w0 = arith.cmpi eq, %w, %c0 : index
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %w0 {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    %tid = nvvm.read.ptx.sreg.tid.x : i32
    %t0 = arith.cmpi eq, %tid, %zero : i32
    // expected-note @+1 {{'scf.if' here depends on the thread}}
    scf.if %t0 {
      // expected-error @+1 {{not every thread of the block reaches this barrier}}
      gpu.barrier
    }
    gpu.return
  }
}
