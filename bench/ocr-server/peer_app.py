"""RapidOCR behind FastAPI, the server a user would write when `rapidocr-api` is not enough: `POST /ocr` with the
image bytes as the body (or a multipart `image_file`), answering the recognised lines as JSON.

The engine comes from the environment, read once per uvicorn worker:
- PEER_ENGINE: `paddle` (rapidocr-paddle 1.4.5) or `onnxruntime` (rapidocr-onnxruntime 1.4.4);
- PEER_THREADS: math threads per worker (paddle: `cpu_math_library_num_threads`; ONNX Runtime: intra-op threads).

    PEER_ENGINE=paddle PEER_THREADS=1 uvicorn peer_app:app --workers 2 --port 9101
"""
import os
import threading

import cv2
import numpy as np
from fastapi import FastAPI, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

ENGINE = os.environ.get("PEER_ENGINE", "paddle")
THREADS = int(os.environ.get("PEER_THREADS", "1"))

if ENGINE == "paddle":
    from rapidocr_paddle import RapidOCR

    ocr = RapidOCR(cpu_math_library_num_threads=THREADS)
else:
    from rapidocr_onnxruntime import RapidOCR

    ocr = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1)

app = FastAPI()
# FastAPI runs blocking calls on a thread pool, so one worker can get several requests at once: a paddle predictor
# must not run two of them together (ONNX Runtime sessions may, but the lock keeps both peers alike: one image per
# worker at a time, the worker count is the parallelism).
engine_lock = threading.Lock()


def recognise(data: bytes):
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return JSONResponse({"error": "undecodable image"}, status_code=400)
    with engine_lock:
        result, elapse = ocr(image)
    lines = [{"box": box, "text": text, "score": float(score)} for box, text, score in (result or [])]
    return {"results": lines, "elapse": elapse}


@app.post("/ocr")
async def ocr_route(request: Request):
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        form = await request.form()
        upload: UploadFile = form["image_file"]
        data = await upload.read()
    else:
        data = await request.body()
    # The engine blocks: off the event loop, as a sync FastAPI route would run it.
    return await run_in_threadpool(recognise, data)
