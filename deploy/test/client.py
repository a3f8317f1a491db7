"""The HTTP client of deploy/test-image.sh (standard library only). It runs inside the test's network namespace and
talks to the containerised server over loopback.

    client.py ready URL TIMEOUT_S          waits for /v2/health/ready; prints the milliseconds it took
    client.py status METHOD URL STATUS     one request; fails unless the answer has STATUS
    client.py input NPY                    writes the deterministic classifier input (FP32 [1, 3, 48, 192])
    client.py infer URL MODEL NPY EXPECTED a KServe v2 JSON infer of NPY; compares the output with EXPECTED (.npy)
    client.py ocr URL IMAGE REFERENCE [SENT]
                                           POST /v1/ocr; every reference line scored >= 0.9 must be found, same text
                                           (SENT: a file created once the whole request has been sent)
"""

import http.client
import json
import struct
import sys
import time
import urllib.error
import urllib.request

SHAPE = [1, 3, 48, 192]


def request(method, url, body=None, headers=None, timeout=60):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{d}, " for d in shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(values)}f", *values))


def read_npy(path):
    data = open(path, "rb").read()
    length = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + length].decode()
    assert "'<f4'" in header, header
    body = data[10 + length:]
    return list(struct.unpack(f"<{len(body) // 4}f", body))


def classifier_input():
    count = SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3]
    return [((i * 7919) % 1000) / 1000 - 0.5 for i in range(count)]


def fail(message):
    print(message)
    sys.exit(1)


def main(argv):
    command = argv[0]
    if command == "ready":
        url, deadline, started = argv[1], time.monotonic() + float(argv[2]), time.monotonic()
        while time.monotonic() < deadline:
            try:
                if request("GET", url, timeout=2)[0] == 200:
                    print(int((time.monotonic() - started) * 1000))
                    return
            except OSError:
                pass
            time.sleep(0.01)
        fail(f"not ready after {argv[2]} s")
    elif command == "status":
        method, url, expected = argv[1], argv[2], int(argv[3])
        try:
            status, body = request(method, url, body=b"" if method == "POST" else None)
        except OSError as error:
            status, body = 0, str(error).encode()
        print(f"{status} {body[:160].decode(errors='replace')}")
        if status != expected:
            sys.exit(1)
    elif command == "input":
        write_npy(argv[1], SHAPE, classifier_input())
    elif command == "infer":
        url, model, npy, expected_path = argv[1:5]
        values = read_npy(npy)
        body = json.dumps({"id": "image-test", "inputs": [
            {"name": "x", "datatype": "FP32", "shape": SHAPE, "data": values}]}).encode()
        status, answer = request("POST", f"{url}/v2/models/{model}/infer", body, {"Content-Type": "application/json"})
        if status != 200:
            fail(f"infer answered {status}: {answer[:200]!r}")
        reply = json.loads(answer)
        output = reply["outputs"][0]
        expected = read_npy(expected_path)
        worst = max(abs(a - b) for a, b in zip(output["data"], expected))
        print(f"model {reply['model_name']} version {reply.get('model_version')} output {output['name']} "
              f"{output['datatype']} {output['shape']} = {[round(v, 6) for v in output['data']]}, "
              f"max |difference| from the engine outside the image {worst:.2e}")
        if output["shape"] != [1, 2] or len(expected) != 2 or worst > 1e-5 or reply.get("id") != "image-test":
            sys.exit(1)
    elif command == "ocr":
        url, image, reference = argv[1:4]
        host, port = url.split("//")[1].split(":")
        started = time.monotonic()
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        connection.request("POST", "/v1/ocr", open(image, "rb").read(), {"Content-Type": "application/octet-stream"})
        if len(argv) > 4:
            open(argv[4], "w").close()
        response = connection.getresponse()
        status, answer = response.status, response.read()
        elapsed = time.monotonic() - started
        if status != 200:
            fail(f"/v1/ocr answered {status}: {answer[:200]!r}")
        texts = [line["text"] for line in json.loads(answer)["results"]]
        wanted = [line["text"] for line in json.load(open(reference))["results"] if line["score"] >= 0.9]
        missing = [text for text in wanted if text not in texts]
        print(f"{len(texts)} lines in {elapsed:.2f} s, {len(wanted) - len(missing)}/{len(wanted)} reference lines "
              f"(score >= 0.9) found with identical text; first: {texts[:3]}")
        if missing or not wanted:
            fail(f"missing: {missing}")
    else:
        fail(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
