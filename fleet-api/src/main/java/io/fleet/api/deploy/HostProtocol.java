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
 * interprets exactly these commands), real-host stand-ins for {@code systemd-run}/{@code
 * systemctl}, and the NixOS module that ships the boot-time watchdog. It lives in {@code fleet-api}
 * rather than in {@code fleet-transport} because the testkit depends on the API only and must match
 * these exact scripts.
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
 *       generation number, line 2 the previous system path, line 3 the deployment id. Written to a
 *       temporary file in the same directory and renamed, so it is never half written.
 *   <li>Transient watchdog {@value #WATCHDOG_UNIT}{@code .timer}/{@code .service}, started by
 *       {@link #arm}; immediate rollback unit {@value #ROLLBACK_UNIT}; activation unit {@value
 *       #ACTIVATE_UNIT}.
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
 *   <li>{@link #arm}: marker, watchdog timer, and for {@code boot}/{@code switch} the profile;
 *   <li>{@link #activate}: {@code switch-to-configuration} under {@code systemd-run --wait};
 *   <li>{@link #confirm} over a new connection (after optional health checks).
 * </ol>
 *
 * <p>When activation or a check fails and the host is reachable, {@link #rollbackNow} runs the
 * rollback at once; when it is not, the watchdog runs {@link #ROLLBACK_SCRIPT} when its window
 * ends. {@link #revert} rolls back a host that was already confirmed (the opt-in fleet policy).
 * After a lost connection the deployer reconnects and runs {@link #status} with empty stdin.
 *
 * <p>Requirements on the host: NixOS with systemd 254 or later ({@code systemd-run} does not expand
 * {@code $} in the command line), coreutils, util-linux ({@code flock}), {@code nix-store}/{@code
 * nix-env} on {@code PATH}.
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

  /** The unit that runs an immediate rollback. */
  public static final String ROLLBACK_UNIT = "fleet-rollback";

  /** The unit that runs {@code switch-to-configuration}. */
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

  /**
   * Prints the host's state. Reads store paths on stdin, one per line, and prints each one the
   * host's store does not hold as {@code missing=<path>}. Output keys: {@code generation} (the
   * profile's generation number), {@code profile} (the profile's system path), {@code current}
   * ({@code /run/current-system}), {@code boot-id}, {@code free-bytes} (available in {@code
   * /nix/store}), {@code marker} (the marker's three lines joined by {@code |}; absent when there
   * is no marker), {@code activating} ({@code yes} while {@value #ACTIVATE_UNIT} runs), {@code
   * rolling-back} ({@code yes} while a watchdog or rollback service runs), then the {@code missing}
   * lines.
   */
  public static final String STATUS_SCRIPT =
      "set -f\n"
          + "p=/nix/var/nix/profiles/system\n"
          + "m=/var/lib/fleet/rollback-marker\n"
          + "l=$(readlink \"$p\")\n"
          + "g=${l#system-}; g=${g%-link}\n"
          + "echo \"generation=$g\"\n"
          + "echo \"profile=$(readlink -f \"$p\")\"\n"
          + "echo \"current=$(readlink -f /run/current-system)\"\n"
          + "echo \"boot-id=$(cat /proc/sys/kernel/random/boot_id)\"\n"
          + "echo \"free-bytes=$(df -P -B1 /nix/store | awk 'NR==2{print $4}')\"\n"
          + "if [ -f \"$m\" ]; then echo \"marker=$(sed -n 1p \"$m\")|$(sed -n 2p \"$m\")|"
          + "$(sed -n 3p \"$m\")\"; fi\n"
          + "if systemctl is-active --quiet fleet-activate.service; then echo activating=yes;"
          + " else echo activating=no; fi\n"
          + "if systemctl is-active --quiet fleet-rollback-watchdog.service fleet-rollback.service"
          + " fleet-rollback-boot.service; then echo rolling-back=yes; else echo rolling-back=no;"
          + " fi\n"
          + "xargs -r nix-store --check-validity --print-invalid | sed 's/^/missing=/'\n";

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
   * Rolls the host back if, and only if, the marker exists: switches the profile to the generation
   * on the marker's first line, runs that generation's {@code switch-to-configuration switch} (its
   * failure does not stop the rollback), then removes the marker. Run by the watchdog timers and by
   * {@link #rollbackNow}; contains no data, so it can run under any unit.
   */
  public static final String ROLLBACK_SCRIPT =
      "PATH=/run/current-system/sw/bin:/nix/var/nix/profiles/default/bin:$PATH\n"
          + "p=/nix/var/nix/profiles/system\n"
          + "m=/var/lib/fleet/rollback-marker\n"
          + "mkdir -p /var/lib/fleet\n"
          + "exec 9>/var/lib/fleet/rollback.lock\n"
          + "flock 9\n"
          + "[ -f \"$m\" ] || exit 0\n"
          + "n=$(sed -n 1p \"$m\")\n"
          + "case \"$n\" in ''|*[!0-9]*) echo \"fleet: damaged rollback marker $m\" >&2; exit 1;; esac\n"
          + "systemctl stop fleet-activate.service 2>/dev/null || true\n"
          + "nix-env --profile \"$p\" --switch-generation \"$n\" || exit 1\n"
          + "\"$p/bin/switch-to-configuration\" switch || echo \"fleet: activation of generation $n"
          + " failed\" >&2\n"
          + "rm -f \"$m\"\n";

  /**
   * Shell lines shared by {@link #ARM_SCRIPT} and {@link #REVERT_SCRIPT} ({@code $m} the marker):
   * refuse with exit 3 if a marker exists, else write the marker (lines {@code $2}, {@code $3},
   * {@code $1}) atomically.
   */
  private static final String WRITE_MARKER =
      "if [ -e \"$m\" ]; then echo \"fleet: $m exists: another deployment is armed\" >&2;"
          + " exit 3; fi\n"
          + "t=$(mktemp /var/lib/fleet/.rollback-marker.XXXXXX)\n"
          + "printf '%s\\n%s\\n%s\\n' \"$2\" \"$3\" \"$1\" > \"$t\"\n"
          + "sync\n"
          + "mv -f \"$t\" \"$m\"\n";

  /**
   * Arms the rollback and, for {@code boot}/{@code switch}, sets the profile. Arguments: {@code $1}
   * deployment id, {@code $2} previous generation, {@code $3} previous system path, {@code $4}
   * watchdog window in whole seconds, {@code $5} the new system path or empty (for {@code test}:
   * the profile is left alone), {@code $6} {@link #ROLLBACK_SCRIPT}. Refuses with exit {@value
   * #EXIT_MARKER_EXISTS} when a marker exists. Writes the marker atomically, stops a watchdog timer
   * left from an earlier deployment (a transient timer that elapsed stays loaded,
   * RemainAfterElapse= yes, and would make the next {@code systemd-run} with its name fail), starts
   * {@code systemd-run --unit=fleet-rollback-watchdog --on-active=<$4>s
   * --timer-property=AccuracySec=1s /bin/sh -c <ROLLBACK_SCRIPT>}, then {@code nix-env --profile
   * <PROFILE> --set <$5>}. Prints {@code generation=<N>} (the profile's generation afterwards).
   */
  public static final String ARM_SCRIPT =
      "set -e\n"
          + "p=/nix/var/nix/profiles/system\n"
          + "m=/var/lib/fleet/rollback-marker\n"
          + "mkdir -p /var/lib/fleet\n"
          + "exec 9>/var/lib/fleet/rollback.lock\n"
          + "flock 9\n"
          + WRITE_MARKER
          + "systemctl stop fleet-rollback-watchdog.timer 2>/dev/null || true\n"
          + "systemctl reset-failed fleet-rollback-watchdog.service 2>/dev/null || true\n"
          + "systemd-run --unit=fleet-rollback-watchdog --on-active=\"$4\"s"
          + " --timer-property=AccuracySec=1s /bin/sh -c \"$6\"\n"
          + "if [ -n \"$5\" ]; then nix-env --profile \"$p\" --set \"$5\"; fi\n"
          + "l=$(readlink \"$p\"); g=${l#system-}; g=${g%-link}\n"
          + "echo \"generation=$g\"\n";

  /**
   * Rolls back at once, detached from the SSH session. Arguments: {@code $1} deployment id, {@code
   * $2} {@link #ROLLBACK_SCRIPT}. Refuses with exit {@value #EXIT_OTHER_DEPLOYMENT} if the marker
   * names another deployment; runs {@code systemd-run --unit=fleet-rollback --wait --collect
   * --quiet -- /bin/sh -c <ROLLBACK_SCRIPT>} (a no-op if the watchdog already rolled back: the
   * script takes the lock and finds no marker), and only then stops the watchdog timer, which stays
   * armed as a backstop if the connection drops half way; prints {@code generation=<N>} and {@code
   * current=<path>}.
   */
  public static final String ROLLBACK_NOW_SCRIPT =
      "p=/nix/var/nix/profiles/system\n"
          + "m=/var/lib/fleet/rollback-marker\n"
          + "if [ -f \"$m\" ] && [ \"$(sed -n 3p \"$m\")\" != \"$1\" ]; then"
          + " echo \"fleet: $m belongs to another deployment\" >&2; exit 4; fi\n"
          + "systemd-run --unit=fleet-rollback --wait --collect --quiet -- /bin/sh -c \"$2\""
          + " || exit $?\n"
          + "systemctl stop fleet-rollback-watchdog.timer 2>/dev/null || true\n"
          + "l=$(readlink \"$p\"); g=${l#system-}; g=${g%-link}\n"
          + "echo \"generation=$g\"\n"
          + "echo \"current=$(readlink -f /run/current-system)\"\n";

  /**
   * Confirms a deployment. Argument: {@code $1} deployment id. Takes the lock {@value #LOCK} (so a
   * rollback that is running finishes first), stops the watchdog timer, fails with {@value
   * #EXIT_NO_MARKER} if there is no marker (the host was rolled back), with {@value
   * #EXIT_OTHER_DEPLOYMENT} if the marker names another deployment; otherwise removes the marker,
   * stops the boot-time watchdog timer and prints {@code generation=}, {@code current=} and {@code
   * boot-id=}.
   */
  public static final String CONFIRM_SCRIPT =
      "p=/nix/var/nix/profiles/system\n"
          + "m=/var/lib/fleet/rollback-marker\n"
          + "mkdir -p /var/lib/fleet\n"
          + "exec 9>/var/lib/fleet/rollback.lock\n"
          + "flock 9\n"
          + "systemctl stop fleet-rollback-watchdog.timer 2>/dev/null || true\n"
          + "if [ ! -f \"$m\" ]; then echo \"fleet: no rollback marker: the host was rolled back\""
          + " >&2; exit 3; fi\n"
          + "if [ \"$(sed -n 3p \"$m\")\" != \"$1\" ]; then echo \"fleet: $m belongs to another"
          + " deployment\" >&2; exit 4; fi\n"
          + "rm -f \"$m\"\n"
          + "systemctl stop fleet-rollback-boot.timer 2>/dev/null || true\n"
          + "l=$(readlink \"$p\"); g=${l#system-}; g=${g%-link}\n"
          + "echo \"generation=$g\"\n"
          + "echo \"current=$(readlink -f /run/current-system)\"\n"
          + "echo \"boot-id=$(cat /proc/sys/kernel/random/boot_id)\"\n";

  /**
   * Returns an already confirmed host to its previous generation (the opt-in fleet policy).
   * Arguments: {@code $1} deployment id, {@code $2} previous generation, {@code $3} previous system
   * path, {@code $4} {@link #ROLLBACK_SCRIPT}. Refuses with {@value #EXIT_MARKER_EXISTS} if a
   * marker exists; writes the marker atomically, then runs the rollback as {@link
   * #ROLLBACK_NOW_SCRIPT} does and prints {@code generation=} and {@code current=}.
   */
  public static final String REVERT_SCRIPT =
      "set -e\n"
          + "p=/nix/var/nix/profiles/system\n"
          + "m=/var/lib/fleet/rollback-marker\n"
          + "mkdir -p /var/lib/fleet\n"
          + WRITE_MARKER
          + "systemd-run --unit=fleet-rollback --wait --collect --quiet -- /bin/sh -c \"$4\"\n"
          + "l=$(readlink \"$p\"); g=${l#system-}; g=${g%-link}\n"
          + "echo \"generation=$g\"\n"
          + "echo \"current=$(readlink -f /run/current-system)\"\n";

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
   * Arm: {@code sh -c ARM_SCRIPT sh <id> <prevGen> <prevSystem> <seconds> <system|''> ROLLBACK}.
   */
  public static Command arm(
      String deploymentId,
      long previousGeneration,
      String previousSystem,
      long windowSeconds,
      Optional<String> newSystem,
      boolean sudo,
      Duration timeout) {
    return script(ARM_SCRIPT, sudo, timeout)
        .addArgv(
            deploymentId,
            Long.toString(previousGeneration),
            previousSystem,
            Long.toString(windowSeconds),
            newSystem.orElse(""),
            ROLLBACK_SCRIPT)
        .build();
  }

  /**
   * Activation, detached from the SSH session: {@code systemd-run --unit=fleet-activate --wait
   * --collect --quiet -- <system>/bin/switch-to-configuration <action>}; its exit code is
   * switch-to-configuration's.
   */
  public static Command activate(String system, String action, boolean sudo, Duration timeout) {
    if (!ACTIVATION_ACTIONS.contains(action)) {
      throw new IllegalArgumentException("unknown activation action " + action);
    }
    Command.Builder b =
        Command.builder()
            .addArgv(
                "systemd-run",
                "--unit=" + ACTIVATE_UNIT,
                "--wait",
                "--collect",
                "--quiet",
                "--",
                system + "/bin/switch-to-configuration",
                action)
            .sudo(sudo);
    if (timeout != null) {
      b.timeout(timeout);
    }
    return b.build();
  }

  /** Immediate rollback: {@code sh -c ROLLBACK_NOW_SCRIPT sh <id> ROLLBACK_SCRIPT}. */
  public static Command rollbackNow(String deploymentId, boolean sudo, Duration timeout) {
    return script(ROLLBACK_NOW_SCRIPT, sudo, timeout)
        .addArgv(deploymentId, ROLLBACK_SCRIPT)
        .build();
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
