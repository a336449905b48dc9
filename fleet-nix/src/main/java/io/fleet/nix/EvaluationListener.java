package io.fleet.nix;

import io.fleet.api.EvaluationException;

/**
 * Progress of {@link NixEvaluator#evaluate}, host by host. With a pool of nix processes the calls
 * come from several threads at once (implementations must be thread-safe); an exception thrown by a
 * listener is ignored.
 */
public interface EvaluationListener {
  /** A listener that ignores everything. */
  EvaluationListener NONE = new EvaluationListener() {};

  /**
   * Host {@code host} has been evaluated by its nix process (its result comes when that process
   * ends, to the sink of {@link NixEvaluator#evaluate(String, String,
   * io.fleet.api.spi.EvaluationSink)}, or once every host is done from {@link
   * NixEvaluator#evaluate(String, String)}).
   *
   * @param done how many hosts have been evaluated so far, this one included
   * @param total how many hosts the fleet has
   */
  default void hostEvaluated(String host, int done, int total) {}

  /** Host {@code host} could not be evaluated; the evaluation goes on with the others. */
  default void hostFailed(String host, EvaluationException failure) {}
}
