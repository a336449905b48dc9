package io.fleet.api.pipeline;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * How one stage of one host went: its outcome, when it started and finished (absent for a stage
 * that never ran), and why it failed or was skipped. For {@link PipelineStage#EVALUATE} the start
 * is when the pipeline's evaluation started (hosts are evaluated together) and the end when the
 * evaluator delivered the host.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableStageReport.class)
@JsonDeserialize(as = ImmutableStageReport.class)
public abstract class StageReport {
  StageReport() {}

  /** How the stage ended. */
  public abstract StageOutcome outcome();

  /** When the stage started, if it did. */
  public abstract Optional<Instant> startedAt();

  /** When the stage ended, if it ran. */
  public abstract Optional<Instant> finishedAt();

  /** Why the stage failed, was skipped or cancelled; or a note (a shared build), if any. */
  public abstract Optional<String> message();

  /** How long the stage took; zero if it did not run. */
  public Duration duration() {
    if (startedAt().isEmpty() || finishedAt().isEmpty()) {
      return Duration.ZERO;
    }
    return Duration.between(startedAt().get(), finishedAt().get());
  }

  /** A report with only an outcome and a message (a stage that did not run). */
  public static StageReport of(StageOutcome outcome, String message) {
    return builder().outcome(outcome).message(Optional.ofNullable(message)).build();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link StageReport}. */
  public static class Builder extends ImmutableStageReport.Builder {}
}
