"""Checks KServe resources offline against the kserve Python SDK's models (the SDK's OpenAPI types, generated from
KServe's CRDs), then checks that every InferenceService can be served by one of the ClusterServingRuntimes given.

    python validate_kserve.py deploy/kserve/*.yaml

Every field must be one the SDK's model declares (camelCase, as in YAML), of the declared type (nested KServe and
Kubernetes models, lists, maps, strings, integers, booleans); every model is then built, which applies the SDK's
own checks (required fields). Exit status 1 with one line per problem, 0 when every document passes.

The SDK is installed with `pip install --no-deps kserve` beside `kubernetes`: only its `kserve.models` package is
imported (the package's __init__ would import the whole model server, which needs FastAPI, gRPC, NumPy...).
"""

import pathlib
import re
import sys
import sysconfig
import types

import yaml

site = pathlib.Path(sysconfig.get_paths()["purelib"])
package = types.ModuleType("kserve")
package.__path__ = [str(site / "kserve")]
sys.modules["kserve"] = package
import kserve.models as kserve_models  # noqa: E402
import kubernetes.client.models as kubernetes_models  # noqa: E402

ROOTS = {
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): "V1alpha1ClusterServingRuntime",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "V1alpha1ServingRuntime",
    ("serving.kserve.io/v1beta1", "InferenceService"): "V1beta1InferenceService",
}
PRIMITIVES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "datetime": (str,), "date": (str,)}


def model_class(name):
    return getattr(kserve_models, name, None) or getattr(kubernetes_models, name)


def build(data, type_name, path, errors):
    """Builds the SDK object of `type_name` from YAML `data`, reporting every mismatch into `errors`."""
    # Both spellings: list[T] / dict(K, V) (kserve) and List[T] / Dict[K, V] (kubernetes >= 32).
    if match := re.fullmatch(r"[lL]ist\[(.*)\]", type_name):
        if not isinstance(data, list):
            errors.append(f"{path}: expected a list ({type_name}), got {type(data).__name__}")
            return None
        return [build(item, match.group(1), f"{path}[{i}]", errors) for i, item in enumerate(data)]
    if match := re.fullmatch(r"dict\((\w+), (.*)\)", type_name) or re.fullmatch(r"Dict\[(\w+), (.*)\]", type_name):
        if not isinstance(data, dict):
            errors.append(f"{path}: expected a map ({type_name}), got {type(data).__name__}")
            return None
        return {key: build(value, match.group(2), f"{path}.{key}", errors) for key, value in data.items()}
    if type_name == "object":
        return data
    if type_name in PRIMITIVES:
        # YAML booleans are not integers here, although Python's bool is an int.
        if not isinstance(data, PRIMITIVES[type_name]) or (type_name != "bool" and isinstance(data, bool)):
            errors.append(f"{path}: expected {type_name}, got {type(data).__name__} {data!r}")
        return data
    cls = model_class(type_name)
    if not isinstance(data, dict):
        errors.append(f"{path}: expected an object ({type_name}), got {type(data).__name__}")
        return None
    fields = {json_name: attribute for attribute, json_name in cls.attribute_map.items()}
    arguments = {}
    for key, value in data.items():
        if key not in fields:
            errors.append(f"{path}.{key}: unknown field of {type_name}")
            continue
        attribute = fields[key]
        arguments[attribute] = build(value, cls.openapi_types[attribute], f"{path}.{key}", errors)
    try:
        return cls(**arguments)
    except (TypeError, ValueError) as error:
        errors.append(f"{path}: {type_name}: {error}")
        return None


def main(paths):
    errors, runtimes, services, count = [], {}, [], 0
    for path in paths:
        for index, document in enumerate(yaml.safe_load_all(pathlib.Path(path).read_text())):
            if document is None:
                continue
            count += 1
            where = f"{path}#{index}"
            key = (document.get("apiVersion"), document.get("kind"))
            if key not in ROOTS:
                errors.append(f"{where}: not a KServe resource this check knows: {key}")
                continue
            before = len(errors)
            build(document, ROOTS[key], where, errors)
            name = document.get("metadata", {}).get("name")
            if key[1].endswith("ServingRuntime"):
                runtimes[name] = document
            else:
                services.append((where, document))
            print(f"{'ok  ' if len(errors) == before else 'FAIL'} {where} {key[1]}/{name}")
    # Every InferenceService must find a runtime for its model format and protocol.
    for where, service in services:
        model = service["spec"]["predictor"].get("model", {})
        fmt = model.get("modelFormat", {})
        protocol = model.get("protocolVersion", "v1")
        wanted = model.get("runtime")
        candidates = [runtimes[wanted]] if wanted in runtimes else [] if wanted else list(runtimes.values())
        if wanted and not candidates:
            errors.append(f"{where}: runtime {wanted} is not among {sorted(runtimes)}")
        fits = [
            runtime for runtime in candidates
            if protocol in runtime["spec"].get("protocolVersions", ["v1"])
            and any(
                supported["name"] == fmt.get("name")
                and (fmt.get("version") is None or supported.get("version") == fmt.get("version"))
                and (wanted or supported.get("autoSelect"))
                for supported in runtime["spec"]["supportedModelFormats"]
            )
        ]
        if not fits:
            errors.append(f"{where}: no runtime serves modelFormat {fmt} over protocol {protocol}")
    for error in errors:
        print(f"error: {error}")
    print(f"kserve: {count} documents, {len(errors)} problems")
    return 1 if errors or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
