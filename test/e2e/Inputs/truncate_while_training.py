"""Truncates a TFRecord file while a compiled model trains from it.

Usage: truncate_while_training.py MODEL DATA.tfrecord

Starts `MODEL train` on DATA (features x:float32[4], label y:float32[3]) with
one-sample steps and endless epochs, so that it is reading the file in the
middle of a pass; after half a second it stops the process (SIGSTOP), cuts
the file to half its size, and lets it go on (SIGCONT). Prints "exit N" (or
"signal NAME" when the process died of one: a memory-mapped reader died of
SIGBUS here) and the process's stderr.
"""
import os
import signal
import subprocess
import sys
import time


def main():
    model, data = sys.argv[1], sys.argv[2]
    child = subprocess.Popen(
        [model, "train", "--data", data, "--features", "x:float32[4]",
         "--label", "y:float32[3]", "--epochs", "100000000",
         "--steps-per-epoch", "1", "--batch-size", "1", "--no-shuffle",
         "--verbose", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    if child.poll() is not None:
        print("ended early:", child.returncode)
        sys.stdout.write(child.stderr.read().decode())
        return
    child.send_signal(signal.SIGSTOP)
    os.truncate(data, os.path.getsize(data) // 2)
    child.send_signal(signal.SIGCONT)
    try:
        _, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        print("timeout: still training after the cut")
        return
    code = child.returncode
    print("exit %d" % code if code >= 0
          else "signal %s" % signal.Signals(-code).name)
    sys.stdout.write(err.decode())


if __name__ == "__main__":
    main()
