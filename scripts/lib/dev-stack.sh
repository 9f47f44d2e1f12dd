# Sourced by scripts/quickstart, scripts/emulator and scripts/dev-pulumi: where the dev stack's local pieces
# live. Everything is inside the repository and git-ignored:
#   .pulumi-state/   the local file backend holding the dev stack's state
#   .quickstart/     the emulator's SQLite data (fivetran.db), log, pid file and the port it listens on
# The emulator listens on 127.0.0.1:18765, or on the port last chosen with `--port` (remembered in
# .quickstart/port); pulumi reaches it through FIVETRAN_API_URL, which these scripts set for each command, so no
# tracked file names the port.
# DEV_PASSPHRASE guards only the dev stack's dummy secrets and is published; it is passed to pulumi per command,
# never exported into the user's shell.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR="$ROOT/.quickstart"
PID_FILE="$RUN_DIR/emulator.pid"
PORT_FILE="$RUN_DIR/port"
DB_FILE="$RUN_DIR/fivetran.db"
DEFAULT_PORT=18765
DEV_BACKEND_URL="file://$ROOT/.pulumi-state"
DEV_PASSPHRASE=dev-passphrase

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

host_python() {  # the venv's Python once there is one (the scripts need nothing but the standard library)
  if [ -x "$ROOT/venv/bin/python" ]; then echo "$ROOT/venv/bin/python"; else echo "${PYTHON:-python3}"; fi
}

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

dev_port() {  # the dev emulator's port: the one chosen last with --port, else 18765
  local port
  port=$(cat "$PORT_FILE" 2>/dev/null || true)
  if valid_port "$port"; then echo "$port"; else echo "$DEFAULT_PORT"; fi
}

port_owner() {  # port_owner PORT: free | ours PID | emulator PID DB | taken (scripts/lib/port_owner.py)
  "$(host_python)" "$ROOT/scripts/lib/port_owner.py" "$1" "$DB_FILE"
}

emulator_pid() {  # the pid of this clone's emulator, from the pid file, when that process still runs the emulator
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  ps -p "$pid" -o command= 2>/dev/null | grep -q fivetran_emulator || return 1
  echo "$pid"
}

dev_stack_exists() {  # the local backend holds a dev stack (it does not once a quick start failed before `up`)
  compgen -G "$ROOT/.pulumi-state/.pulumi/stacks/*/dev.json*" >/dev/null \
    || compgen -G "$ROOT/.pulumi-state/.pulumi/stacks/dev.json*" >/dev/null
}

pulumi_bin_dir() {  # the directory of the CLI the project uses (building it if needed), on stdout
  "$ROOT/scripts/install-pulumi" --print-bin-dir 2>/dev/null || "$ROOT/scripts/install-pulumi" | tail -n 1
}

with_dev_env() {  # with_dev_env COMMAND...: run COMMAND with the dev stack's backend, passphrase and emulator (only it)
  PULUMI_BACKEND_URL="$DEV_BACKEND_URL" PULUMI_CONFIG_PASSPHRASE="$DEV_PASSPHRASE" PULUMI_STACK=dev \
    PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    FIVETRAN_API_URL="http://127.0.0.1:$(dev_port)/v1" "$@"
}
