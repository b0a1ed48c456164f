#!/usr/bin/env bash
# Chromium from Debian's packages, for the report's browser test (tests/integration/test_report_browser.py)
# and the docs' screenshot (tools/report_example.py). Installs it only where /usr/bin/chromium is missing, with
# apt-get (CI and the developers' machines run as root; elsewhere sudo without a password, or nothing).
# It never fails the build: where Chromium cannot be installed, it says so and the browser test is skipped
# with that reason.
set -uo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium: no apt-get on this machine: the browser test will be skipped" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo -n"
fi
echo "install_chromium: installing Debian's chromium (apt-get)"
if ! { $sudo apt-get update -qq \
       && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            chromium fonts-dejavu-core >/dev/null; }; then
  echo "install_chromium: could not install chromium: the browser test will be skipped" >&2
fi
exit 0
