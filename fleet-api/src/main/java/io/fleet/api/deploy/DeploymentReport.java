package io.fleet.api.deploy;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.FleetStyle;
import io.fleet.api.Names;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * The result of a deployment: one {@link HostReport} per planned host, in plan order. Serialises to
 * JSON with {@link #toJson()} ({@link FleetJson}) and back with {@link #fromJson}.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableDeploymentReport.class)
@JsonDeserialize(as = ImmutableDeploymentReport.class)
public abstract class DeploymentReport {
  DeploymentReport() {}

  /** The plan's id. */
  public abstract String deploymentId();

  /** The action. */
  public abstract DeployAction action();

  /** When execution started. */
  public abstract Instant startedAt();

  /** When execution ended. */
  public abstract Instant finishedAt();

  /** Whether the caller was interrupted part way. */
  @Value.Default
  public boolean cancelled() {
    return false;
  }

  /**
   * Whether failed hosts were to be rolled back ({@link DeploymentPlan#rollback()}); false when the
   * deployment ran with rollback disabled.
   */
  @Value.Default
  public boolean rollback() {
    return true;
  }

  /** One report per planned host, in plan order. */
  public abstract List<HostReport> hosts();

  /** The report of {@code host}. */
  public HostReport host(String host) {
    for (HostReport r : hosts()) {
      if (r.host().equals(host)) {
        return r;
      }
    }
    throw new FleetConfigException(
        "deployment " + deploymentId() + " has no report for host " + Names.quote(host));
  }

  /** Whether every host ended as planned. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isSuccess() {
    return !cancelled() && hosts().stream().allMatch(h -> h.outcome().isSuccess());
  }

  /** The hosts with {@code outcome}. */
  public List<String> hostsWith(HostOutcome outcome) {
    return hosts().stream()
        .filter(h -> h.outcome() == outcome)
        .map(HostReport::host)
        .collect(Collectors.toList());
  }

  /** The wall time of the whole deployment. */
  public Duration duration() {
    return Duration.between(startedAt(), finishedAt());
  }

  /** A short human summary: counts per outcome, then one line per host that did not succeed. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append("deployment ").append(deploymentId()).append(" (").append(action()).append("): ");
    sb.append(
        hosts().stream()
            .collect(
                Collectors.groupingBy(
                    HostReport::outcome, java.util.TreeMap::new, Collectors.counting()))
            .toString());
    if (!rollback()) {
      sb.append(", rollback disabled");
    }
    for (HostReport h : hosts()) {
      if (!h.outcome().isSuccess()) {
        sb.append("\n  ").append(h.host()).append(": ").append(h.outcome());
        h.failedStep().ifPresent(s -> sb.append(" at ").append(s));
        h.error().ifPresent(e -> sb.append(": ").append(e));
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
   * @throws FleetConfigException if the text is not such a report
   */
  public static DeploymentReport fromJson(String json) {
    return FleetJson.fromJson(json, DeploymentReport.class);
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link DeploymentReport}. */
  public static class Builder extends ImmutableDeploymentReport.Builder {}
}
