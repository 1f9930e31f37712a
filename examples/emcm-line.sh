#!/usr/bin/env bash
# An eMCM meter line's batch script (guide D.3, the kv2c flow): runs emcm_factory once per meter and operation and reads
# its exit code (the guide's Table 4 code).
#
#   At the board fixture, over serial:
#     examples/emcm-line.sh PRETEST -s 192.168.2.35 -g 192.168.6.77 -B 1000 --config-alias=82JX570141 \
#         --ca-certificate=ca.crt -- /dev/ttyUSB0 /dev/ttyUSB1
#   After assembly, at the WECO station, through each meter's optical port:
#     CALIBRATE=./weco-calibrate.sh examples/emcm-line.sh WECO -b 9600 --wrapper=opt_psem -s 192.168.2.35 \
#         -g 192.168.6.77 -B 1000 --config-alias=82JX570141 --ca-certificate=ca.crt -- /dev/ttyUSB4 /dev/ttyUSB5
#
# The first argument is the operation: PRETEST, CHECKCONFIG or POSTTEST (one each per meter), or WECO: per meter
# CHECKCONFIG, then the calibration and test ($CALIBRATE, given the port), then POSTTEST; a meter that fails one step
# goes no further. Options up to "--" go to every call of emcm_factory; the ports follow. Every operation is safe to
# repeat, so a meter whose link broke off (36, 68) is tried once more. Environment:
#   EMCM_FACTORY  the command to run (default: emcm_factory on the PATH; "provisioning_client emcm_factory" works too)
#   CALIBRATE     WECO only: the calibration and test run between CHECKCONFIG and POSTTEST (default: none)
#   LOG_DIR       the folder for one log per port and operation (default: ./logs)
#   RESULTS       the CSV the outcomes are appended to (default: ./results.csv)
#   RETRIES       how often an operation that ended with 36 or 68 is run again (default: 1)
#   PROV_STATION_TOKEN, PROV_OPTICAL_PASSWORD  as for emcm_factory
# Exit code: 0 when every meter passed, 1 when one failed, 3 when the script is called wrongly.
set -u

read -r -a factory <<< "${EMCM_FACTORY:-emcm_factory}"
calibrate=${CALIBRATE:-}
log_dir=${LOG_DIR:-./logs}
results=${RESULTS:-./results.csv}
retries=${RETRIES:-1}

operation=$(printf '%s' "${1:-}" | tr '[:lower:]' '[:upper:]')
[ $# -gt 0 ] && shift
options=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do options+=("$1"); shift; done
case $operation in
    PRETEST|CHECKCONFIG|POSTTEST|WECO) ;;
    *) operation= ;;
esac
if [ -z "$operation" ] || [ "${1:-}" != "--" ] || [ $# -lt 2 ]; then
    echo "usage: $0 PRETEST|CHECKCONFIG|POSTTEST|WECO [emcm_factory options] -- PORT [PORT ...]" >&2
    exit 3
fi
shift

# What an operator does about each code (the guide's Tables 4 and 5, shortened).
meaning() {
    case $1 in
        0) echo "passed" ;;
        3) echo "invalid arguments or wrong meter (partial MCM ID): check the options and the label" ;;
        4|68) echo "no answer: check the cable or optical probe, the port and the power" ;;
        36|37|39|40|41|42|69|72) echo "device problem: keep the log and set the meter aside" ;;
        38|70) echo "verification failed: check the config ID or alias and the package on the server" ;;
        43|44|75|76|101|102) echo "check the config ID or alias and the package on the server" ;;
        100) echo "server unreachable: check the server and the network" ;;
        108) echo "file unavailable: check the server's file repository" ;;
        132) echo "gateway unreachable: check the gateway runs and can be reached" ;;
        134) echo "did not join the factory network: check the AP and the antenna, then run POSTTEST again" ;;
        164) echo "no meter: check the eMCM is seated and the meter is powered and configured" ;;
        *) echo "code $1: keep the log and report it" ;;
    esac
}

# Runs one operation on one meter (again after 36 or 68, up to RETRIES times); records and prints the outcome.
run() {
    local port=$1 op=$2 attempt=0 code
    local log="$log_dir/$(printf '%s' "$port" | tr -c 'A-Za-z0-9.-' '_')-$(printf '%s' "$op" | tr '[:upper:]' '[:lower:]').log"
    while :; do
        "${factory[@]}" -d "$port" "${options[@]}" --logfile="$log" "$op"
        code=$?
        if { [ "$code" -eq 36 ] || [ "$code" -eq 68 ]; } && [ "$attempt" -lt "$retries" ]; then
            attempt=$((attempt + 1))
            echo "$port: $op broke off ($code); running it again (attempt $((attempt + 1)))"
            continue
        fi
        break
    done
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ),$port,$op,$code,$(meaning "$code")" >> "$results"
    if [ "$code" -ne 0 ]; then
        echo "$port: $op FAILED with $code ($(meaning "$code")); log: $log"
    fi
    return "$code"
}

mkdir -p "$log_dir"
[ -s "$results" ] || echo "time,port,operation,exit_code,meaning" > "$results"
passed=0
failed=0
for port in "$@"; do
    ok=1
    if [ "$operation" = WECO ]; then
        if ! run "$port" CHECKCONFIG; then
            ok=0
        elif [ -n "$calibrate" ] && ! $calibrate "$port"; then
            echo "$(date -u +%Y-%m-%dT%H:%M:%SZ),$port,CALIBRATE,1,calibration and test failed" >> "$results"
            echo "$port: calibration and test FAILED; no POSTTEST"
            ok=0
        elif ! run "$port" POSTTEST; then
            ok=0
        fi
    elif ! run "$port" "$operation"; then
        ok=0
    fi
    if [ "$ok" -eq 1 ]; then
        passed=$((passed + 1))
        echo "$port: passed"
    else
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
