package io.fleet.transport.internal;

import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentListener;
import io.fleet.api.deploy.HostOutcome;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends events to the listeners; a throwing listener is logged and ignored. */
public final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);
  private final List<DeploymentListener> listeners;
  private final Clock clock;

  /** Events to {@code listeners}, stamped with {@code clock}. */
  public Events(List<DeploymentListener> listeners, Clock clock) {
    this.listeners = List.copyOf(listeners);
    this.clock = clock;
  }

  void emit(
      String host,
      DeploymentEvent.Kind kind,
      DeployStep step,
      HostOutcome outcome,
      String message,
      long done,
      long total) {
    DeploymentEvent e =
        new DeploymentEvent(host, kind, step, outcome, message, done, total, clock.instant());
    LOG.debug("{}", e);
    for (DeploymentListener l : listeners) {
      try {
        l.onEvent(e);
      } catch (RuntimeException ex) {
        LOG.warn("deployment listener {} failed on {}", l, e, ex);
      }
    }
  }

  void started(String host, DeployStep step) {
    emit(host, DeploymentEvent.Kind.STEP_STARTED, step, null, "", 0, 0);
  }

  void finished(String host, DeployStep step, String message) {
    emit(host, DeploymentEvent.Kind.STEP_FINISHED, step, null, message, 0, 0);
  }

  void failed(String host, DeployStep step, String message) {
    emit(host, DeploymentEvent.Kind.STEP_FAILED, step, null, message, 0, 0);
  }

  void progress(String host, DeployStep step, String message, long done, long total) {
    emit(host, DeploymentEvent.Kind.PROGRESS, step, null, message, done, total);
  }

  /** The deployment was cancelled. */
  public void cancelled() {
    emit("", DeploymentEvent.Kind.CANCELLED, null, null, "the caller was interrupted", 0, 0);
  }

  /** The host is done. */
  public void hostFinished(String host, HostOutcome outcome, String message) {
    emit(host, DeploymentEvent.Kind.HOST_FINISHED, null, outcome, message, 0, 0);
  }
}
