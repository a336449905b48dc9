package io.fleet.transport.internal;

import io.fleet.api.DeploymentException;
import io.fleet.api.deploy.HostProtocol;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed output of {@link HostProtocol#STATUS_SCRIPT}, or the state that the scripts which
 * change a host print after the change (the same keys, without {@code free-bytes} and the store).
 */
final class HostStatus {
  final long generation;
  final String profile;
  final String current;
  final String bootId;
  final long freeBytes;
  final Optional<List<String>> marker;
  final boolean activating;
  final boolean rollingBack;
  final List<String> missing;

  /** Whether the host has {@code zstd} on its {@code PATH} (only the full status says). */
  final boolean zstd;

  /** The last rollback's deployment id and the exit code of its activation, if one ran. */
  final Optional<String> lastRollbackId;

  final Optional<Integer> lastRollbackExit;

  /** Who performed the last rollback: {@code deployer}, {@code watchdog}, {@code boot-watchdog}. */
  final String lastRollbackBy;

  final List<String> rollbackLog;

  /** The last activation's exit code (once it finished) and the end of its output. */
  final Optional<Integer> activationExit;

  final List<String> activationLog;

  private HostStatus(Map<String, List<String>> kv, String host, boolean full) {
    this.generation = number(kv, "generation", host);
    this.profile = one(kv, "profile", host);
    this.current = one(kv, "current", host);
    this.bootId = one(kv, "boot-id", host);
    this.freeBytes = full ? number(kv, "free-bytes", host) : 0;
    this.marker =
        kv.containsKey("marker")
            ? Optional.of(List.of(kv.get("marker").get(0).split("\\|", -1)))
            : Optional.empty();
    this.activating = "yes".equals(first(kv, "activating"));
    this.rollingBack = "yes".equals(first(kv, "rolling-back"));
    this.missing = kv.getOrDefault("missing", List.of());
    this.zstd = "yes".equals(first(kv, "zstd"));
    String[] last = String.valueOf(first(kv, "last-rollback")).split("\\|", -1);
    boolean hasLast = kv.containsKey("last-rollback") && last.length >= 2;
    this.lastRollbackId = hasLast ? Optional.of(last[0]) : Optional.empty();
    this.lastRollbackExit = hasLast ? integer(last[1]) : Optional.empty();
    this.lastRollbackBy = hasLast && last.length >= 3 && !last[2].isEmpty() ? last[2] : "unknown";
    this.rollbackLog = kv.getOrDefault("rollback-log", List.of());
    this.activationExit = integer(first(kv, "activation-exit"));
    this.activationLog = kv.getOrDefault("activation-log", List.of());
  }

  /** Parses the output of {@link HostProtocol#STATUS_SCRIPT}. */
  static HostStatus parse(String output, String host) {
    return new HostStatus(HostProtocol.parse(output), host, true);
  }

  /** Parses the state printed by the arm, rollback, confirm and revert scripts. */
  static HostStatus parseState(String output, String host) {
    return new HostStatus(HostProtocol.parse(output), host, false);
  }

  /** Whether {@code output} holds a state (the script got as far as printing it). */
  static boolean hasState(String output) {
    Map<String, List<String>> kv = HostProtocol.parse(output);
    return kv.containsKey("generation") && kv.containsKey("current");
  }

  /**
   * The exit code of the previous generation's activation in the rollback of {@code deploymentId},
   * if the host's last rollback was that one.
   */
  Optional<Integer> rollbackExitOf(String deploymentId) {
    return lastRollbackId.filter(deploymentId::equals).flatMap(id -> lastRollbackExit);
  }

  /** Who rolled back {@code deploymentId}, if the host's last rollback was that one. */
  Optional<String> rolledBackBy(String deploymentId) {
    return lastRollbackId.filter(deploymentId::equals).map(id -> lastRollbackBy);
  }

  private static Optional<Integer> integer(String v) {
    if (v == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Integer.parseInt(v.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The deployment id on the marker, if there is one with three fields. */
  Optional<String> markerId() {
    return marker.filter(m -> m.size() >= 3).map(m -> m.get(2));
  }

  private static String first(Map<String, List<String>> kv, String key) {
    List<String> v = kv.get(key);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  private static String one(Map<String, List<String>> kv, String key, String host) {
    String v = first(kv, key);
    if (v == null) {
      throw new DeploymentException(
          host,
          "host "
              + host
              + " answered the status query without '"
              + key
              + "': is it a NixOS host with the fleet protocol?",
          null);
    }
    return v;
  }

  private static long number(Map<String, List<String>> kv, String key, String host) {
    String v = one(kv, key, host);
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new DeploymentException(
          host,
          "host "
              + host
              + " reported "
              + key
              + "="
              + v
              + ", which is not a number: is "
              + HostProtocol.PROFILE
              + " a system profile?",
          e);
    }
  }
}
