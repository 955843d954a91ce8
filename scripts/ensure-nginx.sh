#!/usr/bin/env bash
# The reverse proxy test (test/http/proxy.test.ts) runs Debian's nginx in front of Plaza, with deploy/nginx.conf.
exec bash "$(dirname "$0")/ensure-debian-package.sh" /usr/sbin/nginx nginx-light 'the reverse proxy test'
