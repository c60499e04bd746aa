#!/usr/bin/env bash
# Smoke test of scripts/dev-cluster.sh, run by hand (not part of ./jango test):
# up, create a topic, produce one record and consume it back with Kafka's console tools (same jars),
# SELECT 1 against PostgreSQL (psql if present, else JDBC), down. Exit 0 = PASS.
# JANGO_SMOKE_JDBC=1 uses JDBC even if psql is present. Ports: the same env as dev-cluster.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DC="$ROOT/scripts/dev-cluster.sh"
STATE="${JANGO_DEV_CLUSTER_DIR:-$ROOT/.dev-cluster}"
t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
step() { echo "== $*"; }

was_running=0
"$DC" status >/dev/null 2>&1 && was_running=1
cleanup() { if [ "$was_running" -eq 0 ]; then step "down"; "$DC" down; fi; }
trap cleanup EXIT

step "up"
t0=$(date +%s.%N); "$DC" up; echo "(up took $(elapsed "$t0") s)"
eval "$("$DC" env)"
# The same JDK the cluster script picks (it exports nothing, so find it the same way).
JAVA="$(bash -c 'source <(sed -n "/^java_major()/,/^}/p;/^find_jdk()/,/^}/p" "$1"); echo "$(find_jdk)/bin/java"' _ "$DC")"
CP="$JANGO_DEV_CLUSTER_LIB/*"
LOG4J=(-Dlog4j2.configurationFile="$ROOT/scripts/dev-cluster/log4j2.properties" -Dkafka.logs.dir="$STATE/kafka/logs/tools")
TOPIC="jango-smoke-$$-$RANDOM"
MSG="hello-jango-$(date +%s%N)"

step "kafka: create topic $TOPIC on $JANGO_KAFKA"
t0=$(date +%s.%N)
"$JAVA" "${LOG4J[@]}" -cp "$CP" org.apache.kafka.tools.TopicCommand --bootstrap-server "$JANGO_KAFKA" \
  --create --topic "$TOPIC" --partitions 1 --replication-factor 1
step "kafka: produce '$MSG'"
echo "$MSG" | "$JAVA" "${LOG4J[@]}" -cp "$CP" org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$JANGO_KAFKA" \
  --topic "$TOPIC"   # acks=all is the default
step "kafka: consume"
got=$("$JAVA" "${LOG4J[@]}" -cp "$CP" org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$JANGO_KAFKA" \
  --topic "$TOPIC" --from-beginning --max-messages 1 --timeout-ms 30000 2>"$STATE/smoke-consumer.err" || true)
echo "consumed: '$got'"
if [ "$got" != "$MSG" ]; then cat "$STATE/smoke-consumer.err" >&2; echo "FAIL: consumed '$got', expected '$MSG'" >&2; exit 1; fi
echo "(kafka round trip took $(elapsed "$t0") s)"

step "postgres: SELECT 1 on $JANGO_POSTGRES"
t0=$(date +%s.%N)
if command -v psql >/dev/null 2>&1 && [ -z "${JANGO_SMOKE_JDBC:-}" ]; then
  one=$(PGPASSWORD=jango PGCONNECT_TIMEOUT=10 psql -h 127.0.0.1 -p "$JANGO_PG_PORT" -U jango -d jango -XAtc 'SELECT 1')
  echo "psql: SELECT 1 -> $one"
  [ "$one" = 1 ] || { echo "FAIL: SELECT 1 gave '$one'" >&2; exit 1; }
else
  "$JAVA" -cp "$JANGO_DEV_CLUSTER_LIB/$(cd "$JANGO_DEV_CLUSTER_LIB" && ls postgresql-*.jar | head -n1)" \
    "$ROOT/scripts/dev-cluster/PgProbe.java" "$JANGO_POSTGRES"
fi
echo "(postgres check took $(elapsed "$t0") s)"

cleanup; trap - EXIT
echo "PASS: dev cluster smoke test in $(elapsed "$t_start") s"
