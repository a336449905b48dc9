package io.fleet.api.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import io.fleet.api.deploy.HostReport;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What a pipeline did with one host: the outcome and times of each stage, the system it built, the
 * hosts that shared that build, and the {@link HostReport} of its deployment when it got that far.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutablePipelineHostReport.class)
@JsonDeserialize(as = ImmutablePipelineHostReport.class)
public abstract class PipelineHostReport {
  PipelineHostReport() {}

  /** The host's name. */
  public abstract String host();

  /** The evaluation of the host. */
  public abstract StageReport evaluation();

  /** The build of its system. */
  public abstract StageReport build();

  /** Its deployment. */
  public abstract StageReport deployment();

  /** The store path of the system built for (or given to) the host, if it has one. */
  public abstract Optional<String> system();

  /** The other hosts whose system was the same derivation, built once with this one's. */
  public abstract List<String> sharedBuildWith();

  /** Whether the host was one of the canaries. */
  @Value.Default
  public boolean canary() {
    return false;
  }

  /** The deployment's report of the host, if its deployment started. */
  public abstract Optional<HostReport> hostReport();

  /** The report of {@code stage}. */
  public StageReport stage(PipelineStage stage) {
    switch (stage) {
      case EVALUATE:
        return evaluation();
      case BUILD:
        return build();
      default:
        return deployment();
    }
  }

  /** Whether every stage succeeded (the host is confirmed, or uploaded for an upload). */
  @JsonIgnore
  public boolean isSuccess() {
    return evaluation().outcome().isSuccess()
        && build().outcome().isSuccess()
        && deployment().outcome().isSuccess();
  }

  /** The first stage that did not succeed, if one did not. */
  @JsonIgnore
  public Optional<PipelineStage> failedStage() {
    for (PipelineStage s : PipelineStage.values()) {
      if (stage(s).outcome() == StageOutcome.FAILED) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link PipelineHostReport}. */
  public static class Builder extends ImmutablePipelineHostReport.Builder {}
}
