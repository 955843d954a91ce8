#!/usr/bin/env bash
# Usage: ensure-debian-package.sh FILE PACKAGE WHAT-NEEDS-IT
# Installs Debian's PACKAGE when FILE, a program or file it provides, is missing (needs root and apt); never downloads
# anything else.
set -euo pipefail
file=$1 package=$2 needed_by=$3
if [ -e "$file" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's $package for $needed_by..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  exit 0
fi
echo "$file is missing ($needed_by use it). Install it with: sudo apt-get install $package" >&2
exit 1
