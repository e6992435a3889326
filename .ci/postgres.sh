# Sourced by .ci/run: a throwaway PostgreSQL server on loopback for the tests that share an
# Optuna study through a real database (tests/training/test_sweeps.py).
#
#   postgres_start   installs Debian's postgresql package, creates a cluster in a temporary
#                    directory, starts it on a free port of 127.0.0.1, creates a database and
#                    exports LSTMKIT_TEST_POSTGRES_URL=postgresql://lstmkit:PASSWORD@127.0.0.1:PORT/lstmkit_test
#   postgres_stop    stops the server and removes the directory (safe to call twice; .ci/run
#                    calls it from an EXIT trap, so it runs on failure too)
#
# Run by hand:  source .ci/postgres.sh && postgres_start && ... && postgres_stop

PG_DIR=""
PG_BIN=""

_pg_as_owner() {
  # initdb and the server refuse to run as root: run them as the postgres user then.
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_pg_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "+ apt-get install -y postgresql"
  $sudo apt-get install -y -q postgresql >/dev/null \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q postgresql >/dev/null; }
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ -x "$PG_BIN/initdb" ] || { echo "postgresql installed no initdb under $PG_BIN" >&2; return 1; }
}

postgres_start() {
  _pg_install
  PG_DIR=$(mktemp -d /tmp/lstmkit-pg.XXXXXX)
  local password port
  password=$(python -c "import secrets; print(secrets.token_hex(16))")
  port=$(python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  printf '%s\n' "$password" > "$PG_DIR/pwfile"
  chmod 600 "$PG_DIR/pwfile"
  [ "$(id -u)" = 0 ] && chown -R postgres "$PG_DIR"
  echo "+ initdb + pg_ctl start: PostgreSQL on 127.0.0.1:$port in $PG_DIR"
  _pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U lstmkit --auth=scram-sha-256 \
    --pwfile="$PG_DIR/pwfile" -E UTF8 --no-locale >"$PG_DIR/initdb.log" \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$PG_DIR" start \
    >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
  PGPASSWORD=$password "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U lstmkit lstmkit_test
  export LSTMKIT_TEST_POSTGRES_URL="postgresql://lstmkit:$password@127.0.0.1:$port/lstmkit_test"
}

postgres_stop() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    echo "+ pg_ctl stop"
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
      _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$PG_DIR"
  fi
  PG_DIR=""
  unset LSTMKIT_TEST_POSTGRES_URL
}
