package io.fleet.api.spi;

/** Receives progress of long evaluations and builds. Called from the evaluator's threads. */
@FunctionalInterface
public interface BuildListener {
  /** A listener that ignores everything. */
  BuildListener NONE = (done, expected, message) -> {};

  /**
   * Progress: {@code done} of {@code expected} units (derivations built, or -1 when unknown), and
   * the latest message of the build tool.
   */
  void progress(long done, long expected, String message);
}
