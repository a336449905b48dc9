package io.fleet.api.deploy;

import io.fleet.api.spi.Command;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every command the deployer sends to a NixOS host, in one place. This class is the contract
 * between the deployer ({@code io.fleet.transport.Deployer}), the testkit's {@code FakeHost} (which
 * interprets exactly these commands), real systemd hosts (proven end to end against systemd 252 in
 * {@code systemd-nspawn} containers), and the NixOS module that ships the boot-time watchdog. It
 * lives in {@code fleet-api} rather than in {@code fleet-transport} because the testkit depends on
 * the API only and must match these exact scripts.
 *
 * <h2>Rules</h2>
 *
 * <ul>
 *   <li>Every command is an argv ({@link Command}); transports quote it with {@code Shell.join}.
 *   <li>Where several steps run in one round trip, the command is {@code sh -c <SCRIPT> sh <arg1>
 *       <arg2> …}: {@code SCRIPT} is one of the constants below (never built from data) and every
 *       variable datum is a positional argument. Lists of store paths travel on standard input, one
 *       per line (store paths never contain a newline), because a closure can exceed what one SSH
 *       exec request or one argv may carry.
 *   <li>Scripts are POSIX {@code sh}; they print {@code key=value} lines on standard output; errors
 *       go to standard error prefixed with {@code fleet:}.
 * </ul>
 *
 * <h2>Fixed locations</h2>
 *
 * <ul>
 *   <li>System profile {@value #PROFILE} (generations {@code system-<N>-link}).
 *   <li>State directory {@value #STATE_DIR}; rollback marker {@value #MARKER}: line 1 the previous
 *       generation number, line 2 the previous profile's system path, line 3 the deployment id,
 *       line 4 the boot id when it was written, line 5 the system the host ran then. Written to a
 *       temporary file in the same directory and renamed, so it is never half written.
 *   <li>Scripts that systemd runs ({@link #ROLLBACK_SCRIPT}, {@link #ACTIVATION_WRAPPER}) are files
 *       in the state directory, installed by {@link #arm}; systemd's command lines carry only their
 *       path and data escaped for systemd's {@code $}/{@code %} expansion, so no script text is
 *       ever exposed to it.
 *   <li>Transient watchdog {@value #WATCHDOG_UNIT}{@code .timer}/{@code .service}, started by
 *       {@link #arm}; immediate rollback units {@value #ROLLBACK_UNIT}{@code -<random>}; activation
 *       units {@value #ACTIVATE_UNIT}{@code -<random>} (the last one's name in {@code
 *       /var/lib/fleet/activation.unit}).
 *   <li>Boot-time watchdog {@value #BOOT_WATCHDOG_UNIT}{@code .timer}/{@code .service}: shipped by
 *       the NixOS module (not started by the deployer). It must be wanted by {@code timers.target},
 *       fire {@code OnBootSec=} the rollback window after boot, and run {@link #ROLLBACK_SCRIPT}
 *       with {@code /bin/sh -c}. It covers the case where the host reboots while a deployment is
 *       armed (transient timers do not survive a reboot, the marker does). {@link #confirm} stops
 *       it.
 * </ul>
 *
 * <h2>A deployment, round trip by round trip</h2>
 *
 * <ol>
 *   <li>{@link #status} with the closure's paths on stdin (preflight: generation, systems, boot id,
 *       free space, marker, missing paths);
 *   <li>(the copy) optionally {@link #substitute}, then {@link #importPaths} streaming the missing
 *       paths;
 *   <li>for a host that builds its own system, {@link #realise} of the system's derivation;
 *   <li>{@link #arm}: marker, watchdog timer, and for {@code boot}/{@code switch} the profile;
 *   <li>{@link #activate}: {@code switch-to-configuration} under {@code systemd-run --wait}, its
 *       output captured on the host and sent back;
 *   <li>{@link #confirm} over a new connection (after optional health checks).
 * </ol>
 *
 * <p>When activation or a check fails and the host is reachable, {@link #rollbackNow} runs the
 * rollback at once; when it is not, the watchdog runs {@link #ROLLBACK_SCRIPT} when its window
 * ends. {@link #revert} rolls back a host that was already confirmed (the opt-in fleet policy).
 * After a lost connection the deployer reconnects and runs {@link #status} with empty stdin.
 *
 * <p>Every change of the marker and every stop of a watchdog timer happens under {@value #LOCK} and
 * only after checking that the marker names the deployment doing it, so a late confirmation or
 * rollback of one deployment can never disarm another's watchdog.
 *
 * <p>Requirements on the host: NixOS (or any systemd host; proven against systemd 252), coreutils,
 * util-linux ({@code flock}), {@code nix-store}/{@code nix-env} on {@code PATH}.
 */
public final class HostProtocol {
  private HostProtocol() {}

  /** The system profile. */
  public static final String PROFILE = "/nix/var/nix/profiles/system";

  /** The deployer's state directory on the host. */
  public static final String STATE_DIR = "/var/lib/fleet";

  /** The rollback marker. */
  public static final String MARKER = "/var/lib/fleet/rollback-marker";

  /** The transient watchdog unit name (timer and service). */
  public static final String WATCHDOG_UNIT = "fleet-rollback-watchdog";

  /** The boot-time watchdog unit name (timer and service) that the NixOS module installs. */
  public static final String BOOT_WATCHDOG_UNIT = "fleet-rollback-boot";

  /** The name prefix of the units that run an immediate rollback. */
  public static final String ROLLBACK_UNIT = "fleet-rollback";

  /** The name prefix of the units that run {@code switch-to-configuration}. */
  public static final String ACTIVATE_UNIT = "fleet-activate";

  /**
   * The lock ({@code flock}, util-linux) that arming, every rollback and confirmation hold, so they
   * never interleave.
   */
  public static final String LOCK = "/var/lib/fleet/rollback.lock";

  /** The public host key file, read by {@link #hostKey()}. */
  public static final String HOST_KEY_PUB = "/etc/ssh/ssh_host_ed25519_key.pub";

  /** Exit code of {@link #arm}/{@link #status}-based refusals: a marker already exists. */
  public static final int EXIT_MARKER_EXISTS = 3;

  /** Exit code of {@link #confirm}: no marker left, the host was rolled back (by the watchdog). */
  public static final int EXIT_NO_MARKER = 3;

  /** Exit code of {@link #confirm}/{@link #rollbackNow}: the marker names another deployment. */
  public static final int EXIT_OTHER_DEPLOYMENT = 4;

  /** Where {@link #ARM_SCRIPT} installs {@link #ROLLBACK_SCRIPT} for the systemd units to run. */
  public static final String ROLLBACK_FILE = "/var/lib/fleet/rollback.sh";

  /** Where {@link #ARM_SCRIPT} installs {@link #ACTIVATION_WRAPPER}. */
  public static final String ACTIVATION_FILE = "/var/lib/fleet/activate.sh";

  /**
   * The output (stdout and stderr) of the last activation, written by {@link #ACTIVATION_WRAPPER}.
   */
  public static final String ACTIVATION_LOG = "/var/lib/fleet/activation.log";

  /** The exit code of the last activation; absent while it runs (or if it never started). */
  public static final String ACTIVATION_EXIT = "/var/lib/fleet/activation.exit";

  /**
   * The result of the last rollback that {@link #ROLLBACK_SCRIPT} performed: line 1 the deployment
   * id of the marker it acted on, line 2 the exit code of the previous generation's {@code
   * switch-to-configuration switch}, line 3 who ran it ({@code deployer}, {@code watchdog} or
   * {@code boot-watchdog}).
   */
  public static final String ROLLBACK_RESULT = "/var/lib/fleet/rollback.result";

  /** The output of the last rollback's {@code nix-env} and {@code switch-to-configuration}. */
  public static final String ROLLBACK_LOG = "/var/lib/fleet/rollback.log";

  /** How much of the end of {@link #ACTIVATION_LOG} the host sends back (bytes). */
  public static final int ACTIVATION_OUTPUT_LIMIT = 4096;

  /**
   * The start of every script sent over SSH: the fixed locations, and {@code e}, which every datum
   * passed on a {@code systemd-run} command line goes through, and {@code uniq}, which makes a
   * fresh unit name: {@code systemd-run --wait --collect} can return while systemd still holds the
   * finished unit, and starting one of the same name then fails ("already loaded") for a long time
   * (seen with systemd 252), so every activation and rollback unit has a name of its own. systemd
   * expands {@code $VAR} and {@code ${VAR}} in the command lines it runs ({@code $$} is a literal
   * {@code $}; {@code %} is left alone in transient units, as systemd 252 shows), so {@code e}
   * doubles every {@code $}. The scripts systemd runs are never on its command line at all: they
   * are files ({@link #ROLLBACK_FILE}, {@link #ACTIVATION_FILE}).
   */
  private static final String PRELUDE =
      """
      set -f
      p=/nix/var/nix/profiles/system
      d=/var/lib/fleet
      m=/var/lib/fleet/rollback-marker
      e() { printf '%s' "$1" | sed 's/[$]/$$/g'; }
      uniq() { echo "$1-$(cut -c1-8 /proc/sys/kernel/random/uuid)"; }
      """;

  /** The function {@code state}: the key=value lines that describe the host after a change. */
  private static final String STATE =
      """
      state() {
        l=$(readlink "$p"); g=${l#system-}; g=${g%-link}
        echo "generation=$g"
        echo "profile=$(readlink -f "$p")"
        echo "current=$(readlink -f /run/current-system)"
        echo "boot-id=$(cat /proc/sys/kernel/random/boot_id)"
        if [ -f "$m" ]; then
          echo "marker=$(sed -n 1p "$m")|$(sed -n 2p "$m")|$(sed -n 3p "$m")|$(sed -n 4p "$m")|$(sed -n 5p "$m")"
        fi
        if [ -f "$d/rollback.result" ]; then
          r=$(sed -n 2p "$d/rollback.result")
          echo "last-rollback=$(sed -n 1p "$d/rollback.result")|$r|$(sed -n 3p "$d/rollback.result")"
          if [ "$r" != 0 ]; then tail -c 4096 "$d/rollback.log" 2>/dev/null | sed 's/^/rollback-log=/'; fi
        fi
        if [ -f "$d/activation.exit" ]; then
          echo "activation-exit=$(cat "$d/activation.exit")"
          tail -c 4096 "$d/activation.log" 2>/dev/null | sed 's/^/activation-log=/'
        fi
      }
      """;

  /** Takes the lock {@value #LOCK} on file descriptor 9 (released by {@code exec 9>&-} or exit). */
  private static final String LOCKED =
      """
      mkdir -p "$d"
      exec 9>"$d/rollback.lock"
      flock 9
      """;

  /**
   * Prints the host's state. Reads store paths on stdin, one per line, and prints each one the
   * host's store does not hold as {@code missing=<path>}. Output keys: {@code generation} (the
   * profile's generation number), {@code profile} (the profile's system path), {@code current}
   * ({@code /run/current-system}), {@code boot-id}, {@code marker} (the marker's five lines joined
   * by {@code |}; absent when there is no marker), {@code last-rollback} ({@code <id>|<exit>|<by>}
   * of the last rollback, with {@code rollback-log} lines when its activation failed), {@code
   * activation-exit} and {@code activation-log} lines (the last activation's exit code and the end
   * of its output, once it has finished), {@code free-bytes} (available in {@code /nix/store}),
   * {@code activating} ({@code yes} while the last activation unit runs), {@code rolling-back}
   * ({@code yes} while a watchdog or rollback service runs), {@code zstd} ({@code yes} when {@code
   * zstd} is on the host's {@code PATH}, so {@link #importCompressed} can be used), then the {@code
   * missing} lines.
   */
  public static final String STATUS_SCRIPT =
      PRELUDE
          + STATE
          + """
          state
          echo "free-bytes=$(df -P -B1 /nix/store | awk 'NR==2{print $4}')"
          u=$(cat "$d/activation.unit" 2>/dev/null)
          if [ -n "$u" ] && systemctl is-active --quiet "$u.service"; then echo activating=yes;\
           else echo activating=no; fi
          if systemctl is-active --quiet fleet-rollback-watchdog.service fleet-rollback-boot.service\
           || systemctl list-units --no-legend --plain --state=activating,active\
           'fleet-rollback-*.service' | grep -q .; then echo rolling-back=yes;\
           else echo rolling-back=no; fi
          if command -v zstd >/dev/null 2>&1; then echo zstd=yes; else echo zstd=no; fi
          xargs -r nix-store --check-validity --print-invalid | sed 's/^/missing=/'
          """;

  /**
   * Lets the host fetch paths from its own substituters (binary caches). Reads store paths on
   * stdin, one per line; tries {@code nix-store --realise} on each (failures are fine), then prints
   * those still missing as {@code missing=<path>}. Always exits 0 unless the shell fails.
   */
  public static final String SUBSTITUTE_SCRIPT =
      "set -f\n"
          + "ps=$(cat)\n"
          + "for x in $ps; do nix-store --realise \"$x\" >/dev/null 2>&1 || true; done\n"
          + "printf '%s\\n' $ps | xargs -r nix-store --check-validity --print-invalid"
          + " | sed 's/^/missing=/'\n";

  /**
   * The rollback, installed as {@value #ROLLBACK_FILE} and run by systemd as {@code /bin/sh
   * /var/lib/fleet/rollback.sh [ID [BY]]} (the watchdog timer with {@code BY} {@code watchdog},
   * {@link #rollbackNow} and {@link #revert} with {@code deployer}) or by the NixOS module's
   * boot-time watchdog (without arguments). Under the lock, and only if the marker exists and (when
   * an id is given) names that deployment: stops the activation unit, switches the profile to the
   * generation on the marker's first line, runs that generation's {@code switch-to-configuration
   * switch} (output to {@value #ROLLBACK_LOG}; its failure does not stop the rollback but is
   * recorded), writes {@value #ROLLBACK_RESULT}, removes the marker and stops both watchdog timers.
   * A watchdog of deployment A that fires late, when deployment B is armed, does nothing. Exits 1
   * only when the profile could not be switched.
   */
  public static final String ROLLBACK_SCRIPT =
      """
      PATH=/run/current-system/sw/bin:/nix/var/nix/profiles/default/bin:$PATH
      p=/nix/var/nix/profiles/system
      d=/var/lib/fleet
      m=$d/rollback-marker
      by=${2:-boot-watchdog}
      mkdir -p "$d"
      exec 9>"$d/rollback.lock"
      flock 9
      [ -f "$m" ] || exit 0
      id=$(sed -n 3p "$m")
      if [ -n "${1-}" ] && [ "$id" != "$1" ]; then
        echo "fleet: $m belongs to deployment $id, not $1: nothing to roll back" >&2
        exit 0
      fi
      n=$(sed -n 1p "$m")
      case "$n" in ''|*[!0-9]*) echo "fleet: damaged rollback marker $m" >&2; exit 1;; esac
      u=$(cat "$d/activation.unit" 2>/dev/null)
      if [ -n "$u" ]; then systemctl stop "$u.service" 2>/dev/null; fi
      : > "$d/rollback.log"
      if ! nix-env --profile "$p" --switch-generation "$n" >>"$d/rollback.log" 2>&1; then
        cat "$d/rollback.log" >&2
        exit 1
      fi
      "$p/bin/switch-to-configuration" switch </dev/null >>"$d/rollback.log" 2>&1
      r=$?
      if [ "$r" != 0 ]; then echo "fleet: activation of generation $n failed (exit $r)" >&2; fi
      printf '%s\\n%s\\n%s\\n' "${id:-unknown}" "$r" "$by" > "$d/.rollback.result"
      mv -f "$d/.rollback.result" "$d/rollback.result"
      rm -f "$m"
      sync
      systemctl stop fleet-rollback-watchdog.timer fleet-rollback-boot.timer 2>/dev/null || true
      exit 0
      """;

  /**
   * The activation, installed as {@value #ACTIVATION_FILE} and run by systemd as {@code /bin/sh
   * /var/lib/fleet/activate.sh SYSTEM ACTION}: runs {@code SYSTEM/bin/switch-to-configuration
   * ACTION} with its output in {@value #ACTIVATION_LOG}, then writes its exit code to {@value
   * #ACTIVATION_EXIT}, so both can be read back after the SSH session that started it died.
   */
  public static final String ACTIVATION_WRAPPER =
      """
      d=/var/lib/fleet
      "$1/bin/switch-to-configuration" "$2" </dev/null >"$d/activation.log" 2>&1
      r=$?
      echo "$r" > "$d/.activation.exit"
      mv -f "$d/.activation.exit" "$d/activation.exit"
      exit "$r"
      """;

  /**
   * Arms the rollback and, for {@code boot}/{@code switch}, sets the profile. Arguments: {@code $1}
   * deployment id, {@code $2} watchdog window in whole seconds, {@code $3} the new system path or
   * empty (for {@code test}: the profile is left alone), {@code $4} {@link #ROLLBACK_SCRIPT},
   * {@code $5} {@link #ACTIVATION_WRAPPER}. Under the lock: refuses with exit {@value
   * #EXIT_MARKER_EXISTS} when a marker exists; reads the previous generation, profile and running
   * system there and then (not from a preflight minutes old); installs the two scripts; clears the
   * last activation's output; writes the marker atomically (previous generation, previous profile,
   * deployment id, boot id, previous running system); replaces any watchdog left from an earlier
   * deployment (with no marker it has nothing to do, and a failed one would block the name); starts
   * {@code systemd-run --unit=fleet-rollback-watchdog --on-active=<$2>s
   * --timer-property=AccuracySec=1s -- /bin/sh /var/lib/fleet/rollback.sh <id>}, then {@code
   * nix-env --profile <PROFILE> --set <$3>}. Prints {@code previous-generation}, {@code
   * previous-profile}, {@code previous-current} and {@code generation} (the profile's generation
   * afterwards).
   */
  public static final String ARM_SCRIPT =
      PRELUDE
          + LOCKED
          + """
          if [ -e "$m" ]; then
            echo "fleet: $m exists: deployment $(sed -n 3p "$m") is armed" >&2
            exit 3
          fi
          l=$(readlink "$p"); g=${l#system-}; g=${g%-link}
          case "$g" in ''|*[!0-9]*) echo "fleet: $p is not a system profile" >&2; exit 1;; esac
          prev=$(readlink -f "$p")
          cur=$(readlink -f /run/current-system)
          put() {
            t=$(mktemp "$d/.$1.XXXXXX") && printf '%s\\n' "$2" > "$t" && mv -f "$t" "$d/$1"
          }
          put rollback.sh "$4" || exit 1
          put activate.sh "$5" || exit 1
          rm -f "$d/activation.exit" "$d/activation.log"
          t=$(mktemp "$d/.rollback-marker.XXXXXX") || exit 1
          printf '%s\\n%s\\n%s\\n%s\\n%s\\n' "$g" "$prev" "$1" \
            "$(cat /proc/sys/kernel/random/boot_id)" "$cur" > "$t" || exit 1
          sync
          mv -f "$t" "$m" || exit 1
          systemctl stop fleet-rollback-watchdog.timer fleet-rollback-watchdog.service 2>/dev/null
          systemctl reset-failed fleet-rollback-watchdog.timer fleet-rollback-watchdog.service\
           2>/dev/null
          systemd-run --unit=fleet-rollback-watchdog --on-active="$2"s\
           --timer-property=AccuracySec=1s --quiet -- /bin/sh "$d/rollback.sh" "$(e "$1")" watchdog || exit 1
          if [ -n "$3" ]; then nix-env --profile "$p" --set "$3" || exit 1; fi
          echo "previous-generation=$g"
          echo "previous-profile=$prev"
          echo "previous-current=$cur"
          l=$(readlink "$p"); g=${l#system-}; g=${g%-link}
          echo "generation=$g"
          """;

  /**
   * Activates, detached from the SSH session. Arguments: {@code $1} the system path, {@code $2} the
   * action. Runs {@code systemd-run --unit=fleet-activate-<random> --wait --collect --quiet --
   * /bin/sh /var/lib/fleet/activate.sh <system> <action>}, then prints what the activation left:
   * {@code activation-exit} (absent if it never ran: systemd-run itself failed, e.g. the unit
   * exists) and {@code activation-log} lines (the last {@value #ACTIVATION_OUTPUT_LIMIT} bytes of
   * its output). Exits with the activation's exit code, or systemd-run's if the activation never
   * ran.
   */
  public static final String ACTIVATE_SCRIPT =
      PRELUDE
          + """
          rm -f "$d/activation.exit"
          u=$(uniq fleet-activate)
          echo "$u" > "$d/activation.unit"
          systemd-run --unit="$u" --wait --collect --quiet --\
           /bin/sh "$d/activate.sh" "$(e "$1")" "$(e "$2")"
          rc=$?
          if [ -f "$d/activation.exit" ]; then
            rc=$(cat "$d/activation.exit")
            echo "activation-exit=$rc"
            tail -c 4096 "$d/activation.log" | sed 's/^/activation-log=/'
          else
            echo "fleet: systemd-run could not start the activation (exit $rc)" >&2
          fi
          exit "$rc"
          """;

  /**
   * Rolls back at once, detached from the SSH session. Argument: {@code $1} deployment id. Under
   * the lock, refuses with exit {@value #EXIT_OTHER_DEPLOYMENT} if the marker names another
   * deployment; if the marker is ours, releases the lock and runs {@code systemd-run
   * --unit=fleet-rollback-<random> --wait --collect --quiet -- /bin/sh /var/lib/fleet/rollback.sh
   * <id>} (which takes the lock and checks the id again, so a watchdog that got there first makes
   * it a no-op; the watchdog timer, stopped by the rollback itself, stays armed as a backstop if
   * the connection drops half way). With no marker (the watchdog already rolled back), runs
   * nothing. Prints the state (as {@link #STATUS_SCRIPT} without the store part) in every case;
   * exits with the rollback unit's code.
   */
  public static final String ROLLBACK_NOW_SCRIPT =
      PRELUDE
          + STATE
          + LOCKED
          + """
          if [ -f "$m" ] && [ "$(sed -n 3p "$m")" != "$1" ]; then
            echo "fleet: $m belongs to another deployment" >&2
            state
            exit 4
          fi
          armed=no
          if [ -f "$m" ]; then armed=yes; fi
          exec 9>&-
          rc=0
          if [ "$armed" = yes ]; then
            systemd-run --unit="$(uniq fleet-rollback)" --wait --collect --quiet --\
           /bin/sh "$d/rollback.sh" "$(e "$1")" deployer || rc=$?
          fi
          echo "rollback-ran=$armed"
          state
          exit "$rc"
          """;

  /**
   * Confirms a deployment. Argument: {@code $1} deployment id. Under the lock {@value #LOCK} (so a
   * rollback that is running finishes first): fails with {@value #EXIT_NO_MARKER} if there is no
   * marker (the host was rolled back), with {@value #EXIT_OTHER_DEPLOYMENT} if the marker names
   * another deployment, touching no timer in either case (they may be another deployment's);
   * otherwise stops both watchdog timers and removes the marker. Prints the state in every case.
   */
  public static final String CONFIRM_SCRIPT =
      PRELUDE
          + STATE
          + LOCKED
          + """
          if [ ! -f "$m" ]; then
            echo "fleet: no rollback marker: the host was rolled back" >&2
            state
            exit 3
          fi
          if [ "$(sed -n 3p "$m")" != "$1" ]; then
            echo "fleet: $m belongs to another deployment" >&2
            state
            exit 4
          fi
          systemctl stop fleet-rollback-watchdog.timer fleet-rollback-boot.timer 2>/dev/null
          rm -f "$m"
          sync
          state
          """;

  /**
   * Returns an already confirmed host to its previous generation (the opt-in fleet policy).
   * Arguments: {@code $1} deployment id, {@code $2} previous generation, {@code $3} previous system
   * path, {@code $4} {@link #ROLLBACK_SCRIPT}. Under the lock: refuses with {@value
   * #EXIT_MARKER_EXISTS} if a marker exists (another deployment is armed); installs the rollback
   * script and writes the marker atomically; then, with the lock released, runs the rollback as
   * {@link #ROLLBACK_NOW_SCRIPT} does. Prints the state; exits with the rollback unit's code.
   */
  public static final String REVERT_SCRIPT =
      PRELUDE
          + STATE
          + LOCKED
          + """
          if [ -e "$m" ]; then
            echo "fleet: $m exists: deployment $(sed -n 3p "$m") is armed" >&2
            state
            exit 3
          fi
          t=$(mktemp "$d/.rollback.sh.XXXXXX") && printf '%s\\n' "$4" > "$t" \
            && mv -f "$t" "$d/rollback.sh" || exit 1
          t=$(mktemp "$d/.rollback-marker.XXXXXX") || exit 1
          printf '%s\\n%s\\n%s\\n%s\\n%s\\n' "$2" "$3" "$1" \
            "$(cat /proc/sys/kernel/random/boot_id)" "$3" > "$t" || exit 1
          sync
          mv -f "$t" "$m" || exit 1
          exec 9>&-
          rc=0
          systemd-run --unit="$(uniq fleet-rollback)" --wait --collect --quiet --\
           /bin/sh "$d/rollback.sh" "$(e "$1")" deployer || rc=$?
          state
          exit "$rc"
          """;

  /** The deployer's actions, as {@code switch-to-configuration} names them. */
  public static final List<String> ACTIVATION_ACTIONS = List.of("test", "boot", "switch");

  private static Command.Builder script(String script, boolean sudo, Duration timeout) {
    Command.Builder b = Command.builder().addArgv("sh", "-c", script, "sh").sudo(sudo);
    if (timeout != null) {
      b.timeout(timeout);
    }
    return b;
  }

  private static byte[] lines(List<String> paths) {
    StringBuilder sb = new StringBuilder();
    for (String p : paths) {
      sb.append(p).append('\n');
    }
    return sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Preflight/status: {@code sh -c STATUS_SCRIPT sh}, the paths to check on stdin (empty for a
   * status query).
   */
  public static Command status(List<String> paths, boolean sudo, Duration timeout) {
    return script(STATUS_SCRIPT, sudo, timeout).stdin(lines(paths)).build();
  }

  /** Substitution: {@code sh -c SUBSTITUTE_SCRIPT sh}, the paths on stdin. */
  public static Command substitute(List<String> paths, boolean sudo, Duration timeout) {
    return script(SUBSTITUTE_SCRIPT, sudo, timeout).stdin(lines(paths)).build();
  }

  /**
   * The copy: {@code nix-store --import}, fed the export stream through {@code
   * Connection.run(command, stdin, stdout)}; it prints each imported path on a line.
   */
  public static Command importPaths(boolean sudo, Duration timeout) {
    Command.Builder b = Command.builder().addArgv("nix-store", "--import").sudo(sudo);
    if (timeout != null) {
      b.timeout(timeout);
    }
    return b.build();
  }

  /**
   * The compressed copy: {@code zstd -d} into {@code nix-store --import}, fed the zstd-compressed
   * export stream on standard input; like {@link #importPaths} it prints each imported path on a
   * line. Exits with {@code nix-store}'s code, or 1 when {@code zstd} failed (a damaged stream),
   * with {@code fleet: zstd -d failed} on standard error. Only for hosts whose {@link
   * #STATUS_SCRIPT} printed {@code zstd=yes}.
   */
  public static final String IMPORT_ZSTD_SCRIPT =
      """
      exec 4>&1
      z=$( { { zstd -d -q -c 3>&- 4>&-; echo "$?" >&3; } | nix-store --import 3>&- >&4; } 3>&1 )
      n=$?
      exec 4>&-
      if [ "$z" != 0 ]; then
        echo "fleet: zstd -d failed (exit $z): the compressed stream is damaged" >&2
        exit 1
      fi
      exit "$n"
      """;

  /**
   * The compressed copy: {@code sh -c IMPORT_ZSTD_SCRIPT sh}, fed the zstd-compressed export stream
   * through {@code Connection.run(command, stdin, stdout)}.
   */
  public static Command importCompressed(boolean sudo, Duration timeout) {
    return script(IMPORT_ZSTD_SCRIPT, sudo, timeout).build();
  }

  /** The most bytes of a failed build's output that {@link #REALISE_SCRIPT} sends back. */
  public static final int BUILD_LOG_LIMIT = 8192;

  /**
   * Building on the target: realises the derivation {@code $1} (already copied to the host with its
   * closure) with {@code nix-store --realise}, which builds whatever of it the host lacks with the
   * host's own nix (its builders, substituters and sandbox settings). Prints each output path as
   * {@code output=<path>}; when the build fails, also the last {@value #BUILD_LOG_LIMIT} bytes of
   * nix's output as {@code build-log=} lines. Exits with {@code nix-store}'s code. Nix's output
   * goes to a temporary file so a long build log never fills the session's buffers.
   */
  public static final String REALISE_SCRIPT =
      """
      set -f
      t=$(mktemp -d) || exit 1
      nix-store --realise "$1" >"$t/out" 2>"$t/log"
      n=$?
      sed 's/^/output=/' "$t/out"
      if [ "$n" != 0 ]; then tail -c 8192 "$t/log" | sed 's/^/build-log=/'; fi
      rm -rf "$t"
      exit "$n"
      """;

  /**
   * Building on the target: {@code sh -c REALISE_SCRIPT sh <drvPath>}; see {@link #REALISE_SCRIPT}.
   *
   * @throws IllegalArgumentException if {@code drvPath} is not the store path of a {@code .drv}
   */
  public static Command realise(String drvPath, boolean sudo, Duration timeout) {
    if (!DeploymentPlan.isStorePath(drvPath) || !drvPath.endsWith(".drv")) {
      throw new IllegalArgumentException("not a derivation's store path: " + drvPath);
    }
    return script(REALISE_SCRIPT, sudo, timeout).addArgv(drvPath).build();
  }

  /**
   * Arm: {@code sh -c ARM_SCRIPT sh <id> <seconds> <system|''> ROLLBACK_SCRIPT ACTIVATION_WRAPPER}.
   * The previous generation is read on the host, under the lock.
   */
  public static Command arm(
      String deploymentId,
      long windowSeconds,
      Optional<String> newSystem,
      boolean sudo,
      Duration timeout) {
    return script(ARM_SCRIPT, sudo, timeout)
        .addArgv(
            deploymentId,
            Long.toString(windowSeconds),
            newSystem.orElse(""),
            ROLLBACK_SCRIPT,
            ACTIVATION_WRAPPER)
        .build();
  }

  /**
   * Activation, detached from the SSH session: {@code sh -c ACTIVATE_SCRIPT sh <system> <action>};
   * its exit code is switch-to-configuration's, its output the {@code activation-exit} and {@code
   * activation-log} lines.
   */
  public static Command activate(String system, String action, boolean sudo, Duration timeout) {
    if (!ACTIVATION_ACTIONS.contains(action)) {
      throw new IllegalArgumentException("unknown activation action " + action);
    }
    return script(ACTIVATE_SCRIPT, sudo, timeout).addArgv(system, action).build();
  }

  /** Immediate rollback: {@code sh -c ROLLBACK_NOW_SCRIPT sh <id>}. */
  public static Command rollbackNow(String deploymentId, boolean sudo, Duration timeout) {
    return script(ROLLBACK_NOW_SCRIPT, sudo, timeout).addArgv(deploymentId).build();
  }

  /** Confirmation: {@code sh -c CONFIRM_SCRIPT sh <id>}. */
  public static Command confirm(String deploymentId, boolean sudo, Duration timeout) {
    return script(CONFIRM_SCRIPT, sudo, timeout).addArgv(deploymentId).build();
  }

  /**
   * Revert of a confirmed host: {@code sh -c REVERT_SCRIPT sh <id> <prevGen> <prevSystem>
   * ROLLBACK}.
   */
  public static Command revert(
      String deploymentId,
      long previousGeneration,
      String previousSystem,
      boolean sudo,
      Duration timeout) {
    return script(REVERT_SCRIPT, sudo, timeout)
        .addArgv(deploymentId, Long.toString(previousGeneration), previousSystem, ROLLBACK_SCRIPT)
        .build();
  }

  /** Fetches the host's public key: {@code cat /etc/ssh/ssh_host_ed25519_key.pub}. */
  public static Command hostKey() {
    return Command.of("cat", HOST_KEY_PUB);
  }

  /**
   * Parses {@code key=value} lines. Repeated keys keep every value in order ({@code missing});
   * lines without {@code =} are ignored.
   */
  public static Map<String, List<String>> parse(String output) {
    Map<String, List<String>> out = new TreeMap<>();
    for (String line : output.split("\n", -1)) {
      int eq = line.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      out.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>())
          .add(line.substring(eq + 1));
    }
    return out;
  }
}
