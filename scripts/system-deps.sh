#!/bin/sh
# System packages the Python dependencies build against (ICU for PyICU, used by name
# transliteration). Installs them with apt-get when they are missing and we are root.
set -e
if pkg-config --exists icu-uc 2>/dev/null && command -v c++ >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ICU headers and a C++ compiler (libicu-dev pkg-config g++)..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null
else
  echo "Accord needs ICU development headers: run 'sudo apt-get install libicu-dev pkg-config g++' first." >&2
  exit 1
fi
