package io.fleet.api.exec;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Progress of a run on one host: it {@link Type#STARTED}, or it {@link Type#FINISHED} with its
 * result; with how many hosts have finished out of how many.
 */
public final class ExecEvent {
  /** What happened. */
  public enum Type {
    /** Work on the host started (connecting). */
    STARTED,
    /** The host finished, whatever the outcome; {@link #result()} holds it. */
    FINISHED
  }

  private final Type type;
  private final String host;
  private final Instant time;
  private final ExecHostResult result;
  private final int finished;
  private final int total;

  /** An event; {@code result} is required for {@link Type#FINISHED} and null otherwise. */
  public ExecEvent(
      Type type, String host, Instant time, ExecHostResult result, int finished, int total) {
    this.type = Objects.requireNonNull(type, "type");
    this.host = Objects.requireNonNull(host, "host");
    this.time = Objects.requireNonNull(time, "time");
    if ((type == Type.FINISHED) != (result != null)) {
      throw new IllegalArgumentException("a FINISHED event, and only it, carries a result");
    }
    this.result = result;
    this.finished = finished;
    this.total = total;
  }

  /** What happened. */
  public Type type() {
    return type;
  }

  /** The host. */
  public String host() {
    return host;
  }

  /** When. */
  public Instant time() {
    return time;
  }

  /** The host's result, for {@link Type#FINISHED}. */
  public Optional<ExecHostResult> result() {
    return Optional.ofNullable(result);
  }

  /** How many hosts had finished, this one included for {@link Type#FINISHED}. */
  public int finished() {
    return finished;
  }

  /** How many hosts the run has. */
  public int total() {
    return total;
  }

  @Override
  public String toString() {
    return type
        + " "
        + host
        + (result != null ? " " + result.outcome() : "")
        + " ("
        + finished
        + "/"
        + total
        + ")";
  }
}
