package io.fleet.api.deploy;

/**
 * Receives every {@link DeploymentEvent} of a deployment. Called from the deployer's worker
 * threads, possibly concurrently for different hosts; implementations must be thread-safe and
 * quick. An exception thrown by a listener is logged and otherwise ignored.
 */
@FunctionalInterface
public interface DeploymentListener {
  /** A listener that ignores everything. */
  DeploymentListener NONE = e -> {};

  /** Called for each event. */
  void onEvent(DeploymentEvent event);
}
