#!/usr/bin/env bash
# Makes sure the services the tests need are installed and answering: Redis, PostgreSQL, ffmpeg,
# rtsp-server-perl. Quick and idempotent: does nothing when all is already there. Never stops or
# flushes a running service (other projects may share it).
set -euo pipefail

log() { echo "[services] $*"; }
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server redis-tools)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v rtsp-server-perl >/dev/null 2>&1 || missing+=(rtsp-server-perl)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)  # validates docker-compose.yml (tools/deploy-check)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)  # page tests (playwright-core drives the system's browser)
command -v python3 >/dev/null 2>&1 || missing+=(python3)  # the earlier system's client re-created in Python (api-proxy tests)
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing: ${missing[*]} and no apt-get here; install them by hand"; exit 1
  fi
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting redis"
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  log "starting postgresql"
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  for _ in $(seq 1 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.1; done
fi

# A fresh Debian install has no role for the current user and may ask for a password on 127.0.0.1.
me=$(id -un)
if ! psql -h 127.0.0.1 -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  log "creating role $me and trusting local connections"
  su postgres -c "psql -Atc \"select 1 from pg_roles where rolname='$me'\" | grep -q 1 || createuser -s $me" || true
  hba=$(su postgres -c "psql -Atc 'show hba_file'")
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    su postgres -c "psql -Atc 'select pg_reload_conf()'" >/dev/null
  fi
fi

redis-cli -h 127.0.0.1 ping >/dev/null && pg_isready -h 127.0.0.1 -q && log "redis, postgresql, ffmpeg, rtsp-server-perl, chromium ready"
