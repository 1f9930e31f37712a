#!/usr/bin/env bash
# A private 3-node MariaDB Galera cluster for tests and benchmarks, under one folder, on loopback only.
#
#   build/galera.sh start <dir>   initialise (first time) and start the nodes that are not running; prints
#                                 PROV_TEST_GALERA_NODE<n>=<connection string of node n> for n = 1..3, then
#                                 PROV_TEST_GALERA=<connection string naming all three nodes, in order>
#   build/galera.sh stop <dir>    shut every node down cleanly and wait until the processes have gone
#
# Node n listens on 127.0.0.n (the whole 127/8 is loopback on Linux), all on one port, so that one MySqlConnector
# connection string can list the nodes (Server=127.0.0.1,127.0.0.2,127.0.0.3;Load Balance=FailOver) and fail over:
#   port P    (SQL)   $PROV_GALERA_PORT, default 13450
#   port P+1  Galera group communication,  P+2  incremental state transfer (IST),  P+3  full state transfer (rsync SST)
# Node 1 starts a new cluster when none of the three is running (it is stopped last, so it holds the newest state);
# the others join it and copy its state. A node killed (kill -9 $(cat <dir>/node<n>/mariadb.pid)) rejoins on the
# next start. The test user `prov` gets a new random password on every start and may create and drop databases.
# Needs mariadb-server with galera-4 and rsync (apt-get install -y mariadb-server galera-4 rsync).
set -euo pipefail

usage() { echo "usage: $0 start|stop <dir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
port=${PROV_GALERA_PORT:-13450}
deadline_s=${PROV_GALERA_DEADLINE:-90}
provider=${PROV_GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
nodes=(1 2 3)

if [ "$(id -u)" -eq 0 ]; then run_as=(--user=mysql); owner=mysql; else run_as=(); owner=$(id -un); fi

node_dir() { echo "$dir/node$1"; }
address() { echo "127.0.0.$1"; }
sock() { echo "$(node_dir "$1")/mariadb.sock"; }
client() { local n=$1; shift; mariadb --no-defaults --protocol=socket --socket="$(sock "$n")" -uroot "$@"; }

running_pid() {
    local pidfile; pidfile=$(node_dir "$1")/mariadb.pid
    [ -s "$pidfile" ] || return 1
    local pid; pid=$(cat "$pidfile")
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

wait_until() {
    local what=$1; shift
    local end=$((SECONDS + deadline_s))
    until "$@"; do
        if [ $SECONDS -ge $end ]; then echo "galera.sh: $what did not happen within ${deadline_s}s (logs: $dir/node*/mariadb.err)" >&2; return 1; fi
        sleep 0.2
    done
}

# Synced: the node is in the primary component and has applied everything it was sent.
node_synced() {
    [ "$(client "$1" -N -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)" = Synced ]
}
node_gone() { [ -z "$(running_pid "$1" || true)" ] && ! kill -0 "$2" 2>/dev/null; }

write_config() {
    local n=$1 nd; nd=$(node_dir "$n")
    local a; a=$(address "$n")
    cat >"$nd/my.cnf" <<CNF
[mariadbd]
datadir=$nd/data
socket=$nd/mariadb.sock
pid-file=$nd/mariadb.pid
log-error=$nd/mariadb.err
port=$port
bind-address=$a
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_bin
default-storage-engine=InnoDB
innodb-buffer-pool-size=64M
performance-schema=OFF
# What Galera needs: row-based replication, interleaved auto-increment locks, and the triggers of the schema scripts
# may be created without SUPER.
binlog-format=ROW
innodb-autoinc-lock-mode=2
log-bin-trust-function-creators=1
wsrep-on=ON
wsrep-provider=$provider
wsrep-cluster-name=prov_galera_$port
wsrep-cluster-address=gcomm://127.0.0.1:$((port + 1)),127.0.0.2:$((port + 1)),127.0.0.3:$((port + 1))
wsrep-node-name=node$n
wsrep-node-address=$a
wsrep-sst-method=rsync
wsrep-sst-receive-address=$a:$((port + 3))
# A node that stops answering is dropped from the cluster after 3-6 s (defaults 5-15 s), so the others go on sooner.
wsrep-provider-options=gmcast.listen_addr=tcp://$a:$((port + 1));ist.recv_addr=$a:$((port + 2));gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S
CNF
}

start_node() {
    local n=$1 bootstrap=$2 nd; nd=$(node_dir "$n")
    mkdir -p "$nd"
    [ "$owner" = mysql ] && chown mysql:mysql "$dir" "$nd"
    if [ ! -d "$nd/data/mysql" ]; then
        mkdir -p "$nd/data"; chown "$owner" "$nd/data"
        mariadb-install-db --no-defaults "${run_as[@]}" --datadir="$nd/data" --auth-root-authentication-method=normal \
            --skip-test-db >"$nd/install.log" 2>&1 || { echo "galera.sh: mariadb-install-db failed; see $nd/install.log" >&2; exit 1; }
    fi
    write_config "$n"
    local extra=()
    if [ "$bootstrap" = yes ]; then
        extra=(--wsrep-new-cluster)
        # This script stops node 1 last; after a kill the state is a test's own, so node 1 may always found the cluster.
        [ -f "$nd/data/grastate.dat" ] && sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$nd/data/grastate.dat"
    fi
    if (exec 3<>"/dev/tcp/$(address "$n")/$port") 2>/dev/null; then
        echo "galera.sh: port $port on $(address "$n") is already in use; set PROV_GALERA_PORT to a free port" >&2; exit 1
    fi
    nohup mariadbd --defaults-file="$nd/my.cnf" "${run_as[@]}" "${extra[@]}" >/dev/null 2>&1 &
    wait_until "node $n reaching Synced" node_synced "$n"
}

start() {
    command -v mariadbd >/dev/null || { echo "galera.sh: mariadbd not found; install it with: apt-get install -y mariadb-server galera-4 rsync" >&2; exit 1; }
    [ -f "$provider" ] || { echo "galera.sh: the Galera provider $provider is missing; install it with: apt-get install -y galera-4" >&2; exit 1; }
    command -v rsync >/dev/null || { echo "galera.sh: rsync (for state transfer) is missing; install it with: apt-get install -y rsync" >&2; exit 1; }
    if [ "$owner" = mysql ]; then
        runuser -u mysql -- test -x "$dir/.." || {
            echo "galera.sh: the mysql user cannot reach $dir (a parent folder is private?); use a folder under /var/tmp" >&2; exit 1; }
    fi
    local any=no n
    for n in "${nodes[@]}"; do running_pid "$n" >/dev/null && any=yes; done
    for n in "${nodes[@]}"; do
        running_pid "$n" >/dev/null && continue
        if [ $any = no ]; then start_node "$n" yes; any=yes; else start_node "$n" no; fi
    done
    local first=""
    for n in "${nodes[@]}"; do node_synced "$n" && { first=$n; break; }; done
    [ -n "$first" ] || { echo "galera.sh: no node is Synced" >&2; exit 1; }
    local password; password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    # Accounts replicate: made once, on one node.
    client "$first" <<SQL
CREATE USER IF NOT EXISTS 'prov'@'127.0.0.%' IDENTIFIED BY '$password';
ALTER USER 'prov'@'127.0.0.%' IDENTIFIED BY '$password';
GRANT ALL ON *.* TO 'prov'@'127.0.0.%';
SQL
    for n in "${nodes[@]}"; do echo "PROV_TEST_GALERA_NODE$n=Server=$(address "$n");Port=$port;User ID=prov;Password=$password;"; done
    echo "PROV_TEST_GALERA=Server=127.0.0.1,127.0.0.2,127.0.0.3;Port=$port;Load Balance=FailOver;User ID=prov;Password=$password;"
}

stop() {
    local n pid stopped=no
    # Node 1 last: it then holds the newest state and founds the cluster on the next start.
    for n in 3 2 1; do
        pid=$(running_pid "$n") || continue
        stopped=yes
        mariadb-admin --no-defaults --protocol=socket --socket="$(sock "$n")" -uroot shutdown >/dev/null 2>&1 || kill -TERM "$pid"
        wait_until "node $n (pid $pid) exiting" node_gone "$n" "$pid"
    done
    [ $stopped = yes ] || echo "galera.sh: no node running under $dir" >&2
}

case $action in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
