#!/usr/bin/env bash
# A factory line's batch script: provisions the device on each port given, one after another, by calling
# provisioning_client once per device and reading its exit code (the guide's Table 4 code). Each device gets its own
# log file; every outcome is appended to a CSV; a device whose transfer broke off (36) is tried once more, and its
# firmware resumes where it stopped.
#
#   PROV_STATION_TOKEN=... examples/factory-line.sh -s 192.168.0.10 -B 1000 --config-alias=kite_170 \
#       --ca-certificate=ca.crt -- /dev/ttyUSB0 /dev/ttyUSB1 /dev/ttyUSB2
#
# Options up to "--" go to every call of provisioning_client; the ports follow. Environment:
#   PROVISIONING_CLIENT  the client to run (default: provisioning_client on the PATH)
#   LOG_DIR              the folder for one log per port (default: ./logs)
#   RESULTS              the CSV the outcomes are appended to (default: ./results.csv)
#   RETRIES              how often a device that ended with 36 is tried again (default: 1)
# Exit code: 0 when every device passed, 1 when one failed, 3 when the script is called wrongly.
set -u

client=${PROVISIONING_CLIENT:-provisioning_client}
log_dir=${LOG_DIR:-./logs}
results=${RESULTS:-./results.csv}
retries=${RETRIES:-1}

options=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do options+=("$1"); shift; done
if [ "${1:-}" != "--" ] || [ $# -lt 2 ]; then
    echo "usage: $0 [provisioning_client options] -- PORT [PORT ...]" >&2
    exit 3
fi
shift

# What an operator does about each code (the guide's Tables 4 and 5, shortened).
meaning() {
    case $1 in
        0) echo "passed" ;;
        3) echo "invalid arguments: check this script's options" ;;
        4|68) echo "no device: check the cable, the port and the power" ;;
        36|37|39|40|41|42) echo "device problem: keep the log and set the device aside" ;;
        38|43|44|101|102) echo "check the config ID or alias and the package on the server" ;;
        100) echo "server unreachable: check the server and the network" ;;
        108) echo "file unavailable: check the server's file repository" ;;
        *) echo "code $1: keep the log and report it" ;;
    esac
}

mkdir -p "$log_dir"
[ -s "$results" ] || echo "time,port,exit_code,meaning" > "$results"
passed=0
failed=0
for port in "$@"; do
    log="$log_dir/$(printf '%s' "$port" | tr -c 'A-Za-z0-9.-' '_').log"
    attempt=0
    while :; do
        "$client" -d "$port" "${options[@]}" --logfile="$log"
        code=$?
        if [ "$code" -eq 36 ] && [ "$attempt" -lt "$retries" ]; then
            attempt=$((attempt + 1))
            echo "$port: the transfer broke off (36); trying again (attempt $((attempt + 1)))"
            continue
        fi
        break
    done
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ),$port,$code,$(meaning "$code")" >> "$results"
    if [ "$code" -eq 0 ]; then
        passed=$((passed + 1))
        echo "$port: passed"
    else
        failed=$((failed + 1))
        echo "$port: FAILED with $code ($(meaning "$code")); log: $log"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
