#!/usr/bin/env bash
# Installs every build, test and bench dependency of CASM from Debian's
# packages. Idempotent: it installs only what is missing, and touches the
# network only when something is. Used by the README's commands and .ci/run.
set -euo pipefail

packages=(
  build-essential cmake git pkg-config ca-certificates
  libcaf-dev                       # CAF 0.17.6: core, io, openssl headers
  libcaf-io0.17 libcaf-openssl0.17 # the middleman (BASP) and its TLS module: casm node
  nlohmann-json3-dev libyaml-cpp-dev libsimdjson-dev libgit2-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libssl-dev
  libhyperscan-dev                 # multi-pattern scanning (reviewer, policy)
  libcurl4-openssl-dev libcpp-httplib-dev
  bubblewrap                       # validation sandbox
  python3-jsonschema               # tests validate proof artifacts
  ripgrep git-secrets              # bench peers
)

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps.sh: missing packages (${missing[*]}) and not root; run as root or install them." >&2
    exit 2
  fi
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
