package io.fleet.api.exec;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.FleetStyle;
import io.fleet.api.Names;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * What a command did across the chosen hosts: the argv, whether it ran through sudo, the policy it
 * ran with, and one {@link ExecHostResult} per host in name order. JSON with {@link #toJson()} and
 * back with {@link #fromJson}.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableExecReport.class)
@JsonDeserialize(as = ImmutableExecReport.class)
public abstract class ExecReport {
  ExecReport() {}

  /** The argv that ran on every host (a script runs as {@code sh -c SCRIPT sh ARGS…}). */
  public abstract List<String> argv();

  /** Whether it ran as root through {@code sudo -n} on hosts where the login user is not root. */
  @Value.Default
  public boolean sudo() {
    return false;
  }

  /** The per-host timeout (connection included). */
  public abstract Duration timeout();

  /** How many hosts ran at once at most. */
  public abstract int parallelism();

  /** When the run started. */
  public abstract Instant startedAt();

  /** When the last host finished. */
  public abstract Instant finishedAt();

  /** Whether the run was cancelled (interrupted) before every host finished. */
  @Value.Default
  public boolean cancelled() {
    return false;
  }

  /** One result per chosen host, in host name order. */
  public abstract List<ExecHostResult> hosts();

  /**
   * The result of {@code host}.
   *
   * @throws FleetConfigException if the host was not part of the run
   */
  public ExecHostResult host(String host) {
    return hosts().stream()
        .filter(h -> h.host().equals(host))
        .findFirst()
        .orElseThrow(
            () ->
                new FleetConfigException(
                    "host "
                        + Names.quote(host)
                        + " was not part of this run; its hosts are "
                        + hostNames()));
  }

  /** The names of the hosts, in order. */
  @JsonIgnore
  public List<String> hostNames() {
    return hosts().stream().map(ExecHostResult::host).collect(Collectors.toList());
  }

  /** Whether the command exited with 0 on every host. */
  @JsonIgnore
  public boolean isSuccess() {
    return !cancelled() && hosts().stream().allMatch(ExecHostResult::isSuccess);
  }

  /** The hosts with {@code outcome}. */
  public List<String> hostsWith(ExecOutcome outcome) {
    return hosts().stream()
        .filter(h -> h.outcome() == outcome)
        .map(ExecHostResult::host)
        .collect(Collectors.toList());
  }

  /** How many hosts ended with each outcome. */
  @JsonIgnore
  public Map<ExecOutcome, Long> counts() {
    return hosts().stream()
        .collect(
            Collectors.groupingBy(ExecHostResult::outcome, TreeMap::new, Collectors.counting()));
  }

  /** The wall time of the whole run. */
  @JsonIgnore
  public Duration duration() {
    return Duration.between(startedAt(), finishedAt());
  }

  /** A short human summary: counts per outcome, then one line per host that did not succeed. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append("exec on ").append(hosts().size()).append(" host(s): ").append(counts());
    for (ExecHostResult h : hosts()) {
      if (!h.isSuccess()) {
        sb.append("\n  ").append(h.host()).append(": ").append(h.outcome());
        h.exitCode().ifPresent(c -> sb.append(" (exit ").append(c).append(')'));
        Optional<String> why = h.error();
        why.ifPresent(e -> sb.append(": ").append(e));
      }
    }
    return sb.toString();
  }

  /** This report as JSON. */
  public String toJson() {
    return FleetJson.toJson(this);
  }

  /**
   * Reads a report written by {@link #toJson()}.
   *
   * @throws FleetConfigException if it is not such a report
   */
  public static ExecReport fromJson(String json) {
    return FleetJson.fromJson(json, ExecReport.class);
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds an {@link ExecReport}. */
  public static class Builder extends ImmutableExecReport.Builder {}
}
