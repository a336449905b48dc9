package io.fleet.api.deploy;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What happened on one host: the outcome and why, the generation before and after, what was copied,
 * how long each step took and how many command round trips it needed.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableHostReport.class)
@JsonDeserialize(as = ImmutableHostReport.class)
public abstract class HostReport {
  HostReport() {}

  /** The host's name. */
  public abstract String host();

  /** How it ended. */
  public abstract HostOutcome outcome();

  /** The system path that was to be deployed. */
  public abstract String system();

  /**
   * The profile's generation before the deployment: read on the host under the lock when the
   * rollback was armed (or by the preflight, if it never was).
   */
  public abstract Optional<Long> generationBefore();

  /** The system the host ran before the deployment (read when arming, or by the preflight). */
  public abstract Optional<String> systemBefore();

  /**
   * The profile's generation at the end, where known: read from the host after the confirmation or
   * after any rollback, whoever performed it.
   */
  public abstract Optional<Long> generationAfter();

  /**
   * The system the host runs at the end ({@code /run/current-system}), where known: read from the
   * host after the confirmation or after any rollback, whoever performed it.
   */
  public abstract Optional<String> systemAfter();

  /**
   * The end of the activation's own output (stdout and stderr of {@code switch-to-configuration},
   * at most {@link HostProtocol#ACTIVATION_OUTPUT_LIMIT} bytes), read back from the host even when
   * the connection that started it was lost.
   */
  public abstract Optional<String> activationOutput();

  /**
   * The end of the build's output on the host (at most {@link HostProtocol#BUILD_LOG_LIMIT} bytes)
   * when the plan built the system on the target ({@link DeployStep#BUILD}) and that build failed.
   */
  public abstract Optional<String> buildOutput();

  /** The store paths copied to the host, in the order they were sent. */
  public abstract List<String> copiedPaths();

  /** The bytes sent by the copy (NAR sizes). */
  @Value.Default
  public long copiedBytes() {
    return 0;
  }

  /**
   * The bytes the copy put on the wire: the {@code nix-store --export} stream as sent, so after
   * compression when {@link #compressed()} (0 when nothing was copied).
   */
  @Value.Default
  public long wireBytes() {
    return 0;
  }

  /**
   * Whether the copy was compressed with zstd: the plan asked for it ({@link
   * DeploymentPlan#compress()}) and the host has {@code zstd}.
   */
  @Value.Default
  public boolean compressed() {
    return false;
  }

  /** The paths the host fetched from its own binary caches. */
  @Value.Default
  public int substitutedPaths() {
    return 0;
  }

  /** The step that failed, if one did. */
  public abstract Optional<DeployStep> failedStep();

  /** What went wrong and what happened next, if anything did. */
  public abstract Optional<String> error();

  /** Who rolled the host back: {@code deployer} or {@code watchdog}, if it was. */
  public abstract Optional<String> rolledBackBy();

  /** When the watchdog will roll the host back, for {@link HostOutcome#ROLLBACK_PENDING}. */
  public abstract Optional<Instant> rollbackDueAt();

  /** Whether the host's boot id changed during the deployment (it rebooted). */
  @Value.Default
  public boolean rebooted() {
    return false;
  }

  /** Command round trips, not counting the copy's import and substitution. */
  @Value.Default
  public int roundTrips() {
    return 0;
  }

  /** The time spent in each step that ran. */
  public abstract Map<DeployStep, Duration> stepTimes();

  /** When work on the host started, if it did. */
  public abstract Optional<Instant> startedAt();

  /** How long the host took from start to end. */
  @Value.Default
  public Duration duration() {
    return Duration.ZERO;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link HostReport}. */
  public static class Builder extends ImmutableHostReport.Builder {}
}
