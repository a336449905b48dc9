package io.fleet.transport.internal;

import io.fleet.api.DeploymentException;
import io.fleet.api.deploy.HostProtocol;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The parsed output of {@link HostProtocol#STATUS_SCRIPT}. */
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

  private HostStatus(Map<String, List<String>> kv, String host) {
    this.generation = number(kv, "generation", host);
    this.profile = one(kv, "profile", host);
    this.current = one(kv, "current", host);
    this.bootId = one(kv, "boot-id", host);
    this.freeBytes = number(kv, "free-bytes", host);
    this.marker =
        kv.containsKey("marker")
            ? Optional.of(List.of(kv.get("marker").get(0).split("\\|", -1)))
            : Optional.empty();
    this.activating = "yes".equals(first(kv, "activating"));
    this.rollingBack = "yes".equals(first(kv, "rolling-back"));
    this.missing = kv.getOrDefault("missing", List.of());
  }

  static HostStatus parse(String output, String host) {
    return new HostStatus(HostProtocol.parse(output), host);
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
