package io.fleet.api.pipeline;

import io.fleet.api.deploy.DeploymentEvent;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Something that happened in a pipeline: a stage of one host started, made progress, finished,
 * failed, was skipped or cancelled. Events with an empty {@link #host()} are about the whole
 * pipeline: {@link PipelineStage#EVALUATE} {@link Kind#STARTED} when evaluation starts and {@link
 * Kind#FINISHED} or {@link Kind#FAILED} when the evaluator returns, and {@link Kind#CANCELLED} when
 * the caller was interrupted. A deployment's own events are forwarded as {@link Kind#PROGRESS} of
 * {@link PipelineStage#DEPLOY} with {@link #deployment()} set.
 */
public final class PipelineEvent {
  /** What kind of event this is. */
  public enum Kind {
    /** The stage started for the host. */
    STARTED,
    /** Progress within the stage: a build's message, or a forwarded deployment event. */
    PROGRESS,
    /** The stage finished successfully. */
    FINISHED,
    /** The stage failed; {@link #message()} says why. */
    FAILED,
    /** The stage will not run; {@link #message()} says why. */
    SKIPPED,
    /** The stage will not run or was stopped because the caller was interrupted. */
    CANCELLED
  }

  private final String host;
  private final PipelineStage stage;
  private final Kind kind;
  private final String message;
  private final Instant time;
  private final DeploymentEvent deployment;

  /**
   * An event; {@code host} is empty for the whole pipeline, {@code deployment} null unless this
   * forwards a deployment event.
   */
  public PipelineEvent(
      String host,
      PipelineStage stage,
      Kind kind,
      String message,
      Instant time,
      DeploymentEvent deployment) {
    this.host = host == null ? "" : host;
    this.stage = Objects.requireNonNull(stage, "stage");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.message = message == null ? "" : message;
    this.time = Objects.requireNonNull(time, "time");
    this.deployment = deployment;
  }

  /** The host, or empty for an event of the whole pipeline. */
  public String host() {
    return host;
  }

  /** The stage. */
  public PipelineStage stage() {
    return stage;
  }

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** A human message (empty if none). */
  public String message() {
    return message;
  }

  /** When it happened, on the pipeline's clock. */
  public Instant time() {
    return time;
  }

  /** The deployment event this forwards, for {@link Kind#PROGRESS} of the deploy stage. */
  public Optional<DeploymentEvent> deployment() {
    return Optional.ofNullable(deployment);
  }

  /** One line: host, stage, kind and message. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(host.isEmpty() ? "(pipeline)" : host);
    sb.append(' ').append(stage).append(' ').append(kind);
    if (deployment != null) {
      sb.append(" [").append(deployment).append(']');
    } else if (!message.isEmpty()) {
      sb.append(": ").append(message);
    }
    return sb.toString();
  }
}
