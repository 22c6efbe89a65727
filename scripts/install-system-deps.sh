#!/usr/bin/env bash
# Debian packages CARL-TS needs beyond Node.js. Safe to re-run; does nothing when all are present
# or when not root / not Debian (then it only says what is missing).
set -euo pipefail
packages=(python3 make g++)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "system packages missing (install them for the native kernels): ${missing[*]}" >&2
fi
