#!/usr/bin/env bash
# Runs the OCI image as a container would, without a container engine, and checks it:
#
#   - unpacks the archive (umoci) and takes the user, entrypoint, working directory and environment from the
#     image's own configuration;
#   - runs it in new PID, mount and network namespaces (unshare), chrooted into the image's root filesystem, which
#     is mounted read-only (readOnlyRootFilesystem), with a tmpfs on /tmp, its own /proc and a minimal /dev, as
#     uid/gid 10001 with no capabilities; only loopback exists in the namespace, and the client runs there too;
#   - checks: ldd finds every library; no libpython is mapped (and which paddle/libs are); live at once, ready
#     after the models load (cold start measured); a KServe v2 JSON infer equals the engine's output outside the
#     image; POST /v1/ocr on a real image finds the reference text; the repository API is off without a token;
#     SIGTERM turns readiness false, lets the in-flight request finish and exits 0;
#   - then the layouts the manifests use: KServe's flat /mnt/models (--model) and versioned repository
#     (--model-repository) with the ClusterServingRuntimes' own arguments, and the Kubernetes Deployment's
#     init container + server with its own script and environment.
#
# Usage: deploy/test-image.sh [ARCHIVE]   (default deploy/out/paddle-swift-ocr.oci.tar; needs root)
# Sample images: ../shared/ocr beside the repository (PADDLE_SWIFT_SHARED overrides). Prints
# "test-image: N passed, M failed" and exits non-zero if anything failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
deploy=$repo/deploy
home=${PADDLE_SWIFT_HOME:-$repo/.paddle}
shared=${PADDLE_SWIFT_SHARED:-$repo/../shared}
python_yaml=${PYTHON_YAML:-python3}      # a Python with PyYAML, to read the manifests
client="python3 $deploy/test/client.py"
url=http://127.0.0.1:8080

# --- inside the namespaces ------------------------------------------------------------------------------------
if [ "${1:-}" = --inside ]; then
  work=$2
  rootfs=$work/bundle/rootfs
  passed=0; failed=0
  pass() { passed=$((passed + 1)); echo "  ok    $*"; }
  fail() { failed=$((failed + 1)); echo "  FAIL  $*"; }
  check() { # description command...
    local description=$1; shift
    local output
    if output=$("$@" 2>&1); then pass "$description: $output"; else fail "$description: $output"; fi
  }

  chroot=$(command -v chroot)
  ip link set lo up
  # Memory and CPU of the running server, for the manifests' requests and limits.
  usage() { # label
    local rss hwm utime stime
    rss=$(awk '/VmRSS/{print $2}' /proc/$server/status); hwm=$(awk '/VmHWM/{print $2}' /proc/$server/status)
    read -r utime stime < <(awk '{print $14, $15}' /proc/$server/stat)
    echo "  info  $1: RSS $((rss / 1024)) MB, peak $((hwm / 1024)) MB, CPU $(( (utime + stime) * 10 )) ms since start"
  }
  # The container's view: a read-only root, a tmpfs /tmp, its own /proc, a minimal /dev.
  mount --bind "$rootfs" "$rootfs"
  mount -o remount,bind,ro "$rootfs"
  mount -t proc proc "$rootfs/proc"
  mount -t tmpfs -o mode=1777,size=256m tmpfs "$rootfs/tmp"
  mount -t tmpfs -o mode=0755,size=1m tmpfs "$rootfs/dev"
  for node in null zero full random urandom tty; do
    touch "$rootfs/dev/$node"; mount --bind "/dev/$node" "$rootfs/dev/$node"
  done
  mkdir "$rootfs/dev/shm"; mount -t tmpfs -o mode=1777,size=64m shm "$rootfs/dev/shm"

  mapfile -t image_env < <(jq -r '.process.env[]' "$work/bundle/config.json")
  mapfile -t image_args < <(jq -r '.process.args[]' "$work/bundle/config.json")
  uid=$(jq -r '.process.user.uid' "$work/bundle/config.json")
  gid=$(jq -r '.process.user.gid' "$work/bundle/config.json")
  cwd=$(jq -r '.process.cwd' "$work/bundle/config.json")

  server=""
  # Starts the image's process: its environment plus "$@" (KEY=VALUE words), then "--", then extra arguments
  # appended to the entrypoint (like a pod's args).
  start() {
    local env=("${image_env[@]}") args=("${image_args[@]}")
    while (($#)) && [ "$1" != -- ]; do env+=("$1"); shift; done
    (($#)) && shift
    args+=("$@")
    started_ns=$(date +%s%N)
    env -i "${env[@]}" "$chroot" --userspec="$uid:$gid" --groups="$gid" "$rootfs" \
      /usr/bin/env --chdir="$cwd" "${args[@]}" >"$work/server.log" 2>&1 &
    server=$!
  }
  stop() { # expected exit status
    kill -TERM "$server" 2>/dev/null || true
    local status=0
    wait "$server" || status=$?
    server=""
    [ "$status" = "${1:-0}" ]
  }
  ready_within() { # seconds; prints the milliseconds from the process's start to ready
    $client ready "$url/v2/health/ready" "$1" >/dev/null || { echo "not ready; server log:"; tail -5 "$work/server.log"; return 1; }
    echo $(( ($(date +%s%N) - started_ns) / 1000000 ))
  }

  echo "[image] $(jq -r '.process.args | join(" ")' "$work/bundle/config.json") as $uid:$gid in $cwd"

  # 1. Libraries: ldd inside the image finds everything the binary and the runtime need.
  #    The binary, the stubs and libpaddle.so (through its RUNPATH, $ORIGIN/../libs) as they are; paddle/libs/*
  #    with that folder on the search path, as in the process, where libpaddle.so has loaded its siblings first.
  missing=""; count=0
  libs=/opt/paddle-swift/runtime/paddle/libs
  for file in "$rootfs"/usr/local/bin/paddle-swift "$rootfs"/opt/paddle-swift/runtime/libpaddle_pystubs.so \
              "$rootfs"/opt/paddle-swift/runtime/paddle/base/libpaddle.so "$rootfs$libs"/*; do
    file=${file#"$rootfs"}; count=$((count + 1))
    search=""; [ "${file#"$libs"/}" != "$file" ] && search=$libs
    if ! out=$(env -i LD_LIBRARY_PATH="$search" "$chroot" "$rootfs" /usr/bin/ldd "$file" 2>&1); then
      missing+=" $file (ldd: $out)"; continue
    fi
    if grep -q "not found" <<<"$out"; then missing+=" $file: $(grep 'not found' <<<"$out" | awk '{print $1}' | xargs)"; fi
  done
  if [ -z "$missing" ]; then pass "ldd finds every library of $count files: the binary, libpaddle.so, the stubs, paddle/libs/*"
  else fail "ldd: not found:$missing"; fi

  # 2. The default entrypoint (the PP-OCR models and POST /v1/ocr) on 0.0.0.0:8080 without a token.
  start
  $client ready "$url/v2/health/live" 30 >/dev/null || true
  live_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
  if cold=$(ready_within 120); then
    pass "cold start: live after ${live_ms} ms, ready (3 PP-OCR models + the /v1/ocr pipeline loaded and warmed up) after ${cold} ms"
    echo "cold_start_ms=$cold" >>"$work/metrics"
  else
    fail "ready: $cold"
  fi
  pid=$server
  status_line=$(grep -E '^(Uid|CapEff)' /proc/$pid/status | xargs)
  if grep -q "^Uid:\s*$uid\s" /proc/$pid/status && grep -q "^CapEff:\s*0*$" /proc/$pid/status; then
    pass "runs as the image's user with no capabilities ($status_line)"
  else fail "user/capabilities: $status_line"; fi
  check "GET /v2/health/live" $client status GET "$url/v2/health/live" 200
  check "GET /v2/health/ready" $client status GET "$url/v2/health/ready" 200
  check "KServe v2 JSON infer (ch_ppocr_mobile_v2_cls_infer)" \
    $client infer "$url" ch_ppocr_mobile_v2_cls_infer "$work/x.npy" "$work/expected/softmax_0.tmp_0.npy"
  for image in en.jpg ch_en_num.jpg 12.jpg; do
    check "POST /v1/ocr $image (../shared/ocr)" \
      $client ocr "$url" "$work/shared/ocr/images/$image" "$work/shared/ocr/reference/$image.json"
  done
  check "repository API off without a token (0.0.0.0)" $client status POST "$url/v2/repository/index" 403
  # What the engine mapped: no libpython, and which of paddle/libs/* (deploy/runtime-libs.txt ships only those).
  python_maps=$(grep -i 'libpython' /proc/$pid/maps || true)
  if [ -z "$python_maps" ]; then pass "no libpython mapped"; else fail "libpython mapped: $python_maps"; fi
  mapped=$(grep -o '/opt/paddle-swift/runtime/[^ ]*\.so[^ ]*' /proc/$pid/maps | sort -u | xargs -n1 basename | xargs)
  unused=""
  for lib in "$rootfs"/opt/paddle-swift/runtime/paddle/libs/*; do
    grep -qw "$(basename "$lib")" <<<"$mapped" || unused+=" $(basename "$lib")"
  done
  if [ -z "$unused" ]; then pass "every shipped runtime library is mapped: $mapped"
  else fail "shipped but never mapped:$unused (mapped: $mapped)"; fi
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status); hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
  read -r utime stime < <(awk '{print $14, $15}' /proc/$pid/stat)
  echo "  info  memory after the checks: RSS $((rss / 1024)) MB, peak $((hwm / 1024)) MB; CPU $(( (utime + stime) * 10 )) ms (start-up + requests)"
  echo "rss_mb=$((rss / 1024))" >>"$work/metrics"; echo "peak_rss_mb=$((hwm / 1024))" >>"$work/metrics"

  # 3. SIGTERM with a request in flight: readiness false at once, the request finishes, exit 0.
  $client ocr "$url" "$work/shared/ocr/images/12.jpg" "$work/shared/ocr/reference/12.jpg.json" "$work/sent" \
    >"$work/inflight.log" 2>&1 &
  inflight=$!
  for _ in $(seq 500); do [ -e "$work/sent" ] && break; sleep 0.01; done
  sleep 0.1      # the request is sent; the server is reading it or already running it
  term_ns=$(date +%s%N)
  kill -TERM "$server"
  not_ready=""
  for _ in $(seq 100); do
    code=$($client status GET "$url/v2/health/ready" 200 2>/dev/null | awk '{print $1}' || true)
    if [ "$code" != 200 ]; then not_ready=$code; break; fi
    sleep 0.01
  done
  if [ -n "$not_ready" ]; then pass "readiness false while draining (answered ${not_ready/#0/no connection})"
  else fail "readiness still 200 one second after SIGTERM"; fi
  if wait "$inflight"; then pass "the request in flight at SIGTERM finished: $(cat "$work/inflight.log")"
  else fail "the request in flight at SIGTERM failed: $(cat "$work/inflight.log")"; fi
  exit_status=0; wait "$server" || exit_status=$?
  server=""
  drained_ms=$(( ($(date +%s%N) - term_ns) / 1000000 ))
  if [ "$exit_status" = 0 ]; then pass "SIGTERM: drained and exited 0 in $drained_ms ms"
  else fail "SIGTERM: exit status $exit_status; log: $(tail -3 "$work/server.log")"; fi

  # 3b. The command-line tool in the image: its version is the image's tag, and `waybill` reads a generated waybill
  #     (the divisions table is compiled into the binary: nothing beside it is needed).
  # The OCR image's models are in $PADDLE_SWIFT_HOME/models: serve and the CLI find them from the image's ENV alone.
  cli() { env -i "${image_env[@]}" "$chroot" --userspec="$uid:$gid" --groups="$gid" "$rootfs" /usr/bin/env --chdir="$cwd" paddle-swift "$@"; }
  # First line: "paddle-swift VERSION" (the engine's version follows on the next line).
  version=$(cli --version 2>&1 | head -1 | awk '{print $2}' || true)
  if [ "$version" = "$(cat "$work/tag")" ]; then pass "paddle-swift --version: $version (the image's tag)"
  else fail "paddle-swift --version printed '$version', the image's tag is $(cat "$work/tag")"; fi
  cp "$work/waybill.jpg" "$rootfs/tmp/waybill.jpg"
  expected=$(jq -r .waybill_number "$work/waybill.json")
  read_number=$(cli waybill --json /tmp/waybill.jpg 2>"$work/waybill.err" | jq -r .waybill_number || true)
  if [ -n "$expected" ] && [ "$read_number" = "$expected" ]; then pass "paddle-swift waybill: number $read_number (ground truth)"
  else fail "paddle-swift waybill read '$read_number', ground truth '$expected': $(tail -2 "$work/waybill.err")"; fi

  # 4. KServe layouts, with the ClusterServingRuntimes' arguments (read from deploy/kserve). The base image has no
  #    OCR models; here the OCR image stands in for it with PADDLE_SWIFT_OCR=off.
  #    With the runtime's environment too: its shutdown delay keeps the server answering after SIGTERM, readiness
  #    already false (503), before it drains.
  mount --bind -o ro "$work/kserve-flat" "$rootfs/mnt/models"
  mapfile -t kserve_args <"$work/kserve-flat.args"
  mapfile -t kserve_env <"$work/kserve-flat.env"
  start "${kserve_env[@]}" PADDLE_SWIFT_OCR=off -- "${kserve_args[@]}"
  if ms=$(ready_within 60); then
    pass "KServe flat /mnt/models (${kserve_args[*]}; ${kserve_env[*]}): ready in $ms ms"
    check "KServe flat: infer /v2/models/paddle-cls" \
      $client infer "$url" paddle-cls "$work/x.npy" "$work/expected/softmax_0.tmp_0.npy"
    usage "KServe flat, one small model"
    term_ns=$(date +%s%N)
    kill -TERM "$server"
    sleep 0.5
    check "KServe flat, SIGTERM + shutdown delay: /v2/health/ready answers 503" \
      $client status GET "$url/v2/health/ready" 503
    check "KServe flat, SIGTERM + shutdown delay: inference still served" \
      $client infer "$url" paddle-cls "$work/x.npy" "$work/expected/softmax_0.tmp_0.npy"
    exit_status=0; wait "$server" || exit_status=$?
    server=""
    if [ "$exit_status" = 0 ]; then pass "KServe flat: exited 0 $(( ($(date +%s%N) - term_ns) / 1000000 )) ms after SIGTERM"
    else fail "KServe flat: exit status $exit_status"; fi
  else fail "KServe flat: $ms"; stop 0 || true; fi
  umount "$rootfs/mnt/models"

  mount --bind -o ro "$work/kserve-repository" "$rootfs/mnt/models"
  mapfile -t kserve_args <"$work/kserve-repository.args"
  start PADDLE_SWIFT_OCR=off PADDLE_SWIFT_SHUTDOWN_DELAY=0 -- "${kserve_args[@]}"
  if ms=$(ready_within 60); then
    pass "KServe repository /mnt/models (${kserve_args[*]}): ready in $ms ms"
    check "KServe repository: infer /v2/models/cls (version 2 of 1, 2)" \
      $client infer "$url" cls "$work/x.npy" "$work/expected/softmax_0.tmp_0.npy"
  else fail "KServe repository: $ms"; fi
  stop 0 || fail "KServe repository: exit status"
  umount "$rootfs/mnt/models"

  # 5. The Kubernetes Deployment: its init container's script fills an emptyDir from the image, then the server
  #    runs with the Deployment's environment (deploy/kubernetes/base/deployment.yaml).
  mkdir -p "$work/emptydir"; chown "$uid:$gid" "$work/emptydir"
  if [ -d "$rootfs/var/lib/paddle-swift" ] && [ -d "$rootfs/etc/paddle-swift" ]; then
    mount --bind "$work/emptydir" "$rootfs/var/lib/paddle-swift"
    mount --bind -o ro "$work/configmap" "$rootfs/etc/paddle-swift"
    if env -i "${image_env[@]}" "$chroot" --userspec="$uid:$gid" --groups="$gid" "$rootfs" \
         /bin/sh -ec "$(cat "$work/init.script")" >"$work/init.log" 2>&1; then
      pass "Deployment init container (as $uid, read-only root): $(tail -1 "$work/init.log")"
    else fail "Deployment init container: $(tail -3 "$work/init.log")"; fi
    mapfile -t pod_env <"$work/pod.env"
    start "${pod_env[@]}" --
    if ms=$(ready_within 120); then
      pass "Deployment server (${pod_env[*]}): ready in $ms ms"
      check "Deployment: infer /v2/models/ch_ppocr_mobile_v2_cls_infer (repository in the emptyDir)" \
        $client infer "$url" ch_ppocr_mobile_v2_cls_infer "$work/x.npy" "$work/expected/softmax_0.tmp_0.npy"
      check "Deployment: POST /v1/ocr en.jpg" \
        $client ocr "$url" "$work/shared/ocr/images/en.jpg" "$work/shared/ocr/reference/en.jpg.json"
      check "Deployment: repository API off (empty token Secret)" $client status POST "$url/v2/repository/index" 403
      usage "Deployment pod after one OCR request"
    else fail "Deployment server: $ms"; fi
    stop 0 || fail "Deployment server: exit status"
  else
    fail "the image lacks /var/lib/paddle-swift or /etc/paddle-swift (mount points of the Deployment's volumes)"
  fi

  echo "passed=$passed" >>"$work/metrics"; echo "failed=$failed" >>"$work/metrics"
  exit 0
fi

# --- outside: unpack, prepare, enter the namespaces -----------------------------------------------------------
archive=${1:-$deploy/out/paddle-swift-ocr.oci.tar}
[ "$(id -u)" = 0 ] || { echo "test-image: needs root (unshare, chroot)" >&2; exit 1; }
[ -f "$archive" ] || { echo "test-image: no image archive $archive (run deploy/build-image.sh)" >&2; exit 1; }
[ -d "$shared/ocr/images" ] || { echo "test-image: no sample images in $shared/ocr/images" >&2; exit 1; }
for tool in umoci jq unshare chroot ip; do command -v $tool >/dev/null || { echo "test-image: needs $tool" >&2; exit 1; }; done

work=$(mktemp -d /tmp/paddle-swift-image-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
mkdir "$work/layout" "$work/expected" "$work/configmap"
tar -C "$work/layout" -xf "$archive"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$work/layout/index.json")
umoci unpack --image "$work/layout:$tag" "$work/bundle" >/dev/null
echo "test-image: $(basename "$archive") ($tag) unpacked in $(( $(date +%s) - started )) s"
echo "${tag%-*}" >"$work/tag"
# A generated waybill with its ground truth (tools/waybill-synth; scripts/test.sh has made the set already).
if [ ! -f "$repo/.waybills/wb-0000.jpg" ]; then
  bash "$repo/tools/waybill-synth/run.sh" --out "$work/waybill-set" --count 1 >/dev/null
  cp "$work/waybill-set/wb-0000.jpg" "$work/waybill.jpg"; cp "$work/waybill-set/wb-0000.json" "$work/waybill.json"
else
  cp "$repo/.waybills/wb-0000.jpg" "$work/waybill.jpg"; cp "$repo/.waybills/wb-0000.json" "$work/waybill.json"
fi
# The sample images, visible to the client inside the namespace (a read-only copy beside the clone in CI).
ln -s "$(cd "$shared" && pwd)" "$work/shared"

# The oracle: the classifier's output for the test input, computed by the engine outside the image.
$client input "$work/x.npy"
cls=$home/models/ppocrv4/ch_ppocr_mobile_v2_cls_infer
"${PADDLE_SWIFT_BINARY:-$repo/.build/release/paddle-swift}" run "$cls" --input "x=$work/x.npy" --output "$work/expected" >/dev/null

# KServe: a flat model folder and a versioned repository, and the runtimes' arguments ({{.Name}} = paddle-cls).
mkdir -p "$work/kserve-flat" "$work/kserve-repository/cls/1" "$work/kserve-repository/cls/2"
cp "$cls"/inference.* "$work/kserve-flat/"
cp "$cls"/inference.* "$work/kserve-repository/cls/1/"; cp "$cls"/inference.* "$work/kserve-repository/cls/2/"
echo 'pool_size: 1' >"$work/kserve-repository/cls/config.yaml"
chmod -R a+rX "$work/kserve-flat" "$work/kserve-repository"
$python_yaml - "$deploy" "$work" <<'PY'
import sys, yaml, pathlib
deploy, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
runtimes = {d["metadata"]["name"]: d for d in yaml.safe_load_all((deploy / "kserve/cluster-serving-runtime.yaml").read_text())}
for name, out in (("paddle-swift", "kserve-flat"), ("paddle-swift-repository", "kserve-repository")):
    container = runtimes[name]["spec"]["containers"][0]
    (work / f"{out}.args").write_text("".join(a.replace("{{.Name}}", "paddle-cls") + "\n" for a in container["args"]))
    (work / f"{out}.env").write_text("".join(f"{e['name']}={e['value']}\n" for e in container.get("env", [])))
deployment = yaml.safe_load((deploy / "kubernetes/base/deployment.yaml").read_text())
pod = deployment["spec"]["template"]["spec"]
init = pod["initContainers"][0]
(work / "init.script").write_text(init["args"][0])
env = [f"{e['name']}={e.get('value', '')}" for e in pod["containers"][0]["env"] if "value" in e]
(work / "pod.env").write_text("".join(e + "\n" for e in env))
config = yaml.safe_load((deploy / "kubernetes/base/configmap.yaml").read_text())
for key, value in config["data"].items():
    (work / "configmap" / key).write_text(value)
PY
chmod -R a+rX "$work/configmap" "$work/expected" "$work/x.npy"
chmod 755 "$work"

unshare --fork --pid --mount --net --mount-proc --propagation private "$0" --inside "$work" | tee "$work/output"
# shellcheck disable=SC1091
. "$work/metrics" 2>/dev/null || true
passed=${passed:-0}; failed=${failed:-1}
echo "test-image: ${passed} passed, ${failed} failed in $(( $(date +%s) - started )) s (cold start to ready ${cold_start_ms:-?} ms, RSS ${rss_mb:-?} MB, peak ${peak_rss_mb:-?} MB)"
[ "$failed" = 0 ]
