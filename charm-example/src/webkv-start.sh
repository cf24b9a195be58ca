#!/bin/sh
# webkv-start: written into the container by the webkv charm; Pebble runs it as the webkv
# service. It starts webkv-server, waits until the server answers, tells the charm with a
# Pebble custom notice, then stays in the foreground for as long as the server runs.
#
# Everything it needs comes from the service's environment (the charm's Pebble layer), so a
# local simulator can map the paths:
#   WEBKV_SERVER        the webkv-server binary
#   WEBKV_CONFIG        its configuration file
#   WEBKV_PORT          the port it listens on
#   WEBKV_PEBBLE        the pebble binary Juju provides in the container
#   WEBKV_READY_TRIES   how many one-second probes to wait for the server (default 60)
set -u
: "${WEBKV_SERVER:?not set}" "${WEBKV_CONFIG:?not set}" "${WEBKV_PORT:?not set}"
: "${WEBKV_PEBBLE:=pebble}" "${WEBKV_READY_TRIES:=60}"

"$WEBKV_SERVER" --config "$WEBKV_CONFIG" &
server=$!
# Pebble stops the service with SIGTERM: pass it on to the server, then wait for it below.
trap 'kill -TERM "$server" 2>/dev/null' TERM INT

tries=0
until "$WEBKV_SERVER" probe "http://127.0.0.1:$WEBKV_PORT/health" >/dev/null 2>&1; do
    if ! kill -0 "$server" 2>/dev/null; then
        wait "$server"
        status=$?
        echo "webkv-start: webkv-server exited during startup (status $status)" >&2
        exit "$status"
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge "$WEBKV_READY_TRIES" ]; then
        echo "webkv-start: webkv-server did not answer on port $WEBKV_PORT after $tries tries" >&2
        kill -TERM "$server" 2>/dev/null
        wait "$server"
        exit 1
    fi
    sleep 1
done

# The charm finishes its work when this notice reaches it (no defer, no polling).
if ! "$WEBKV_PEBBLE" notify webkv.example.com/ready "port=$WEBKV_PORT"; then
    echo "webkv-start: could not notify Pebble; the unit will not report ready" >&2
fi

# `wait` returns early (above 128) when a trapped signal arrives: wait again until the
# server has really exited, and exit with its status.
while :; do
    wait "$server"
    status=$?
    if ! kill -0 "$server" 2>/dev/null; then
        exit "$status"
    fi
done
