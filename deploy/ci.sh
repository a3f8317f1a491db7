#!/usr/bin/env bash
# Everything CI checks about deployment, in one command (called by scripts/test.sh; needs root):
#
#   1. the runtime and models (scripts/setup.sh, idempotent) and the release binary with a static Swift stdlib;
#   2. the manifests, offline: the Kustomize renders (kubectl kustomize), kubernetes-validate on every Kubernetes
#      manifest and render (strict, against Kubernetes 1.29 and 1.37), the KServe resources against the kserve
#      SDK's models, and negative controls proving each check rejects a broken manifest;
#   3. the image: deploy/build-image.sh (the root filesystem is cached outside the clone), its size (<= 1.0 GB
#      uncompressed with the PP-OCR models), the Containerfile's settings against the built image (no engine can
#      build it here), and deploy/test-image.sh, which runs the image as a container would.
#
# Ends with "deploy: N passed, M failed" and exits non-zero if anything failed. Logs: deploy/out/ci/.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
deploy=$repo/deploy
cd "$repo"
logs=$deploy/out/ci
mkdir -p "$logs"
venv=${DEPLOY_VENV:-$deploy/.venv-validate}
started=$(date +%s)
passed=0; failed=0

# Runs one check: its output goes to deploy/out/ci/NAME.log; its last lines are shown when it fails.
step() { # name command...
  local name=$1; shift
  local t0=$(date +%s) status=0
  "$@" >"$logs/$name.log" 2>&1 || status=$?
  local took=$(( $(date +%s) - t0 ))
  if [ $status = 0 ]; then
    passed=$((passed + 1)); printf 'deploy: ok    %-28s %4d s\n' "$name" "$took"
  else
    failed=$((failed + 1)); printf 'deploy: FAIL  %-28s %4d s (exit %d; %s)\n' "$name" "$took" "$status" "$logs/$name.log"
    tail -15 "$logs/$name.log" | sed 's/^/    /'
  fi
  return $status
}

# 1. Set-up and the release binary ----------------------------------------------------------------------------
step setup bash scripts/setup.sh
step release-binary swift build -c release --product paddle-swift -Xswiftc -static-stdlib
binary_ok=$?

# 2. Manifests, offline ------------------------------------------------------------------------------------------
make_venv() {
  local stamp=$venv/.installed-1          # bump with the pins below
  if [ ! -f "$stamp" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check kubernetes-validate==1.37.0 kubernetes==37.0.2 \
      six==1.17.0 PyYAML==6.0.3
    # Only the SDK's models are used: not its server's dependencies (FastAPI, gRPC, NumPy...).
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps kserve==0.21.0
    touch "$stamp"
  fi
  "$venv/bin/kubernetes-validate" --version
}
step validation-tools make_venv

render() {
  command -v kubectl >/dev/null || { echo "kubectl (client) is needed for 'kubectl kustomize'"; return 1; }
  kubectl version --client 2>/dev/null | sed -n '1,2p'
  kubectl kustomize deploy/kubernetes >"$logs/render-base.yaml" \
    && kubectl kustomize deploy/kubernetes/pvc-repository >"$logs/render-pvc-repository.yaml" \
    && grep -c '^kind:' "$logs/render-base.yaml" "$logs/render-pvc-repository.yaml"
}
step kustomize-render render

kubernetes_validate() {
  local files
  # Every manifest (Kustomize files and patches are checked through the renders, which apply them).
  mapfile -t files < <(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml ! -name '*-patch.yaml' | sort)
  files+=("$logs/render-base.yaml" "$logs/render-pvc-repository.yaml")
  for version in 1.29.0 1.37.0; do
    "$venv/bin/kubernetes-validate" --strict -k "$version" "${files[@]}" || return 1
  done
}
step kubernetes-validate kubernetes_validate

# Every image tag the manifests and docs name is the package's version (deploy/build-image.sh tags with it).
version_tags() {
  local version wrong
  version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/PaddleInference/Runtime/PaddleSwiftVersion.swift)
  [ -n "$version" ] || { echo "no version in PaddleSwiftVersion.swift"; return 1; }
  # (an upgrade example, `kubectl set image`, names the next version on purpose)
  wrong=$(grep -rnE 'paddle-swift:[0-9]+\.[0-9]+\.[0-9]+' deploy/Containerfile deploy/kubernetes deploy/kserve docs README.md \
    | grep -v 'set image' | grep -E "paddle-swift:([0-9.]+)" | grep -vE "paddle-swift:${version//./\\.}([^.0-9]|$)" || true)
  [ -z "$wrong" ] || { echo "tags other than $version:"; echo "$wrong"; return 1; }
  echo "every image tag is $version"
}
step version-tags version_tags

step kserve-validate "$venv/bin/python" deploy/validate_kserve.py deploy/kserve/*.yaml

negative_controls() {
  local bad=$logs/negative
  mkdir -p "$bad"
  # A misspelt field, and a number given as a string, in the Deployment.
  sed 's/^  minReadySeconds: 5$/  minReadySecond: 5/' deploy/kubernetes/base/deployment.yaml >"$bad/deployment-field.yaml"
  sed 's/terminationGracePeriodSeconds: 45$/terminationGracePeriodSeconds: "45"/' deploy/kubernetes/base/deployment.yaml \
    >"$bad/deployment-type.yaml"
  for file in "$bad/deployment-field.yaml" "$bad/deployment-type.yaml"; do
    cmp -s "$file" deploy/kubernetes/base/deployment.yaml && { echo "the mutation of $file did not apply"; return 1; }
    if "$venv/bin/kubernetes-validate" --strict -k 1.37.0 "$file"; then
      echo "kubernetes-validate accepted $file"; return 1
    fi
  done
  # A misspelt field and a wrong type in an InferenceService; a runtime nobody defines.
  sed 's/storageUri:/storageURI:/; s/minReplicas: 1/minReplicas: "1"/' deploy/kserve/inferenceservice-pvc.yaml >"$bad/isvc.yaml"
  sed 's/runtime: paddle-swift-repository/runtime: paddle-swift-nope/' deploy/kserve/inferenceservice-repository.yaml >"$bad/isvc-runtime.yaml"
  cmp -s "$bad/isvc.yaml" deploy/kserve/inferenceservice-pvc.yaml && { echo "the InferenceService mutation did not apply"; return 1; }
  cmp -s "$bad/isvc-runtime.yaml" deploy/kserve/inferenceservice-repository.yaml && { echo "the runtime mutation did not apply"; return 1; }
  for file in "$bad/isvc.yaml" "$bad/isvc-runtime.yaml"; do
    if "$venv/bin/python" deploy/validate_kserve.py deploy/kserve/cluster-serving-runtime.yaml "$file"; then
      echo "validate_kserve.py accepted $file"; return 1
    fi
  done
  echo "each check rejected its broken manifest"
}
step negative-controls negative_controls

# 3. The image ----------------------------------------------------------------------------------------------------
if [ "$binary_ok" = 0 ]; then
  step build-image bash deploy/build-image.sh --variant ocr && image_ok=0 || image_ok=1
  sed -n '/^layer /,/^total /p' "$logs/build-image.log" | sed 's/^/    /'
  grep -E 'root filesystem' "$logs/build-image.log" | sed 's/^/    /'
  if [ "$image_ok" = 0 ]; then
    size_check() {
      local bytes; bytes=$(cat deploy/out/paddle-swift-ocr.size)
      echo "uncompressed size $((bytes / 1000000)) MB (target <= 1000 MB)"
      [ "$bytes" -le 1000000000 ]
    }
    step image-size size_check
    step containerfile-consistency python3 deploy/check_containerfile.py deploy/Containerfile deploy/image-env.txt \
      deploy/out/paddle-swift-ocr.oci.tar
    PYTHON_YAML="$venv/bin/python" step test-image bash deploy/test-image.sh deploy/out/paddle-swift-ocr.oci.tar
    grep -E '^  (ok|FAIL|info) ' "$logs/test-image.log" | sed 's/^/  /'
    tail -1 "$logs/test-image.log" | sed 's/^/    /'
    # Count the image's checks one by one (the step itself was counted once above).
    if counts=$(grep -oE '^test-image: [0-9]+ passed, [0-9]+ failed' "$logs/test-image.log"); then
      read -r image_passed image_failed < <(sed -E 's/test-image: ([0-9]+) passed, ([0-9]+) failed/\1 \2/' <<<"$counts")
      if [ "$image_failed" = 0 ]; then passed=$((passed - 1)); else failed=$((failed - 1)); fi
      passed=$((passed + image_passed)); failed=$((failed + image_failed))
    fi
  fi
else
  failed=$((failed + 1)); echo "deploy: FAIL  image steps skipped: no release binary"
fi

echo "deploy: $(( $(date +%s) - started )) s"
echo "deploy: $passed passed, $failed failed"
[ "$failed" = 0 ]
