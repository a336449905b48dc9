package io.fleet.secrets;

import io.fleet.api.FleetException;

/**
 * Progress of a rotation, for logs and progress bars. Called on the rotating thread; every method
 * has an empty default. Events carry no secret material.
 */
public interface RotationListener {
  /** A host's key was fetched from the host and recorded. */
  default void hostKeyFetched(String host, String key) {}

  /** A step is about to run. */
  default void stepStarted(RotationStep step) {}

  /** A step finished and its result was saved. */
  default void stepFinished(RotationStep step) {}

  /** A step failed; the rotation stops after this. Everything finished before is saved. */
  default void stepFailed(RotationStep step, FleetException error) {}

  /** A warning for the operator. */
  default void warning(String message) {}
}
