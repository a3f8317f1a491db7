"""The Python comparison server of bench/server: the KServe v2 server a user would write with FastAPI + uvicorn and
`paddle.inference`, speaking the same protocol subset as `paddle-swift serve` for the benchmark.

    python py_server.py --model tiny=.fixtures/models/mlp_tiny_pdmodel@1x16 [--model NAME=DIR[@SHAPE] ...]
                        [--workers 2] [--predictors-per-worker 1] [--threads 1] [--port 8001]

- N worker processes (`uvicorn --workers N`, uvloop + httptools), each loading every model with `paddle.inference`
  (1 math thread, IR optimisation on, oneDNN and memory optimisation on for `.pdmodel` programs and off for PIR
  `.json` ones: the same settings `paddle-swift serve` resolves). Each process warms every model up once with
  zeros (dynamic dims: 1 for the batch, 32 otherwise), as the Swift server does.
- With 1 predictor per worker (the default) the handler runs the predictor inline: a worker process is busy while its
  predictor runs, so there is nothing to gain from a thread hop. With more, a queue of clones and a thread pool.
- `/v2/health/ready` answers 200 only once every worker process has loaded and warmed up its models (each writes a
  marker into a shared folder), so a cold-start timer sees the same thing as with the Swift server.
- `POST /v2/models/{name}/infer`: JSON `data` or Triton binary tensors (`Inference-Header-Content-Length`,
  `binary_data_size`), outputs as JSON or binary (`binary_data_output`, per-output `binary_data`).
"""
import argparse
import json
import os
import queue
import sys
import tempfile
from pathlib import Path

import numpy as np

DTYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
          "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def _settings():
    return {
        "models": json.loads(os.environ["PYSERVE_MODELS"]),
        "workers": int(os.environ.get("PYSERVE_WORKERS", "1")),
        "per_worker": int(os.environ.get("PYSERVE_PREDICTORS", "1")),
        "threads": int(os.environ.get("PYSERVE_THREADS", "1")),
        "ready_dir": os.environ["PYSERVE_READY_DIR"],
    }


class Model:
    def __init__(self, name, folder, threads, count, warmup_shape):
        from paddle import inference
        folder = Path(folder)
        program = folder / "inference.pdmodel"
        pir = not program.exists()
        if pir:
            program = folder / "inference.json"
        config = inference.Config(str(program), str(folder / "inference.pdiparams"))
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(threads)
        config.switch_ir_optim(True)
        if pir:
            config.disable_mkldnn()
        else:
            config.enable_mkldnn()
        config.enable_memory_optim(not pir)
        config.disable_glog_info()
        first = inference.create_predictor(config)
        self.name = name
        self.predictors = [first] + [first.clone() for _ in range(count - 1)]
        self.free = queue.SimpleQueue()
        for p in self.predictors:
            self.free.put(p)
        self.input_names = first.get_input_names()
        self.output_names = first.get_output_names()
        self.warmup_shape = warmup_shape

    def warm_up(self):
        # The Python API has no declared input shapes: the launcher is told the shape (as a user would hardcode it).
        if not self.warmup_shape or len(self.input_names) != 1:
            return
        feeds = {self.input_names[0]: np.zeros(self.warmup_shape, dtype=np.float32)}
        for p in self.predictors:
            self.run_on(p, feeds, self.output_names)

    @staticmethod
    def run_on(predictor, feeds, outputs):
        for name, array in feeds.items():
            handle = predictor.get_input_handle(name)
            handle.reshape(array.shape)
            handle.copy_from_cpu(array)
        predictor.run()
        return {name: predictor.get_output_handle(name).copy_to_cpu() for name in outputs}

    def run(self, feeds, outputs):
        predictor = self.free.get()
        try:
            return self.run_on(predictor, feeds, outputs)
        finally:
            self.free.put(predictor)


def create_app():
    from fastapi import FastAPI, Request, Response
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse

    settings = _settings()
    models = {}

    def error(status, message):
        return JSONResponse({"error": message}, status_code=status)

    async def lifespan(app):
        for name, (folder, shape) in settings["models"].items():
            model = Model(name, folder, settings["threads"], settings["per_worker"], shape)
            model.warm_up()
            models[name] = model
        Path(settings["ready_dir"], str(os.getpid())).write_text("ready\n")
        yield
        Path(settings["ready_dir"], str(os.getpid())).unlink(missing_ok=True)

    app = FastAPI(lifespan=lifespan)

    @app.get("/v2/health/live")
    async def live():
        return Response(status_code=200)

    @app.get("/v2/health/ready")
    async def ready():
        count = len(os.listdir(settings["ready_dir"]))
        return Response(status_code=200 if count >= settings["workers"] else 503)

    @app.get("/v2/models/{name}")
    async def metadata(name: str):
        model = models.get(name)
        if model is None:
            return error(404, f"unknown model '{name}'")
        return {"name": name, "versions": ["1"], "platform": "paddle_inference",
                "inputs": [{"name": n} for n in model.input_names],
                "outputs": [{"name": n} for n in model.output_names]}

    @app.post("/v2/models/{name}/infer")
    @app.post("/v2/models/{name}/versions/{version}/infer")
    async def infer(name: str, request: Request, version: str = "1"):
        model = models.get(name)
        if model is None:
            return error(404, f"unknown model '{name}'")
        body = await request.body()
        header_length = request.headers.get("inference-header-content-length")
        try:
            if header_length is not None:
                n = int(header_length)
                header = json.loads(body[:n])
                binary = memoryview(body)[n:]
            else:
                header = json.loads(body)
                binary = memoryview(b"")
            feeds = {}
            offset = 0
            for item in header["inputs"]:
                dtype = np.dtype(DTYPES[item["datatype"]])
                shape = [int(d) for d in item["shape"]]
                size = (item.get("parameters") or {}).get("binary_data_size")
                if size is not None:
                    array = np.frombuffer(binary, dtype=dtype, count=size // dtype.itemsize, offset=offset)
                    offset += size
                else:
                    array = np.asarray(item["data"], dtype=dtype)
                feeds[item["name"]] = array.reshape(shape)
            if set(feeds) != set(model.input_names):
                return error(400, f"model '{name}' needs inputs {model.input_names}")
            wanted = header.get("outputs") or [{"name": n} for n in model.output_names]
            binary_default = bool((header.get("parameters") or {}).get("binary_data_output", False))
            names = [o["name"] for o in wanted]
        except (KeyError, ValueError, TypeError) as exc:
            return error(400, f"bad request: {exc}")
        if settings["per_worker"] == 1:
            results = model.run(feeds, names)
        else:
            results = await run_in_threadpool(model.run, feeds, names)

        outputs, blobs = [], []
        for o in wanted:
            array = results[o["name"]]
            entry = {"name": o["name"], "datatype": NAMES[array.dtype], "shape": list(array.shape)}
            if (o.get("parameters") or {}).get("binary_data", binary_default):
                blob = np.ascontiguousarray(array).tobytes()
                entry["parameters"] = {"binary_data_size": len(blob)}
                blobs.append(blob)
            else:
                entry["data"] = array.ravel().tolist()
            outputs.append(entry)
        reply = {"model_name": name, "model_version": version, "outputs": outputs}
        if "id" in header:
            reply["id"] = header["id"]
        text = json.dumps(reply, separators=(",", ":")).encode()
        if blobs:
            return Response(content=text + b"".join(blobs), media_type="application/octet-stream",
                            headers={"Inference-Header-Content-Length": str(len(text))})
        return Response(content=text, media_type="application/json")

    return app


if "PYSERVE_MODELS" in os.environ and __name__ != "__main__":
    app = create_app()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", action="append", required=True,
                   help="NAME=DIR or NAME=DIR@1x3x48x32 (the float32 input shape to warm up with)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--predictors-per-worker", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    a = p.parse_args()
    models = {}
    for spec in a.model:
        name, rest = spec.split("=", 1)
        folder, _, shape = rest.partition("@")
        models[name] = (folder, [int(d) for d in shape.split("x")] if shape else None)
    ready_dir = tempfile.mkdtemp(prefix="pyserve-ready-")
    os.environ.update(PYSERVE_MODELS=json.dumps(models), PYSERVE_WORKERS=str(a.workers),
                      PYSERVE_PREDICTORS=str(a.predictors_per_worker), PYSERVE_THREADS=str(a.threads),
                      PYSERVE_READY_DIR=ready_dir, GLOG_minloglevel=os.environ.get("GLOG_minloglevel", "2"))
    here = str(Path(__file__).resolve().parent)
    sys.path.insert(0, here)
    os.environ["PYTHONPATH"] = here + os.pathsep + os.environ.get("PYTHONPATH", "")
    import uvicorn
    uvicorn.run("py_server:app", host=a.host, port=a.port, workers=a.workers, loop="uvloop", http="httptools",
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
