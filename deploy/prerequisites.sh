#!/usr/bin/env bash
# Installs what UniSettle needs on a Debian machine and is missing: Java 17, Maven, the
# PostgreSQL server, curl, kcat (the tests publish as an outside Kafka client would), wrk (the
# bench's HTTP load generator) and Chromium with its driver (the console's browser tests).
# Needs root (or sudo) only when something is missing.
set -euo pipefail

need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v curl >/dev/null || need+=(curl)
command -v kcat >/dev/null || need+=(kcat)
command -v wrk >/dev/null || need+=(wrk)
# The console's browser tests drive Debian's Chromium through its chromedriver.
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-microhei)  # 化学学院 on screen
if ((${#need[@]} == 0)); then exit 0; fi

SUDO=""
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "missing: ${need[*]}; install them as root" >&2; exit 1; }
  SUDO=sudo
fi
echo "[prerequisites] installing ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts its own cluster on 5432 after installing; ours runs on its own port, so that one
# is left alone (and costs nothing when it is stopped).
