package io.fleet.api.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.FleetStyle;
import io.fleet.api.Names;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.HostOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * The result of a pipeline run: one {@link PipelineHostReport} per chosen host, in name order, the
 * policies it ran with, and when the first and last hosts were confirmed. Serialises to JSON with
 * {@link #toJson()} ({@link FleetJson}) and back, equal, with {@link #fromJson}.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutablePipelineReport.class)
@JsonDeserialize(as = ImmutablePipelineReport.class)
public abstract class PipelineReport {
  PipelineReport() {}

  /** The pipeline's id, which is also the deployment id of every host's deployment. */
  public abstract String pipelineId();

  /** The deploy action. */
  public abstract DeployAction action();

  /** The failure policy it ran with. */
  public abstract FailurePolicy failurePolicy();

  /** How many hosts were canaries (0: none). */
  @Value.Default
  public int canary() {
    return 0;
  }

  /** When the run started. */
  public abstract Instant startedAt();

  /** When the run ended. */
  public abstract Instant finishedAt();

  /** Whether the caller was interrupted part way. */
  @Value.Default
  public boolean cancelled() {
    return false;
  }

  /** One report per chosen host, in name order. */
  public abstract List<PipelineHostReport> hosts();

  /** The report of {@code host}. */
  public PipelineHostReport host(String host) {
    for (PipelineHostReport r : hosts()) {
      if (r.host().equals(host)) {
        return r;
      }
    }
    throw new FleetConfigException(
        "pipeline " + pipelineId() + " has no report for host " + Names.quote(host));
  }

  /** Whether every host went through every stage successfully and nothing was cancelled. */
  @JsonIgnore
  public boolean isSuccess() {
    return !cancelled() && hosts().stream().allMatch(PipelineHostReport::isSuccess);
  }

  /** The hosts whose {@code stage} ended with {@code outcome}, in name order. */
  public List<String> hostsWith(PipelineStage stage, StageOutcome outcome) {
    return hosts().stream()
        .filter(h -> h.stage(stage).outcome() == outcome)
        .map(PipelineHostReport::host)
        .collect(Collectors.toList());
  }

  /** When the first host's deployment ended confirmed (or uploaded), if one did. */
  @JsonIgnore
  public Optional<Instant> firstConfirmedAt() {
    return confirmedTimes().stream().min(Instant::compareTo);
  }

  /** When the last host's deployment ended confirmed (or uploaded), if one did. */
  @JsonIgnore
  public Optional<Instant> lastConfirmedAt() {
    return confirmedTimes().stream().max(Instant::compareTo);
  }

  private List<Instant> confirmedTimes() {
    return hosts().stream()
        .filter(h -> h.deployment().outcome().isSuccess())
        .map(h -> h.deployment().finishedAt())
        .flatMap(Optional::stream)
        .collect(Collectors.toList());
  }

  /** The wall time of the whole run. */
  public Duration duration() {
    return Duration.between(startedAt(), finishedAt());
  }

  /**
   * A short human summary: per stage the counts per outcome, the times to the first and last
   * confirmed host, then one line per host that did not succeed (its first stage that did not, and
   * why).
   */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append("pipeline ").append(pipelineId()).append(" (").append(action());
    sb.append(", ").append(failurePolicy());
    if (canary() > 0) {
      sb.append(", canary ").append(canary());
    }
    sb.append(cancelled() ? ", cancelled" : "").append("): ");
    sb.append(hosts().size()).append(hosts().size() == 1 ? " host" : " hosts");
    sb.append(" in ").append(duration());
    for (PipelineStage s : PipelineStage.values()) {
      Map<StageOutcome, Long> counts = new EnumMap<>(StageOutcome.class);
      for (PipelineHostReport h : hosts()) {
        counts.merge(h.stage(s).outcome(), 1L, Long::sum);
      }
      sb.append("\n  ").append(s).append(": ").append(counts);
    }
    firstConfirmedAt()
        .ifPresent(
            t ->
                sb.append("\n  first host confirmed after ")
                    .append(Duration.between(startedAt(), t)));
    lastConfirmedAt()
        .ifPresent(t -> sb.append(", last after ").append(Duration.between(startedAt(), t)));
    for (PipelineHostReport h : hosts()) {
      if (h.isSuccess()) {
        continue;
      }
      for (PipelineStage s : PipelineStage.values()) {
        StageReport r = h.stage(s);
        if (!r.outcome().isSuccess()) {
          sb.append("\n  ").append(h.host()).append(": ").append(s).append(' ').append(r.outcome());
          h.hostReport()
              .map(hr -> hr.outcome())
              .filter(o -> s == PipelineStage.DEPLOY && o != HostOutcome.CONFIRMED)
              .ifPresent(o -> sb.append(" (").append(o).append(')'));
          r.message().ifPresent(m -> sb.append(": ").append(firstLine(m)));
          break;
        }
      }
    }
    return sb.toString();
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl) + " …";
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
  public static PipelineReport fromJson(String json) {
    try {
      return FleetJson.fromJson(json, PipelineReport.class);
    } catch (FleetConfigException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      throw new FleetConfigException(
          "PipelineReport JSON does not describe a complete report: " + e.getMessage(), e);
    }
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link PipelineReport}. */
  public static class Builder extends ImmutablePipelineReport.Builder {}
}
