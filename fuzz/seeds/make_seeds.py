#!/usr/bin/env python3
"""Writes the text and binary seeds of the fuzz targets into fuzz/corpus/<target>/ (the image seeds come from
make_image_seeds.c). Run by make_seeds.sh; the output is committed, so a fuzz run needs neither."""
import json
import os
import struct
import sys

corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "corpus")


def write(target, name, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# FuzzJSON: request bodies and every kind of JSON value.
write("FuzzJSON", "kserve_request.json",
      '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1.5,-2e3]}]}')
write("FuzzJSON", "scalars.json",
      '[null,true,false,"a\\u00e9\\ud83d\\ude00\\n",0,-0.5,1e308,18446744073709551615,'
      '-9223372036854775808,NaN,-Infinity]')
write("FuzzJSON", "ocr_request.json", '{"image":"iVBORw0KGgo=","filter":"^[0-9]+$"}')
write("FuzzJSON", "nested.json", '{"a":{"b":[[[]]],"c":{}}}')

# FuzzKServeRequest: JSON-only bodies, and "H:<Inference-Header-Content-Length>\n" + JSON header + binary data.
def kserve_binary(header, payload):
    text = json.dumps(header, separators=(",", ":")).encode()
    return b"H:" + str(len(text)).encode() + b"\n" + text + payload


write("FuzzKServeRequest", "json_fp32.txt", json.dumps({
    "id": "1", "parameters": {"binary_data_output": True, "timeout": 1000},
    "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [[1, 2], [3.5, -4]]}],
    "outputs": [{"name": "y", "parameters": {"binary_data": False}}]}))
write("FuzzKServeRequest", "json_types.txt", json.dumps({"inputs": [
    {"name": "a", "datatype": "INT64", "shape": [3], "data": [1, -9223372036854775808, 9223372036854775807]},
    {"name": "b", "datatype": "BOOL", "shape": [2], "data": [True, False]},
    {"name": "c", "datatype": "UINT8", "shape": [1, 1], "data": [255]},
    {"name": "d", "datatype": "FP64", "shape": [0], "data": []}]}))
write("FuzzKServeRequest", "binary_fp32.txt", kserve_binary(
    {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3], "parameters": {"binary_data_size": 12}}]},
    struct.pack("<3f", 1.0, -2.0, 0.5)))
write("FuzzKServeRequest", "binary_mixed.txt", kserve_binary(
    {"inputs": [{"name": "x", "datatype": "INT32", "shape": [2], "parameters": {"binary_data_size": 8}},
                {"name": "h", "datatype": "FP16", "shape": [2], "parameters": {"binary_data_size": 4}},
                {"name": "j", "datatype": "INT8", "shape": [2], "data": [-1, 1]}],
     "outputs": [{"name": "y", "parameters": {"binary_data": True}}]},
    struct.pack("<2i2H", 7, -7, 0x3C00, 0xC000)))

# FuzzMultipart: "<Content-Type>\n" + body.
def multipart(boundary, parts, preamble=b""):
    body = preamble
    for headers, content in parts:
        body += b"--" + boundary + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + content + b"\r\n"
    return b"multipart/form-data; boundary=" + boundary + b"\n" + body + b"--" + boundary + b"--\r\n"


write("FuzzMultipart", "image_and_filter.txt", multipart(b"XyZ123", [
    ([b'Content-Disposition: form-data; name="image"; filename="a.png"', b"Content-Type: image/png"],
     b"\x89PNG\r\n\x1a\n\x00\x00"),
    ([b'Content-Disposition: form-data; name="filter"'], b"^[0-9]{12}$")]))
write("FuzzMultipart", "quoted_preamble.txt",
      b'Multipart/Form-Data; charset=utf-8; boundary="a \\"b\\" c"\n' + multipart(b'a "b" c', [
          ([b"content-disposition: form-data; name=file; filename=\"x\\\\y.jpg\""], b"\xff\xd8\xff\xd9")],
          preamble=b"ignored preamble\r\n").split(b"\n", 1)[1])
write("FuzzMultipart", "empty_headers.txt", multipart(b"-", [([], b""), ([b"X: y"], b"--")]))

# FuzzNPY: every dtype, versions 1 to 3.
def npy(descr, shape, payload, version=1):
    shape_text = "()" if not shape else "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + payload


write("FuzzNPY", "f4_2x2.npy", npy("<f4", [2, 2], struct.pack("<4f", 1, 2, 3, 4)))
write("FuzzNPY", "i8_3.npy", npy("<i8", [3], struct.pack("<3q", -1, 0, 1)))
write("FuzzNPY", "u2_bf16_2.npy", npy("<u2", [2], struct.pack("<2H", 0x3F80, 0xC000)))
write("FuzzNPY", "b1_scalar.npy", npy("|b1", [], b"\x01"))
write("FuzzNPY", "f8_empty_v2.npy", npy("<f8", [0, 5], b"", version=2))
write("FuzzNPY", "u1_v3.npy", npy("|u1", [1, 1, 3], b"\x01\x02\x03", version=3))
write("FuzzNPY", "f2_i4_i1.npy", npy("<f2", [1], b"\x00\x3c"))

# FuzzConfigYAML: the README's config.yaml, and each version-policy form.
write("FuzzConfigYAML", "readme.yaml", """pool_size: 2
threads: 1
onednn: false
onednn_cache_capacity: 64
max_batch_size: 8
timeout_ms: 30000
rate_limit: { requests_per_second: 100, burst: 20 }
warmup: true
version_policy: all
routing:
  weights: { 2: 70, 3: 30 }
  sticky_header: x-user-id
""")
write("FuzzConfigYAML", "batching.yaml", """name: cls
queue_capacity: 16
dynamic_batching:
  preferred_batch_sizes: [2, 4]
  max_queue_delay_us: 500
inputs:
  - name: x
    dims: [-1, 3, 48, -1]
    datatype: FP32
outputs:
  - {name: y, datatype: FP32}
version_policy: { latest: { num_versions: 2 } }
""")
write("FuzzConfigYAML", "specific.yaml", "version_policy: { specific: { versions: [2, 3] } }\n")
write("FuzzConfigYAML", "latest.yaml", "version_policy: { latest: 1 }\nrouting: { weights: { 1: 100 } }\n")
write("FuzzConfigYAML", "anchors.yaml", "a: &x [1, 2]\nb: *x\ninstance_group: {count: 2}\n")

# FuzzManifest: sha256sum's output, with comments, binary markers and ./ prefixes.
digest = "0123456789abcdef" * 4
write("FuzzManifest", "sha256sum.txt",
      f"{digest}  inference.pdmodel\n{digest.upper()} *inference.pdiparams\n# comment\n\n{digest}  ./sub/dir/file\n")
write("FuzzManifest", "tabs_crlf.txt", f"{digest}\tinference.json\r\n{digest}  x y\r\n")
