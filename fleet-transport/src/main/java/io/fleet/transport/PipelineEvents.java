package io.fleet.transport;

import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.pipeline.PipelineEvent;
import io.fleet.api.pipeline.PipelineListener;
import io.fleet.api.pipeline.PipelineStage;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pipeline's events: recorded in order (by the pipeline, under its lock, and by the deployer's
 * threads for forwarded deployment events) and sent to the listeners by one thread of their own, so
 * a listener is never called under the pipeline's lock nor concurrently. {@link #close()} sends
 * what is left and stops the thread.
 */
final class PipelineEvents {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineEvents.class);
  private static final PipelineEvent END =
      new PipelineEvent(
          "",
          PipelineStage.EVALUATE,
          PipelineEvent.Kind.PROGRESS,
          "end",
          java.time.Instant.EPOCH,
          null);

  private final List<PipelineListener> listeners;
  private final Clock clock;
  private final LinkedBlockingQueue<PipelineEvent> queue = new LinkedBlockingQueue<>();
  private final Thread sender;

  PipelineEvents(List<PipelineListener> listeners, Clock clock, String id) {
    this.listeners = List.copyOf(listeners);
    this.clock = clock;
    this.sender = new Thread(this::send, "fleet-pipeline-events-" + id);
    sender.setDaemon(true);
    sender.start();
  }

  /** Records an event of {@code host} ({@code ""} for the whole pipeline). */
  void emit(String host, PipelineStage stage, PipelineEvent.Kind kind, String message) {
    queue.add(new PipelineEvent(host, stage, kind, message, clock.instant(), null));
  }

  /** Records a deployment's event as progress of the host's deploy stage. */
  void forward(DeploymentEvent e) {
    queue.add(
        new PipelineEvent(
            e.host(), PipelineStage.DEPLOY, PipelineEvent.Kind.PROGRESS, e.message(), e.time(), e));
  }

  private void send() {
    while (true) {
      PipelineEvent e;
      try {
        e = queue.take();
      } catch (InterruptedException ie) {
        return;
      }
      if (e == END) {
        return;
      }
      LOG.debug("{}", e);
      for (PipelineListener l : listeners) {
        try {
          l.onEvent(e);
        } catch (RuntimeException ex) {
          LOG.warn("pipeline listener {} failed on {}", l, e, ex);
        }
      }
    }
  }

  /** Sends every recorded event, then stops the sending thread; waits for it. */
  void close() {
    queue.add(END);
    boolean interrupted = false;
    while (sender.isAlive()) {
      try {
        sender.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
