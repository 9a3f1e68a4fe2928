# Shared by the scripts that make this project's Python environments (Training/setup-venv.sh,
# Benchmarks/setup-venv.sh, Distributed/setup.sh); source it from the repository root. A venv
# records what it was made for in .requirements-stamp, so a second run that wants the same is a no-op.

# venv_up_to_date VENV WANTED: when VENV was made for WANTED, says so and prints its python.
venv_up_to_date() {
  [ -x "$1/bin/python" ] && [ -f "$1/.requirements-stamp" ] && [ "$(cat "$1/.requirements-stamp")" = "$2" ] || return 1
  echo "$1 is up to date" >&2
  echo "$PWD/$1/bin/python"
}

# venv_create VENV: the venv (with ${PYTHON:-python3}), unless it exists.
venv_create() {
  [ -x "$1/bin/python" ] || "${PYTHON:-python3}" -m venv "$1"
}

# venv_pip VENV ARGS…: that venv's pip, quietly.
venv_pip() {
  local venv=$1; shift
  "$venv/bin/python" -m pip --disable-pip-version-check -q "$@"
}

# venv_done VENV WANTED: records WANTED and prints the venv's python (the callers' last line).
venv_done() {
  printf '%s\n' "$2" > "$1/.requirements-stamp"
  echo "$PWD/$1/bin/python"
}
