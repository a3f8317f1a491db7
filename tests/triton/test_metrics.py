"""Prometheus metrics as Triton exports them: `serve --metrics-format both --metrics-port N`, read with
prometheus_client's own text parser after real inference through tritonclient."""
import urllib.request

import numpy as np
import pytest
import tritonclient.http as httpclient
from prometheus_client.parser import text_string_to_metric_families

from conftest import CLASSIFIER, _free_port
from paddle_server import PaddleServer

TRITON_COUNTERS = [
    "nv_inference_request_success", "nv_inference_request_failure", "nv_inference_count", "nv_inference_exec_count",
    "nv_inference_request_duration_us", "nv_inference_queue_duration_us", "nv_inference_compute_infer_duration_us",
]
PROCESS_GAUGES = ["process_resident_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"]


def _scrape(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        text = response.read().decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    return text, families


def _value(families, name, **labels):
    # prometheus_client names a counter's family without `_total` and its samples with it (adding it to Triton's
    # counters, whose exposed names have none).
    base = name[:-len("_total")] if name.endswith("_total") else name
    family = families[base]
    for sample in family.samples:
        if sample.name in (base, base + "_total") and sample.labels == labels:
            return sample.value
    raise KeyError(f"{name}{labels}")


@pytest.fixture(scope="module")
def metrics_server(tmp_path_factory):
    metrics_port = _free_port()
    folder = tmp_path_factory.mktemp("metrics")
    server = PaddleServer(
        ["--model", CLASSIFIER, "--model-name", "cls", "--metrics-format", "both", "--metrics-port", str(metrics_port)],
        str(folder / "server.log"), ready_timeout=120)
    client = httpclient.InferenceServerClient(server.url, network_timeout=120)
    yield server.url, client, f"http://127.0.0.1:{metrics_port}/metrics"
    client.close()
    assert server.stop(timeout=30) == 0, f"server did not exit cleanly; see {server.log_path}"


def test_triton_counters_follow_real_inference_and_parse(metrics_server):
    url, client, metrics_url = metrics_server
    data = np.random.default_rng(0).random((1, 3, 48, 192), dtype=np.float32)
    tensor = httpclient.InferInput("x", list(data.shape), "FP32")
    tensor.set_data_from_numpy(data)
    for _ in range(3):
        client.infer("cls", [tensor])
    _, families = _scrape(metrics_url)
    for name in TRITON_COUNTERS:
        assert families[name].type == "counter", name
    for name in ["nv_cpu_utilization", "nv_cpu_memory_used_bytes"] + PROCESS_GAUGES:
        assert families[name].type == "gauge", name
    assert families["process_cpu_seconds"].type == "counter"
    assert _value(families, "nv_inference_request_success", model="cls", version="1") == 3
    assert _value(families, "nv_inference_count", model="cls", version="1") == 3
    assert _value(families, "nv_inference_exec_count", model="cls", version="1") == 3
    assert _value(families, "nv_inference_request_failure", model="cls", reason="OTHER", version="1") == 0
    assert _value(families, "nv_inference_compute_infer_duration_us", model="cls", version="1") > 0
    assert 0 <= _value(families, "nv_cpu_utilization") <= 1
    assert _value(families, "nv_cpu_memory_used_bytes") > 0
    assert _value(families, "process_resident_memory_bytes") > 1 << 20
    assert _value(families, "process_cpu_seconds_total") > 0
    # `both`: the paddle_* names beside Triton's, on the HTTP port too.
    _, on_http_port = _scrape(f"http://{url}/metrics")
    assert _value(on_http_port, "paddle_inference_success_total", model="cls", version="1") == 3
    assert _value(on_http_port, "nv_inference_request_success", model="cls", version="1") == 3


def test_metrics_port_serves_nothing_else(metrics_server):
    _, _, metrics_url = metrics_server
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(metrics_url.replace("/metrics", "/v2/health/live"), timeout=30)
    assert error.value.code == 404


def test_default_format_is_paddle_with_process_metrics(server):
    text, families = _scrape(f"http://{server}/metrics")
    assert not [name for name in families if name.startswith("nv_")]
    assert "paddle_inference_success" in families
    for name in PROCESS_GAUGES:
        assert name in families, name
