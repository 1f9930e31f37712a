#!/usr/bin/env bash
# A private MariaDB instance for tests and benchmarks, under one folder, listening on loopback only.
#
#   build/mariadb.sh start <dir>   initialise (first time) and start it; prints PROV_TEST_MYSQL=<connection string>
#   build/mariadb.sh stop <dir>    shut it down cleanly and wait until the process has gone
#
# Port: 13306, or $PROV_MYSQL_PORT. The test user `prov` gets a new random password on every start and may
# create and drop databases (the store tests make one database per test). Needs mariadb-server installed
# (apt-get install -y mariadb-server); the system's own MariaDB service is neither used nor touched.
set -euo pipefail

usage() { echo "usage: $0 start|stop <dir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
data=$dir/data
sock=$dir/mariadb.sock
pidfile=$dir/mariadb.pid
port=${PROV_MYSQL_PORT:-13306}
deadline_s=${PROV_MYSQL_DEADLINE:-60}

# As root the server runs as the mysql user (it refuses to run as root); otherwise as the caller.
if [ "$(id -u)" -eq 0 ]; then run_as=(--user=mysql); owner=mysql; else run_as=(); owner=$(id -un); fi

client() { mariadb --no-defaults --protocol=socket --socket="$sock" -uroot "$@"; }

running_pid() {
    [ -s "$pidfile" ] || return 1
    local pid; pid=$(cat "$pidfile")
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Polls until "$@" succeeds or the deadline passes; a short poll interval, never a fixed wait.
wait_until() {
    local what=$1; shift
    local end=$((SECONDS + deadline_s))
    until "$@"; do
        if [ $SECONDS -ge $end ]; then echo "mariadb.sh: $what did not happen within ${deadline_s}s (log: $dir/mariadb.err)" >&2; return 1; fi
        sleep 0.1
    done
}

server_answers() { mariadb-admin --no-defaults --protocol=socket --socket="$sock" -uroot ping >/dev/null 2>&1; }
server_gone() { [ -z "$(running_pid || true)" ] && ! kill -0 "$1" 2>/dev/null; }

start() {
    command -v mariadbd >/dev/null || { echo "mariadb.sh: mariadbd not found; install it with: apt-get install -y mariadb-server" >&2; exit 1; }
    if ! running_pid >/dev/null; then
        if [ "$owner" = mysql ]; then
            chown mysql:mysql "$dir"
            # The server must reach its folder through every parent directory.
            runuser -u mysql -- test -w "$dir" || {
                echo "mariadb.sh: the mysql user cannot write to $dir (a parent folder is private?); use a folder the mysql user can reach, e.g. under /var/tmp" >&2; exit 1; }
        fi
        if [ ! -d "$data/mysql" ]; then
            mkdir -p "$data"; chown "$owner" "$data"
            mariadb-install-db --no-defaults "${run_as[@]}" --datadir="$data" --auth-root-authentication-method=normal \
                --skip-test-db >"$dir/install.log" 2>&1 || { echo "mariadb.sh: mariadb-install-db failed; see $dir/install.log" >&2; exit 1; }
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "mariadb.sh: port $port on 127.0.0.1 is already in use; set PROV_MYSQL_PORT to a free port" >&2; exit 1
        fi
        nohup mariadbd --no-defaults "${run_as[@]}" --datadir="$data" --socket="$sock" --pid-file="$pidfile" \
            --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --log-error="$dir/mariadb.err" \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_bin >/dev/null 2>&1 &
        wait_until "the server answering on $sock" server_answers
    fi
    local password; password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    client <<SQL
CREATE USER IF NOT EXISTS 'prov'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER 'prov'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL ON *.* TO 'prov'@'127.0.0.1';
SQL
    echo "PROV_TEST_MYSQL=Server=127.0.0.1;Port=$port;User ID=prov;Password=$password;"
}

stop() {
    local pid
    pid=$(running_pid) || { echo "mariadb.sh: no server running under $dir" >&2; return 0; }
    mariadb-admin --no-defaults --protocol=socket --socket="$sock" -uroot shutdown >/dev/null 2>&1 || kill -TERM "$pid"
    wait_until "the server (pid $pid) exiting" server_gone "$pid"
}

case $action in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
