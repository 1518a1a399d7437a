//===- Cli.cpp - The command line of a compiled model -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_cli_main` is the whole program behind a compiled model's executable
// (main.cpp only passes it `kiln_model_descriptor`). It lives in the runtime
// library, apart from `main`, so tests can drive it with a fake descriptor.
//
//   ./model summary                         Keras's model.summary() table
//   ./model info                            inputs, outputs, parameters
//   ./model predict --input x.npy ... --output y.npy ... [--batch-size N]
//                   [--weights FILE]
//   ./model train --data SPEC [--validation-data SPEC] [--epochs N] ...
//                 [--logdir DIR [--log-every N] [--histogram-freq N]]
//   ./model evaluate --data SPEC [--batch-size N] [--weights FILE] ...
//   ./model bench [--entry predict|train_step] [--batch-size N] [--json]
//                 [--warmup N] [--iterations N | --seconds S]
// train and evaluate read a TFRecord file of tf.train.Example records as
// --data FILE with --features SPEC (per input) and --label SPEC (per target).
//
// Exit codes: 0 success, 1 runtime error ("error: <status message>"), 2 usage
// error (message plus a hint to run --help). predict reads every input before
// running and writes every output to a temporary file before renaming any,
// so a failure never leaves a half-written output behind; train writes its
// history and weights files atomically. train and evaluate need a model
// compiled with a loss (`kiln_model_desc_t::training`).
//
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace kiln::cli {

int Cli::run() {
  if (args.empty()) {
    printUsage(stderr);
    return kExitUsage;
  }
  // --threads and --device belong to the commands that run the model;
  // summary, info and devices refuse them as unexpected arguments.
  bool runsModel = args[0] == "predict" || args[0] == "train" ||
                   args[0] == "evaluate" || args[0] == "bench" ||
                   args[0] == "serve";
  // --threads N: the team of the compiled code's parallel loops
  // (kiln_set_num_threads); serve's are its I/O threads.
  for (size_t i = 1; runsModel && args[0] != "serve" && i < args.size(); ++i) {
    if (args[i] != "--threads")
      continue;
    if (i + 1 == args.size())
      return usageError(args[0] + ": --threads needs a value");
    int64_t threads = 0;
    if (int code = parseInteger({args[i], args[i + 1]}, 1, 4096,
                                "a positive integer", threads);
        code >= 0)
      return code;
    kiln_set_num_threads(static_cast<int32_t>(threads));
    args.erase(args.begin() + i, args.begin() + i + 2);
    break;
  }
  // --device cpu|gpu|gpu:N.
  for (size_t i = 1; runsModel && i < args.size(); ++i) {
    if (args[i] != "--device")
      continue;
    if (i + 1 == args.size())
      return usageError(args[0] + ": --device needs a value");
    device = args[i + 1];
    args.erase(args.begin() + i, args.begin() + i + 2);
    break;
  }
  const std::string &command = args[0];
  if (command == "-h" || command == "--help") {
    printUsage(stdout);
    return kExitOk;
  }
  if (command == "summary")
    return runSummary();
  if (command == "info")
    return runInfo();
  if (command == "predict")
    return runPredict();
  if (command == "train")
    return runTrain();
  if (command == "evaluate")
    return runEvaluate();
  if (command == "bench")
    return runBench();
  if (command == "devices")
    return runDevices();
  if (command == "serve")
    return runServe();
  if (!command.empty() && command[0] == '-')
    return usageError("unknown option '" + command + "'");
  return usageError("unknown command '" + command + "'");
}

void Cli::printUsage(FILE *stream) const {
  std::fprintf(
      stream,
      "usage: %s <command> [options]\n"
      "\n"
      "Runs the compiled model \"%s\" (%" PRId64 " input(s), %" PRId64
      " output(s)).\n"
      "\n"
      "commands:\n"
      "  summary           print the model.summary() table\n"
      "  info              print the inputs, outputs and parameters with "
      "their shapes,\n"
      "                    and the loss, optimizer and logs of training\n"
      "  predict           run the model on .npy inputs, write .npy "
      "outputs\n"
      "  train             train the model (Keras's model.fit)\n"
      "  evaluate          compute the loss and metrics on a dataset "
      "(model.evaluate)\n"
      "  bench             time the compiled predict or train step on "
      "synthetic data\n"
      "  devices           list the CPU and the GPUs the model can run on\n"
      "  serve             answer TensorFlow Serving's REST API "
      "(predict, metadata)\n"
      "%s"
      "\n"
      "predict options:\n"
      "  --input FILE      a .npy input; give one per model input, in "
      "order\n"
      "  --output FILE     a .npy output; give one per model output, in "
      "order\n"
      "  --batch-size N    samples per call of the compiled code (default "
      "32)\n"
      "  --weights FILE    load parameters from a weights file first\n"
      "\n"
      "A model with an output that has no batch dimension (reduced over the\n"
      "batch, like a loss) runs once on all the samples; one with no dynamic\n"
      "batch at all, once on inputs of exactly its shapes.\n"
      "Inputs of other dtypes are converted to each input's dtype, exactly\n"
      "(ids must be integers, bools 0 or 1); each output is written in its\n"
      "dtype (float32, int32, int64 or bool; see info), atomically.\n"
      "\n"
      "train options:\n"
      "  --data SPEC               training data (required; see below)\n"
      "  --validation-data SPEC    evaluated after every epoch (val_* "
      "logs)\n"
      "  --epochs N                the final epoch index (default 1)\n"
      "  --batch-size N            samples per step (default 32)\n"
      "  --shuffle, --no-shuffle   reshuffle the data every epoch (default "
      "on)\n"
      "  --seed S                  shuffle seed (default: random, or the "
      "resumed one)\n"
      "  --shuffle-buffer N        shuffle through a buffer of N samples, "
      "as tf.data's\n"
      "                            dataset.shuffle(N) (default: the whole "
      "dataset for\n"
      "                            .npy/.npz/IDX data, 10000 for TFRecord "
      "data)\n"
      "  --prefetch N              batches read ahead on a background "
      "thread (default 2)\n"
      "  --drop-remainder          drop each pass's last, partial batch "
      "(every step\n"
      "                            sees --batch-size samples)\n"
      "  --steps-per-epoch K       batches per epoch (default: one pass "
      "over the data); as\n"
      "                            in Keras's fit, an epoch ends early when "
      "its pass over\n"
      "                            the data runs out, and the next starts a "
      "new pass\n"
      "  --repeat                  with --steps-per-epoch, repeat the data "
      "without end\n"
      "                            (tf.data's repeat()): every epoch runs K "
      "steps, across\n"
      "                            passes\n"
      "  --initial-epoch E         run epochs E+1..N (default 0, or the "
      "resumed epoch;\n"
      "                            an explicit E, 0 too, wins over the "
      "checkpoint's)\n"
      "  --learning-rate X         override the compiled learning rate\n"
      "  --history FILE            write history.history as JSON after "
      "every epoch (after\n"
      "                            its checkpoint); NaN and infinite "
      "values are null\n"
      "  --save-weights FILE       write a weights file at the end\n"
      "  --checkpoint FILE         write a weights file after every epoch\n"
      "  --checkpoint-best         with --checkpoint, write it only when the "
      "monitored\n"
      "                            log improves (Keras's "
      "save_best_only=True)\n"
      "  --checkpoint-monitor LOG  the log --checkpoint-best watches "
      "(default val_loss;\n"
      "                            direction as mode=auto below)\n"
      "  --resume FILE             load a weights file (parameters, "
      "optimizer state,\n"
      "                            iteration, epoch) and continue; a "
      "checkpoint written\n"
      "                            with the callbacks below also restores "
      "their best\n"
      "                            values, wait/cooldown counters, "
      "best weights and the\n"
      "                            reduced learning rate (unless "
      "--learning-rate is\n"
      "                            given); --csv-log and --history continue "
      "with the\n"
      "                            checkpoint's earlier epochs (later ones, "
      "from a run\n"
      "                            that got further, are written again)\n"
      "  --early-stopping SPEC     Keras's EarlyStopping; SPEC is MONITOR "
      "or key=value,...\n"
      "                            with monitor (val_loss), patience (0), "
      "min_delta (0),\n"
      "                            mode (auto|min|max), baseline (none), "
      "start_from_epoch\n"
      "                            (0), restore_best_weights (false), "
      "verbose (0). An epoch\n"
      "                            improves when value-|min_delta| beats "
      "the best (the\n"
      "                            first always does); training stops once "
      "patience\n"
      "                            epochs in a row did not (not in epoch 1); "
      "a missing log\n"
      "                            warns once and never stops\n"
      "  --reduce-lr-on-plateau SPEC  Keras's ReduceLROnPlateau: monitor "
      "(val_loss),\n"
      "                            factor (0.1), patience (10), min_delta "
      "(1e-4),\n"
      "                            cooldown (0), min_lr (0), mode (auto), "
      "verbose (0);\n"
      "                            the new rate trains the next epoch; adds "
      "the log\n"
      "                            learning_rate (the rate of the epoch)\n"
      "  --csv-log FILE            Keras's CSVLogger: epoch (0-based) and "
      "the sorted logs\n"
      "                            per row (val_* columns hold NA without "
      "validation\n"
      "                            data), CRLF line ends\n"
      "  --terminate-on-nan        stop after a step whose loss is NaN or "
      "infinite\n"
      "                            (\"Batch N: Invalid loss, terminating "
      "training\")\n"
      "  --logdir DIR              write TensorBoard event files to "
      "DIR/train and\n"
      "                            DIR/validation: epoch_loss, "
      "epoch_<metric>,\n"
      "                            epoch_learning_rate at step = epoch "
      "(0-based); a failed\n"
      "                            write (full disk) warns once, keeps the "
      "file's complete\n"
      "                            records and stops the log, not the "
      "training\n"
      "  --log-every N             with --logdir, also batch_loss, "
      "batch_<metric>\n"
      "                            every N steps (step = iteration)\n"
      "  --histogram-freq N        with --logdir, parameter histograms "
      "every N epochs\n"
      "  --verbose 0|1|2           0 silent, 1 progress bar, 2 one line "
      "per epoch (default 1)\n"
      "mode=auto: loss, val_loss, <output>_loss and error metrics (mse, "
      "mae, hinge,\n"
      "crossentropies, ...) decrease, accuracies and cosine_similarity "
      "increase;\n"
      "other logs need mode=min or mode=max. "
      "Callbacks run in the\n"
      "order TensorBoard, TerminateOnNaN, EarlyStopping, ReduceLROnPlateau, "
      "checkpoint,\n"
      "CSV log, progress bar, history.\n"
      "\n"
      "evaluate options:\n"
      "  --data SPEC               the data (required)\n"
      "  --batch-size N            samples per step (default 32)\n"
      "  --weights FILE            load a weights file first\n"
      "  --verbose 0|1|2           1 progress bar, 2 final line, 0 one "
      "'name: value'\n"
      "                            line per log (default 1)\n"
      "  --features, --label       as for train\n"
      "  --skip-corrupt            as for train\n"
      "\n"
      "Every command takes --threads N: threads for the compiled code's "
      "parallel loops\n"
      "(default: KILN_NUM_THREADS, else every core); results are the same "
      "for any N.\n"
      "predict, train, evaluate, bench and serve take --device "
      "cpu|gpu|gpu:N "
      "(default: the\n"
      "first GPU the model's PTX runs on when it was compiled with --target "
      "cuda,\n"
      "else the CPU; a line on stderr says which runs).\n"
      "\n"
      "serve options (TensorFlow Serving's flags; --flag=value works too):\n"
      "  --rest_api_port N         the port (default 8501; 0: any free one, "
      "printed);\n"
      "                            alias --port\n"
      "  --host ADDR               the address to listen on (default "
      "0.0.0.0)\n"
      "  --model_name NAME         the NAME of /v1/models/NAME (default: "
      "the model's)\n"
      "  --model_base_path DIR     serve the highest DIR/<version>/ holding "
      "one *.kw\n"
      "                            weights file, and pick up newer ones "
      "(the highest left\n"
      "                            when it is deleted; default: the "
      "compiled weights,\n"
      "                            as version 1)\n"
      "  --file_system_poll_wait_seconds S  how often DIR is scanned "
      "(default 1; 0: never)\n"
      "  --threads N               I/O threads, each predicting on one core "
      "(default:\n"
      "                            every core); alias --rest_api_num_threads\n"
      "  --rest_api_timeout_in_ms MS  deadline to read a request and to "
      "write a reply\n"
      "                            (default 30000)\n"
      "  --enable_batching         merge concurrent predict requests into "
      "one call\n"
      "  --max_batch_size N        rows per merged call (default 32)\n"
      "  --batch_timeout_micros N  wait for more requests this long after "
      "the first\n"
      "                            (default 1000)\n"
      "  --max_enqueued_batches N  refuse (503) beyond N batches of rows "
      "waiting\n"
      "                            (default 16)\n"
      "  --max_request_bytes N     larger bodies are refused with 413 "
      "(default 64 MiB)\n"
      "  --max_connections N       more are refused with 503 (default "
      "1024)\n"
      "  --verbose                 an access-log line per request on "
      "stderr\n"
      "SIGINT/SIGTERM stop accepting and answer the requests in flight "
      "first.\n"
      "\n"
      "bench options (synthetic inputs made before timing; no file I/O):\n"
      "  --entry predict|train_step  the entry to time (default predict)\n"
      "  --batch-size N            samples per call (default 1 for predict, "
      "32 for\n"
      "                            train_step)\n"
      "  --warmup N                untimed calls first (default 10)\n"
      "  --iterations N            timed calls; or\n"
      "  --seconds S               time calls for S seconds, at least 10 "
      "(default 1)\n"
      "  --json                    one JSON object: entry, batch_size, "
      "threads,\n"
      "                            iterations, latency_ms {min, p50, p90, "
      "p99},\n"
      "                            samples_per_second\n"
      "\n"
      "SPEC: x.npy,y.npy (the model's inputs then its targets, one .npy "
      "each);\n"
      "data.npz (arrays x and y, or x0.. and y0..); or MNIST IDX files\n"
      "images-idx3-ubyte,labels-idx1-ubyte. Any file may be gzipped. "
      "Arrays of\n"
      "any numeric dtype become float32; IDX bytes of inputs and of image "
      "targets\n"
      "(rank >= 2) are scaled to [0, 1], rank-1 IDX labels and .npy/.npz "
      "bytes are\n"
      "not. An input's sample shape must be the model input's (up to a "
      "trailing 1,\n"
      "as Keras): data is never reshaped. A target's must be the target's "
      "up to\n"
      "dimensions of 1 ((N,) feeds (None, 1)).\n"
      "\n"
      "TFRecord data: --data FILE.tfrecord[.gz] (also --validation-data) "
      "with\n"
      "  --features SPEC           one per model input, in order\n"
      "  --label SPEC              one per model target, in order\n"
      "  --skip-corrupt            skip records that are corrupt or do not "
      "decode into\n"
      "                            a sample (tf.data's ignore_errors), with "
      "a warning of\n"
      "                            the records and bytes skipped; after a "
      "corrupt length\n"
      "                            the rest of the file is dropped, and "
      "said so\n"
      "Feature specs apply to the TFRecord file of a run: .npy training data "
      "may have\n"
      "TFRecord validation data, and the other way round.\n"
      "where SPEC is name:float32|int64[d0,d1,...][=default] "
      "(tf.train.Example\n"
      "features, FixedLenFeature semantics; shape [] or none: a scalar; "
      "int64\n"
      "becomes float32; the default fills records without the feature), "
      "e.g.\n"
      "  --features 'image:float32[28,28]' --label 'label:int64'\n"
      "or name:varlen(float32|int64)[d0,...][=pad] (VarLenFeature: up to "
      "d0*...\n"
      "values, padded at the end with pad, default 0; more is an error), "
      "e.g.\n"
      "  --features 'tokens:varlen(int64)[16]'\n"
      "TFRecord data streams: the file is checked once when opened, then "
      "re-read\n"
      "every epoch; memory holds the shuffle buffer and the prefetched "
      "batches,\n"
      "not the file (--no-shuffle streams in file order).\n"
      "\n"
      "options:\n"
      "  -h, --help        print this help (also after a command)\n"
      "\n"
      "exit status: 0 success, 1 runtime error, 2 usage error\n",
      program, desc->name ? desc->name : "", desc->num_inputs,
      desc->num_outputs,
      desc->train_unavailable
          ? (desc->training ? "  (train is unavailable: see ./model train)\n"
                            : "  (train and evaluate are unavailable: see "
                              "./model train)\n")
      : desc->training ? ""
                       : "  (this model was compiled without a loss: train "
                         "and evaluate are unavailable)\n");
}

} // namespace kiln::cli

extern "C" int kiln_cli_main(const kiln_model_desc_t *desc, int argc,
                             char **argv) {
  if (!desc) {
    std::fputs("error: no model descriptor\n", stderr);
    return kiln::cli::kExitError;
  }
  return kiln::cli::Cli(desc, argc, argv).run();
}
