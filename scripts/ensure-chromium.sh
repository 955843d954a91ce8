#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; never a downloaded browser build. They also read pages in Chinese, which
# Chromium draws as empty boxes without a CJK font: WenQuanYi Micro Hei is Debian's smallest (1.6 MB).
set -euo pipefail
here=$(dirname "$0")
bash "$here/ensure-debian-package.sh" /usr/bin/chromium chromium 'the browser tests'
bash "$here/ensure-debian-package.sh" /usr/share/fonts/truetype/wqy/wqy-microhei.ttc fonts-wqy-microhei 'the browser tests in Chinese'
