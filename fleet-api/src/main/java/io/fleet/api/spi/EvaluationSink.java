package io.fleet.api.spi;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.Host;
import java.util.List;

/**
 * Receives the result of {@link Evaluator#evaluate(String, String, EvaluationSink)} piece by piece,
 * as the evaluator produces it: first the fleet-level part, once; then each host as soon as it is
 * evaluated, or its failure. A streaming pipeline starts building a host from {@link
 * #hostEvaluated} while the evaluator is still evaluating the others.
 *
 * <p>Calls: {@link #fleetEvaluated} exactly once, before any other call (when the fleet-level
 * evaluation fails, no call at all and {@code evaluate} throws); then one {@link #hostEvaluated} or
 * {@link #hostFailed} per host named in {@code hostNames}, in no particular order and possibly
 * concurrently from the evaluator's threads. Implementations must be thread-safe and quick (they
 * hold up the evaluator's worker); an exception a sink throws is not the evaluation's failure, and
 * evaluators ignore it.
 */
public interface EvaluationSink {
  /** A sink that ignores everything. */
  EvaluationSink NONE = new EvaluationSink() {};

  /**
   * The fleet-level part: a {@link Fleet} with the fleet's name, shared secrets, settings and
   * modules but no hosts, and the names of every host the evaluation will deliver, in host order.
   */
  default void fleetEvaluated(Fleet fleetLevel, List<String> hostNames) {}

  /**
   * Host {@code host} is evaluated (with its {@link Host#systemAttribute()} or system path); the
   * evaluator may already build it ({@link Evaluator#build}) though others are still evaluating.
   */
  default void hostEvaluated(Host host) {}

  /** Host {@code host} could not be evaluated; the evaluator goes on with the others. */
  default void hostFailed(String host, EvaluationException failure) {}
}
