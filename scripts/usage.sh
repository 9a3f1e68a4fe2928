# Sourced by the scripts for --help: `usage "$0"` prints the script's header comment (from
# line 2 to its `set -euo pipefail`), whether or not the script has changed directory since.
usage() {
  local script=$1
  [[ -f $script ]] || script=$OLDPWD/$1
  sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//'
}
