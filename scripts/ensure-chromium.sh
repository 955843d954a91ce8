#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; never a downloaded browser build.
exec bash "$(dirname "$0")/ensure-debian-package.sh" /usr/bin/chromium chromium 'the browser tests'
