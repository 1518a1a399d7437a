#!/usr/bin/env python3
# ===- check_serve.py - ./model serve against TF Serving's REST API --------===#
# SPDX-License-Identifier: Apache-2.0
#
#   check_serve.py basic|shutdown|versions|batching|multi EXE WORKDIR [ARGS]
#
# Starts `EXE serve --rest_api_port 0` (a free loopback port, read from its
# first line), drives it as TF Serving's users do, and stops it with SIGTERM:
#   basic     status, metadata, the tutorial's `requests` call, the columnar
#             format, against ./model predict bit for bit; malformed JSON,
#             wrong shapes, unknown models, oversized bodies and a stalled
#             client each get their status and the server keeps serving;
#   shutdown  SIGTERM answers a request in flight, then exits 0;
#   versions  --model_base_path: version 2 dropped in while requests run is
#             served without a failed request;
#   batching  --enable_batching: concurrent requests merged into one call,
#             each answered with its own rows;
#   multi     a two-input model: rows of named inputs, named columns.
# Prints what it checked; exits non-zero on the first difference.
# ===----------------------------------------------------------------------===#
import atexit
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import requests

mode, exe, work = sys.argv[1:4]
extra = sys.argv[4:]
servers = []


def give_up(*_):
    sys.exit("check_serve.py %s: still running after 240 s" % mode)


# A hang fails the test instead of holding the suite; no server outlives it.
signal.signal(signal.SIGALRM, give_up)
signal.alarm(240)
atexit.register(lambda: [p.kill() for p in servers if p.poll() is None])


class Server:
    def __init__(self, *flags):
        self.log = open(os.path.join(work, "serve-%s.log" % mode), "w")
        self.proc = subprocess.Popen(
            [exe, "serve", "--rest_api_port", "0", "--host", "127.0.0.1",
             "--verbose", *flags],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        servers.append(self.proc)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.wait(10)
            sys.exit("serve did not start: %r, log: %s" % (
                line, open(self.log.name).read()))
        self.url = line.split()[line.split().index("at") + 1]
        self.port = int(self.url.split(":")[2].split("/")[0])
        self.base = self.url.rsplit("/v1/", 1)[0]

    def stop(self, signalled=False):
        if not signalled:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(20)
        self.log.close()
        text = open(self.log.name).read()
        assert code == 0, (code, text)
        assert "kiln serve: stopped" in text, text
        return text


def post(url, body, **kw):
    return requests.post(url, data=body, **kw)


def expect(response, status, fragment=""):
    assert response.status_code == status, (response.status_code,
                                            response.text)
    body = response.json()
    if status != 200:
        assert set(body) == {"error"}, body
        assert fragment in body["error"], (fragment, body)
    return body


def read_until_closed(sock):
    """Everything the server sends on `sock` until it closes it."""
    sock.settimeout(10)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def exe_predict(inputs, weights=None):
    paths = []
    for i, x in enumerate(inputs):
        paths += ["--input", os.path.join(work, "in%d.npy" % i)]
        np.save(paths[-1], x)
    out = os.path.join(work, "out.npy")
    flags = ["--weights", weights] if weights else []
    subprocess.run([exe, "predict", *paths, "--output", out, *flags],
                   check=True, stdout=subprocess.DEVNULL)
    return np.load(out)


def images(n, seed):
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


def basic():
    server = Server("--max_request_bytes", "200000",
                    "--rest_api_timeout_in_ms", "1500")
    name = server.url.rsplit("/", 1)[1]
    status = expect(requests.get(server.url), 200)
    assert status == {"model_version_status": [{
        "version": "1", "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""}}]}, status
    meta = expect(requests.get(server.url + "/metadata"), 200)
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert meta["model_spec"] == {"name": name, "signature_name": "",
                                  "version": "1"}, meta
    assert sig["inputs"]["input_layer"]["dtype"] == "DT_FLOAT", sig
    dims = [d["size"] for d in sig["inputs"]["input_layer"]["tensor_shape"]["dim"]]
    assert dims == ["-1", "28", "28"], dims
    assert list(sig["outputs"]) == ["dense_1"], sig
    print("status and metadata: version 1, serving_default input_layer "
          "[-1, 28, 28] -> dense_1")

    # The tutorial's request, as TF Serving's documentation writes it.
    test_images = images(3, 1)
    data = json.dumps({"signature_name": "serving_default",
                       "instances": test_images[0:3].tolist()})
    headers = {"content-type": "application/json"}
    json_response = requests.post(server.url + ":predict", data=data,
                                  headers=headers)
    predictions = json.loads(json_response.text)["predictions"]
    expected = exe_predict([test_images])
    assert np.array_equal(np.array(predictions, np.float32), expected)
    # The same by version, and in the columnar format.
    by_version = expect(post(server.url + "/versions/1:predict", data), 200)
    assert by_version["predictions"] == predictions
    columnar = expect(post(server.url + ":predict", json.dumps(
        {"inputs": {"input_layer": test_images.tolist()}})), 200)
    assert columnar["outputs"] == predictions, columnar
    columnar = expect(post(server.url + ":predict", json.dumps(
        {"inputs": test_images.tolist()})), 200)
    assert columnar["outputs"] == predictions, columnar
    print("predict: rows, columns and /versions/1 equal ./model predict "
          "bit for bit")

    # Floats as TF Serving writes them (json_tensor.cc's WriteDecimal):
    # "%g" when it reads back as the same float32, else "%.9g", and ".0"
    # after a whole number. Saturated rows give exact 0s and 1s.
    special = images(2, 5) * 3e4
    special[1, 0, :3] = [np.nan, np.inf, -np.inf]
    body = json.dumps({"instances": special.tolist()})  # NaN, Infinity
    assert "NaN" in body and "-Infinity" in body
    response = post(server.url + ":predict", body)
    assert response.status_code == 200, response.text
    got = np.array(response.json()["predictions"], np.float32)
    expected = exe_predict([special])
    assert np.array_equal(got, expected, equal_nan=True), (got, expected)

    def tf_serving_float(x):
        if np.isnan(x):
            return "NaN"
        if np.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        text = "%g" % x
        if np.float32(float(text)) != x:
            text = "%.9g" % x
        return text if "." in text or "e" in text else text + ".0"

    numbers = re.findall(r"-?Infinity|NaN|-?[0-9][0-9.e+-]*", response.text)
    want = [tf_serving_float(x) for x in expected.ravel()]
    assert numbers == want, (numbers, want)
    whole = sum(1 for t in numbers if t.endswith(".0"))
    assert whole > 0, numbers
    # Integers that float32 cannot hold exactly are refused, as TF Serving
    # refuses them; 2^24 - 1 is the last one it takes.
    row = np.zeros((28, 28)).tolist()
    row[0][0] = 16777215
    expect(post(server.url + ":predict", json.dumps({"instances": [row]})),
           200)
    row[0][0] = -16777217
    expect(post(server.url + ":predict", json.dumps({"instances": [row]})),
           400, "instances[0][0][0]: -16777217 cannot be converted to "
           "DT_FLOAT without loss of precision (integers up to 16777215 in "
           "magnitude)")
    print("numbers: NaN and Infinity in, %d values out as TF Serving writes "
          "them (%d whole ones with .0); -16777217 refused" %
          (len(numbers), whole))

    bad = [
        ("{bad json", 400, "JSON parse error"),
        ('{"instances": [[1, 2]]}', 400,
         "instances[0]: expected a list of 28 values, got 2"),
        ('{"instances": [' + json.dumps(test_images[0].tolist()) + ', 7]}',
         400, "instances[1]: expected a list of 28 values, got a number"),
        ('{"inputs": [[["x"]]]}', 400, "expected a list of 28 values"),
        ('{"instances": []}', 400, "'instances' is an empty list"),
        ('{"instances": [], "inputs": []}', 400, "both"),
        ('{"foo": 1}', 400, "Missing 'inputs' or 'instances' key"),
        ('{"signature_name": "other", "instances": [1]}', 400,
         'Serving signature name: "other" not found'),
        ('[1, 2]', 400, "must be a JSON object"),
        ('{"inputs": {"image": []}}', 400, "no input named 'image'"),
        ('{"instances": [[[NaNa] * 28] * 28]}', 400, "JSON parse error"),
        ('{"signature_name": Infinity, "instances": [1]}', 400,
         "'signature_name' must be a string, got a non-finite number"),
        (json.dumps({"instances": [[[-1e39] * 28] * 28]}), 400,
         "instances[0][0][0]: -1e+39 is outside DT_FLOAT's range (at most "
         "3.40282e+38 in magnitude)"),
    ]
    for body, code, fragment in bad:
        expect(post(server.url + ":predict", body), code, fragment)
    expect(post(server.base + "/v1/models/nope:predict", data), 404,
           "Servable not found for request: Latest(nope)")
    expect(requests.get(server.url + "/versions/9"), 404,
           "Specific(%s, 9)" % name)
    expect(requests.get(server.base + "/v2/other"), 404, "Malformed request")
    expect(post(server.url + ":classify", data), 501, ":classify")
    big = '{"instances": [' + ",".join(["0.5"] * 60000) + "]}"
    expect(post(server.url + ":predict", big), 413, "exceeds 200000 bytes")
    print("errors: %d malformed requests 400, unknown model/version/path "
          "404, :classify 501, oversized body 413" % len(bad))

    # A stalled client: half a request, then nothing. Others are served
    # meanwhile; the server answers it 408 at the deadline and closes.
    stalled = socket.create_connection(("127.0.0.1", server.port))
    stalled.sendall(b"POST /v1/models/%s:predict HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: 100\r\n\r\n{\"inst" % name.encode())
    start = time.time()
    for _ in range(3):
        expect(post(server.url + ":predict", data), 200)
    answer = read_until_closed(stalled)
    waited = time.time() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert 1.0 < waited < 20, waited  # a loaded machine answers late
    expect(post(server.url + ":predict", data), 200)
    print("stalled client: 408 after %.1f s while others were answered"
          % round(waited, 1))

    # The port in use: a second server says so and exits 1.
    second = subprocess.run([exe, "serve", "--rest_api_port",
                             str(server.port), "--host", "127.0.0.1"],
                            capture_output=True, text=True, timeout=20)
    assert second.returncode == 1, second
    in_use = ("cannot listen on 127.0.0.1:%d: bind: Address already in use"
              % server.port)
    assert in_use in second.stderr, second.stderr
    print("port in use: exit 1, %s" % second.stderr.strip().split(": ", 1)[1])

    # Keep-alive: many requests on one connection.
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    for _ in range(5):
        connection.request("POST", "/v1/models/%s:predict" % name, data)
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["predictions"] == predictions
    connection.close()
    text = server.stop()
    assert '"POST /v1/models/%s:predict" 200' % name in text, text
    print("keep-alive, access log, SIGTERM: exit 0")


def shutdown():
    """SIGTERM with a request in flight (its headers and half its body sent):
    the request is still answered, with Connection: close, and the server
    exits 0; an idle keep-alive connection is closed at once."""
    server = Server()
    name = server.url.rsplit("/", 1)[1]
    body = json.dumps({"instances": images(1, 5).tolist()}).encode()
    idle = http.client.HTTPConnection("127.0.0.1", server.port)
    idle.request("GET", "/v1/models/%s" % name)
    assert idle.getresponse().read()
    busy = socket.create_connection(("127.0.0.1", server.port))
    busy.sendall(b"POST /v1/models/%s:predict HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: %d\r\n\r\n" % (name.encode(), len(body)))
    busy.sendall(body[:len(body) // 2])
    time.sleep(0.3)
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert server.proc.poll() is None, "exited with a request in flight"
    busy.sendall(body[len(body) // 2:])
    answer = read_until_closed(busy)
    head, _, reply = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"Connection: close" in head, head
    assert json.loads(reply)["predictions"], reply[:100]
    text = server.stop(signalled=True)
    assert "stopping: answering the requests in flight" in text, text
    print("SIGTERM: the request in flight answered 200 with Connection: "
          "close, then exit 0")


def versions():
    base = os.path.join(work, "versions")
    os.makedirs(os.path.join(base, "1"))
    x = images(64, 2)
    y = np.random.default_rng(3).integers(0, 10, 64).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "y.npy"), y)
    data = os.path.join(work, "x.npy") + "," + os.path.join(work, "y.npy")
    v1 = os.path.join(base, "1", "weights.kw")
    subprocess.run([exe, "train", "--data", data, "--epochs", "1", "--seed",
                    "1", "--verbose", "0", "--save-weights", v1], check=True)
    v2 = os.path.join(work, "v2.kw")
    subprocess.run([exe, "train", "--data", data, "--epochs", "3", "--seed",
                    "1", "--verbose", "0", "--save-weights", v2], check=True)
    sample = x[:2]
    want = {1: exe_predict([sample], v1), 2: exe_predict([sample], v2)}
    assert not np.array_equal(want[1], want[2])

    server = Server("--model_base_path", base,
                    "--file_system_poll_wait_seconds", "1")
    assert expect(requests.get(server.url), 200)[
        "model_version_status"][0]["version"] == "1"
    body = json.dumps({"instances": sample.tolist()})
    seen, failures, stop = {1: 0, 2: 0}, [], threading.Event()

    def hammer():
        session = requests.Session()
        while not stop.is_set():
            r = session.post(server.url + ":predict", data=body)
            if r.status_code != 200:
                failures.append(r.text)
                continue
            got = np.array(r.json()["predictions"], np.float32)
            matched = [v for v in (1, 2) if np.array_equal(got, want[v])]
            if len(matched) != 1:
                failures.append("neither version's predictions")
            else:
                seen[matched[0]] += 1

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    # Train -> drop the weights into DIR/2/: an empty folder first, as a
    # copy would leave it for a moment (not served until its file is there).
    os.makedirs(os.path.join(base, "2"))
    time.sleep(1.5)
    os.rename(v2, os.path.join(base, "2", "weights.kw"))
    deadline = time.time() + 10
    while time.time() < deadline:
        status = requests.get(server.url).json()
        if status["model_version_status"][0]["version"] == "2":
            break
        time.sleep(0.1)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert status["model_version_status"][0]["version"] == "2", status
    assert not failures, failures[:3]
    assert seen[1] > 0 and seen[2] > 0, seen
    # Version 1 is no longer served.
    expect(requests.get(server.url + "/versions/1"), 404, "Specific(")

    # TF Serving's latest policy serves the highest version on disk: 2/
    # deleted, version 1 is served again; 1/ deleted too, none (404).
    def wait_for(code, version=None):
        deadline = time.time() + 10
        while time.time() < deadline:
            r = requests.get(server.url)
            if r.status_code == code and (version is None or r.json()[
                    "model_version_status"][0]["version"] == version):
                return r
            time.sleep(0.1)
        raise AssertionError((code, version, r.status_code, r.text))

    shutil.rmtree(os.path.join(base, "2"))
    wait_for(200, "1")
    got = expect(post(server.url + ":predict", body), 200)["predictions"]
    assert np.array_equal(np.array(got, np.float32), want[1])
    shutil.rmtree(os.path.join(base, "1"))
    wait_for(404)
    expect(post(server.url + ":predict", body), 404,
           "Servable not found for request: Latest(")
    text = server.stop()
    assert "serving version 2" in text, text
    assert "no weights file" in text, text
    assert "version 2 is gone from disk; serving version 1" in text, text
    assert "version 1 is gone from disk; no version to serve" in text, text
    print("versions: %d requests answered by version 1, then %d by version "
          "2, none failed; the empty folder 2/ was retried; 2/ deleted: "
          "version 1 again; 1/ deleted: none" % (seen[1], seen[2]))


def batching():
    server = Server("--enable_batching", "--max_batch_size", "16",
                    "--batch_timeout_micros", "20000", "--threads", "8")
    samples = images(24, 4)
    want = exe_predict([samples])

    def one(i):
        r = requests.post(server.url + ":predict", data=json.dumps(
            {"instances": samples[i:i + 1].tolist()}))
        return i, r.status_code, r.json()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(24)))
    for i, code, body in results:
        assert code == 200, body
        got = np.array(body["predictions"], np.float32)
        assert np.array_equal(got, want[i:i + 1]), i
    text = server.stop()
    merged = [line for line in text.splitlines() if "batch of" in line]
    assert merged, text
    print("batching: 24 concurrent requests answered with their own rows; "
          "merged calls: %d" % len(merged))


def multi():
    x0 = np.load(extra[0])[:3]
    x1 = np.load(extra[1])[:3]
    # An optional version folder base: its weights must be the compiled ones
    # (e.g. the .keras archive's own model.weights.h5, written by Keras).
    server = Server(*(["--model_base_path", extra[2]] if len(extra) > 2
                      else []))
    meta = expect(requests.get(server.url + "/metadata"), 200)
    names = sorted(meta["metadata"]["signature_def"]["signature_def"][
        "serving_default"]["inputs"])
    want = exe_predict([x0, x1])
    rows = [{names[0]: a.tolist(), names[1]: b.tolist()}
            for a, b in zip(x0, x1)]
    got = expect(post(server.url + ":predict",
                      json.dumps({"instances": rows})), 200)
    assert np.array_equal(np.array(got["predictions"], np.float32), want)
    got = expect(post(server.url + ":predict", json.dumps(
        {"inputs": {names[0]: x0.tolist(), names[1]: x1.tolist()}})), 200)
    assert np.array_equal(np.array(got["outputs"], np.float32), want)
    expect(post(server.url + ":predict", json.dumps(
        {"instances": [{names[0]: x0[0].tolist()}]})), 400,
        "missing input '%s'" % names[1])
    expect(post(server.url + ":predict", json.dumps(
        {"instances": [x0[0].tolist()]})), 400, "expected an object of "
        "named inputs")
    expect(post(server.url + ":predict", json.dumps(
        {"inputs": {names[0]: x0.tolist(), names[1]: x1[:2].tolist()}})),
        400, "the batch must agree")
    text = server.stop()
    print("multi: named rows and columns equal ./model predict%s"
          % (" (served from %s)" % extra[2] if len(extra) > 2 else ""))
    assert len(extra) < 3 or "serving version 1" in text, text


{"basic": basic, "shutdown": shutdown, "versions": versions, "batching": batching,
 "multi": multi}[mode]()
