package io.fleet.nix;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import java.util.List;
import java.util.Map;

/**
 * Evaluating some hosts of a fleet failed, the others succeeded. Its message, command, exit code,
 * stderr and {@link #host()} are those of the first failure in host order (when one host failed,
 * exactly what a one-host failure has always reported); {@link #failures()} has every failed host
 * and {@link #evaluated()} the fleet of the hosts that did evaluate.
 */
public final class PartialEvaluationException extends EvaluationException {
  private static final long serialVersionUID = 1L;

  private final transient Fleet evaluated;
  private final transient Map<String, EvaluationException> failures;

  PartialEvaluationException(
      String message,
      EvaluationException first,
      Fleet evaluated,
      Map<String, EvaluationException> failures) {
    super(message, first.command(), first.exitCode(), first.stderr(), first.host().orElse(null));
    this.evaluated = evaluated;
    this.failures = Map.copyOf(failures);
    failures.values().stream().filter(f -> f != first).forEach(this::addSuppressed);
  }

  /**
   * The fleet with only the hosts that evaluated (shared secrets, settings and modules as always).
   */
  public Fleet evaluated() {
    return evaluated;
  }

  /**
   * Each failed host and its failure: that host's own error, or the failure of the nix process that
   * was evaluating it with others (whose message names all of them).
   */
  public Map<String, EvaluationException> failures() {
    return failures;
  }

  /** The failed hosts, sorted. */
  public List<String> failedHosts() {
    return failures.keySet().stream().sorted().toList();
  }
}
