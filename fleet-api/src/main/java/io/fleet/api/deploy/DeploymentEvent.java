package io.fleet.api.deploy;

import java.time.Instant;
import java.util.Optional;

/**
 * Something that happened while deploying one host: a step started, made progress (the copy, in
 * bytes and paths), finished or failed, or the host ended with an outcome.
 */
public final class DeploymentEvent {
  /** What kind of event this is. */
  public enum Kind {
    /** A step started. */
    STEP_STARTED,
    /** A step made progress (the copy). */
    PROGRESS,
    /** A step finished successfully. */
    STEP_FINISHED,
    /** A step failed; {@link #message()} says why. */
    STEP_FAILED,
    /** The host is done; {@link #outcome()} says how it ended. */
    HOST_FINISHED,
    /**
     * The caller was interrupted: no new host starts. Sent once, with an empty {@link #host()},
     * from the calling thread.
     */
    CANCELLED
  }

  private final String host;
  private final Kind kind;
  private final DeployStep step;
  private final HostOutcome outcome;
  private final String message;
  private final long done;
  private final long total;
  private final Instant time;

  /** An event; {@code step} and {@code outcome} may be null where they do not apply. */
  public DeploymentEvent(
      String host,
      Kind kind,
      DeployStep step,
      HostOutcome outcome,
      String message,
      long done,
      long total,
      Instant time) {
    this.host = host;
    this.kind = kind;
    this.step = step;
    this.outcome = outcome;
    this.message = message == null ? "" : message;
    this.done = done;
    this.total = total;
    this.time = time;
  }

  /** The host. */
  public String host() {
    return host;
  }

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** The step, empty for {@link Kind#HOST_FINISHED}. */
  public Optional<DeployStep> step() {
    return Optional.ofNullable(step);
  }

  /** The outcome, for {@link Kind#HOST_FINISHED}. */
  public Optional<HostOutcome> outcome() {
    return Optional.ofNullable(outcome);
  }

  /** A human message (empty if none). */
  public String message() {
    return message;
  }

  /** Progress: bytes done (the copy), or 0. */
  public long done() {
    return done;
  }

  /** Progress: bytes expected, or 0. */
  public long total() {
    return total;
  }

  /** When it happened. */
  public Instant time() {
    return time;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(host).append(' ').append(kind);
    if (step != null) {
      sb.append(' ').append(step);
    }
    if (outcome != null) {
      sb.append(' ').append(outcome);
    }
    if (total > 0) {
      sb.append(' ').append(done).append('/').append(total);
    }
    if (!message.isEmpty()) {
      sb.append(": ").append(message);
    }
    return sb.toString();
  }
}
