package io.fleet.api.exec;

/**
 * Receives every {@link ExecEvent} of a run. Called from the run's worker threads, concurrently for
 * different hosts; implementations must be thread-safe and quick. An exception thrown by a listener
 * is logged and otherwise ignored.
 */
@FunctionalInterface
public interface ExecListener {
  /** A listener that ignores everything. */
  ExecListener NONE = e -> {};

  /** Called for each event. */
  void onEvent(ExecEvent event);
}
