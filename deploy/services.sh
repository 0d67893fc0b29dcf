#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the tests (and a local `dalil serve`)
# need are running on this machine: starts them when they are stopped, and on
# Debian or Ubuntu installs them first when they are missing. Elsewhere it says
# exactly what is missing. Prints the TEST_DATABASE_URL / TEST_REDIS_URL to use
# as `export` lines on stdout (everything else goes to stderr).
set -euo pipefail

say() { echo "services: $*" >&2; }

PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_HOST=127.0.0.1
REDIS_PORT=6379

need_install=()
have() { command -v "$1" >/dev/null 2>&1; }

pg_up() { have pg_isready && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() {
	if have redis-cli; then
		[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
	else
		(exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" && printf 'PING\r\n' >&3 && read -r -t 2 reply <&3 && [[ $reply == +PONG* ]]) 2>/dev/null
	fi
}

install_debian() {
	if ! have apt-get; then
		say "missing: ${need_install[*]}. Install PostgreSQL 15+ (with contrib: pg_trgm, unaccent) listening on 127.0.0.1:5432 and Redis 7 on 127.0.0.1:6379, or set TEST_DATABASE_URL and TEST_REDIS_URL."
		exit 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		say "missing: ${need_install[*]}; run as root (or: sudo apt-get install -y ${need_install[*]})"
		exit 1
	fi
	say "installing ${need_install[*]} with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq "${need_install[@]}" >&2
}

have pg_ctlcluster || have postgres || need_install+=(postgresql postgresql-contrib)
have redis-server || need_install+=(redis-server redis-tools)
if ! pg_up || ! redis_up; then
	if [ ${#need_install[@]} -gt 0 ]; then install_debian; fi
fi

if ! pg_up && [ -z "${TEST_DATABASE_URL:-}" ]; then
	say "starting PostgreSQL"
	if have pg_ctlcluster; then
		for v in $(ls /etc/postgresql); do
			pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 || true
		done
	fi
	for _ in $(seq 1 30); do pg_up && break; sleep 1; done
	pg_up || { say "PostgreSQL did not start on 127.0.0.1:5432 (see /var/log/postgresql/)"; exit 1; }
fi

# The tests connect over TCP as postgres without a password (trust, as on CI
# machines). A fresh Debian install asks for a password there: give postgres
# a local development password and use it.
if have psql && ! psql "$PG_URL" -Atqc 'select 1' >/dev/null 2>&1; then
	if [ -z "${TEST_DATABASE_URL:-}" ] && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
		say "PostgreSQL refuses password-less TCP logins; setting a local password for role postgres"
		su postgres -c "psql -qc \"ALTER ROLE postgres PASSWORD 'postgres'\"" >&2
		PG_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable
	fi
	psql "$PG_URL" -Atqc 'select 1' >/dev/null || { say "cannot log in to PostgreSQL at $PG_URL (set TEST_DATABASE_URL)"; exit 1; }
fi

if ! redis_up && [ -z "${TEST_REDIS_URL:-}" ]; then
	say "starting Redis"
	mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
	redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
		--dir /tmp --logfile /tmp/dalil-redis.log >&2
	for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
	redis_up || { say "Redis did not start on $REDIS_HOST:$REDIS_PORT (see /tmp/dalil-redis.log)"; exit 1; }
fi

echo "export TEST_DATABASE_URL='$PG_URL'"
echo "export TEST_REDIS_URL='${TEST_REDIS_URL:-redis://$REDIS_HOST:$REDIS_PORT/0}'"
