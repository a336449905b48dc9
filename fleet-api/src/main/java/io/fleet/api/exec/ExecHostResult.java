package io.fleet.api.exec;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import io.fleet.api.TransportException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What a command did on one host: the outcome, the exit code if it exited, the last bytes of its
 * standard output and error (at most the run's tail size each; the totals say how much there was),
 * the error if it did not run to the end, and timings.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableExecHostResult.class)
@JsonDeserialize(as = ImmutableExecHostResult.class)
public abstract class ExecHostResult {
  ExecHostResult() {}

  /** The host's name. */
  public abstract String host();

  /** How it ended. */
  public abstract ExecOutcome outcome();

  /** The exit code, when the command ran to its end. */
  public abstract Optional<Integer> exitCode();

  /** The end of standard output as UTF-8 (invalid bytes replaced). */
  @Value.Default
  public String stdoutTail() {
    return "";
  }

  /** The end of standard error as UTF-8 (invalid bytes replaced). */
  @Value.Default
  public String stderrTail() {
    return "";
  }

  /** How many bytes of standard output the command wrote in all. */
  @Value.Default
  public long stdoutBytes() {
    return 0;
  }

  /** How many bytes of standard error the transport captured in all. */
  @Value.Default
  public long stderrBytes() {
    return 0;
  }

  /** Why it did not run to the end, for outcomes other than success and non-zero exit. */
  public abstract Optional<String> error();

  /** The transport's reason, when a transport failure ended it. */
  public abstract Optional<TransportException.Reason> transportReason();

  /** When work on the host started; empty for {@link ExecOutcome#NOT_RUN}. */
  public abstract Optional<Instant> startedAt();

  /** The time to open the connection. */
  @Value.Default
  public Duration connectTime() {
    return Duration.ZERO;
  }

  /** The time from start to end, connection included. */
  @Value.Default
  public Duration duration() {
    return Duration.ZERO;
  }

  /** Whether the command exited with code 0. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isSuccess() {
    return outcome().isSuccess();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds an {@link ExecHostResult}. */
  public static class Builder extends ImmutableExecHostResult.Builder {}
}
