-- wrk script of bench/isolation: posts one image (BODY_FILE) to /v1/ocr on every connection as raw JPEG bytes.
local file = assert(io.open(assert(os.getenv("BODY_FILE"), "set BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*all")
file:close()
wrk.headers["Content-Type"] = "image/jpeg"
