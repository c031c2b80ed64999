# Sourced by stack.sh and services.sh: whether the process a pid file names is still running.
#
# `kill -0` is not enough: it succeeds on a zombie (a killed process its parent has not reaped
# yet; where PID 1 does not reap, one stays so), and on an unrelated process that was given the
# same pid later. A process runs when /proc says it is neither a zombie nor dead, and its command
# line is the one we started.

# proc_state PID: the one-letter state from /proc/PID/stat (R, S, D, T, Z, X, ...), or nothing.
proc_state() {
  [[ -r "/proc/$1/stat" ]] || return 0
  # the command name, in parentheses, may hold spaces and parentheses: the state follows the last ')'
  sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null || true
}

# pid_running PIDFILE WHAT: the pid file names a live process whose command line contains WHAT.
pid_running() {
  [[ -f "$1" ]] || return 1
  local pid state
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  state="$(proc_state "$pid")"
  [[ -n "$state" && "$state" != Z && "$state" != X && "$state" != x ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# pid_gone PID: the process has exited (a zombie counts as exited: it runs no more).
pid_gone() {
  local state
  state="$(proc_state "$1")"
  [[ -z "$state" || "$state" == Z || "$state" == X || "$state" == x ]]
}
