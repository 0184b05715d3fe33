#!/bin/sh
# Test-only system packages: Chromium, to check the patient page in a real headless browser.
# Installs them with Debian's apt-get where they are missing (as root, else through sudo).
set -e
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo"; fi
echo "tests: installing Chromium from Debian's packages" >&2
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
