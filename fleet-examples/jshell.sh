#!/usr/bin/env sh
# Opens JShell with Fleet for Java on the class path and runs fleet-examples/fleet.jsh.
#   fleet-examples/jshell.sh            the walkthrough, then the jshell> prompt
#   fleet-examples/jshell.sh --batch    the walkthrough only (exits; what the test runs)
#   fleet-examples/jshell.sh --empty    just the prompt, with the library on the class path
# Works on a fresh clone: it compiles the modules first (quietly, without tests).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mode=${1:-}
if [ "${FLEET_JSHELL_NO_BUILD:-}" != 1 ]; then
  (cd "$root" && mvn -B -q -pl fleet-examples -am compile -Dspotless.check.skip=true)
fi
cp="$(cat "$here/target/classpath.txt"):$here/target/classes"
jshell=jshell
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jshell" ]; then jshell="$JAVA_HOME/bin/jshell"; fi
# Quiet logging in the jshell's execution JVM (warnings only).
opts="-R-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
case "$mode" in
  --batch) printf '/exit\n' | exec "$jshell" $opts --class-path "$cp" "$here/fleet.jsh" ;;
  --empty) exec "$jshell" $opts --class-path "$cp" ;;
  *) exec "$jshell" $opts --class-path "$cp" "$here/fleet.jsh" ;;
esac
