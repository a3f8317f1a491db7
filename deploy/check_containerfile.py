"""Checks that deploy/Containerfile and the image deploy/build-image.sh wrote describe the same container: no engine
can build the Containerfile here, so its run-time settings are compared with the built image's OCI configuration.

    python check_containerfile.py deploy/Containerfile deploy/image-env.txt deploy/out/paddle-swift-ocr.oci.tar

Compared: the user, the entrypoint, the exposed port, the working directory and the environment (the Containerfile's
ENV plus PATH, which the base image sets, against image-env.txt and the archive's config); and that the
Containerfile builds from the pinned images and reads the same package and library lists as build-image.sh.
"""

import json
import re
import sys
import tarfile


def instructions(path):
    """(KEYWORD, arguments) of every instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "".join(line for line in open(path) if not line.lstrip().startswith("#")))
    for line in text.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            yield keyword.upper(), rest.strip()


def image_config(archive):
    with tarfile.open(archive) as tar:
        def blob(digest):
            return json.load(tar.extractfile("./blobs/sha256/" + digest.split(":")[1]))
        index = json.load(tar.extractfile("./index.json"))
        manifest = blob(index["manifests"][0]["digest"])
        return blob(manifest["config"]["digest"])["config"]


def main(containerfile, env_file, archive):
    problems = []
    steps = list(instructions(containerfile))
    stages = [rest for keyword, rest in steps if keyword == "FROM"]
    for wanted in ("swift:6.3-bookworm AS build", "debian:bookworm-slim AS base"):
        if wanted not in stages:
            problems.append(f"no stage FROM {wanted} (stages: {stages})")
    text = open(containerfile).read()
    for listed in ("deploy/runtime-packages.txt", "deploy/runtime-libs.txt", "-static-stdlib", "scripts/setup.sh"):
        if listed not in text:
            problems.append(f"the Containerfile does not use {listed}")
    # The run-time settings of the base stage (the ocr stage inherits them).
    base = steps[[i for i, (k, r) in enumerate(steps) if k == "FROM" and r.endswith("AS base")][0]:]
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}  # debian:bookworm-slim's
    user = entrypoint = workdir = None
    ports = set()
    for keyword, rest in base:
        if keyword == "ENV":
            env.update(dict(pair.split("=", 1) for pair in rest.split()))
        elif keyword == "USER":
            user = rest
        elif keyword == "ENTRYPOINT":
            entrypoint = json.loads(rest)
        elif keyword == "WORKDIR":
            workdir = rest
        elif keyword == "EXPOSE":
            ports.update(f"{p}/tcp" if "/" not in p else p for p in rest.split())
    listed = dict(line.strip().split("=", 1) for line in open(env_file) if line.strip() and not line.startswith("#"))
    config = image_config(archive)
    built_env = dict(item.split("=", 1) for item in config.get("Env", []))
    for name in sorted(set(listed) | set(env) | set(built_env)):
        if name == "PATH":
            continue  # each base sets its own; both contain /usr/local/bin, where paddle-swift is
        values = {"Containerfile": env.get(name), "image-env.txt": listed.get(name), "image": built_env.get(name)}
        if len(set(values.values())) != 1:
            problems.append(f"environment {name} differs: {values}")
    for name, path in (("Containerfile", env["PATH"]), ("image", built_env.get("PATH", ""))):
        if "/usr/local/bin" not in path.split(":"):
            problems.append(f"{name} PATH lacks /usr/local/bin: {path}")
    checks = [
        ("user", user, config.get("User")),
        ("entrypoint", entrypoint, config.get("Entrypoint")),
        ("working directory", workdir, config.get("WorkingDir")),
        ("exposed ports", sorted(ports), sorted(config.get("ExposedPorts", {}))),
    ]
    for name, ours, built in checks:
        if ours != built:
            problems.append(f"{name}: Containerfile {ours!r}, image {built!r}")
        else:
            print(f"ok   {name}: {ours}")
    if entrypoint != ["paddle-swift", "serve"] or user != "10001:10001" or ports != {"8080/tcp"}:
        problems.append(f"expected ENTRYPOINT [paddle-swift, serve], USER 10001:10001, EXPOSE 8080; got "
                        f"{entrypoint}, {user}, {sorted(ports)}")
    if not any("environment" in p for p in problems):
        print(f"ok   environment: {sorted(env)}")
    for problem in problems:
        print(f"error: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
