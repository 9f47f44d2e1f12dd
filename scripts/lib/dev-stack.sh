# Sourced by scripts/quickstart, scripts/emulator and scripts/dev-pulumi: where the dev stack's local pieces
# live. Everything is inside the repository and git-ignored:
#   .pulumi-state/   the local file backend holding the dev stack's state
#   .quickstart/     the emulator's SQLite data, log and pid file
# The emulator listens where the dev stack's fivetran:apiUrl points (read from stacks/Pulumi.dev.yaml).
# DEV_PASSPHRASE guards only the dev stack's dummy secrets and is published; it is passed to pulumi per command,
# never exported into the user's shell.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR="$ROOT/.quickstart"
PID_FILE="$RUN_DIR/emulator.pid"
DEV_BACKEND_URL="file://$ROOT/.pulumi-state"
DEV_PASSPHRASE=dev-passphrase

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

dev_port() {
  "$ROOT/venv/bin/python" - "$ROOT/stacks/Pulumi.dev.yaml" <<'PY'
import sys, urllib.parse, yaml
url = yaml.safe_load(open(sys.argv[1]))["config"]["fivetran:apiUrl"]
print(urllib.parse.urlsplit(url).port)
PY
}

emulator_serves() {  # emulator_serves PORT
  "$ROOT/venv/bin/python" - "$1" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/__emulator/requests", timeout=1)
except Exception:
    sys.exit(1)
PY
}

pulumi_bin_dir() {  # the directory of the CLI the project uses (building it if needed), on stdout
  "$ROOT/scripts/install-pulumi" --print-bin-dir 2>/dev/null || "$ROOT/scripts/install-pulumi" | tail -n 1
}

with_dev_env() {  # with_dev_env COMMAND...: run COMMAND with the dev stack's backend and passphrase (only it)
  PULUMI_BACKEND_URL="$DEV_BACKEND_URL" PULUMI_CONFIG_PASSPHRASE="$DEV_PASSPHRASE" PULUMI_SKIP_UPDATE_CHECK=true \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true "$@"
}
