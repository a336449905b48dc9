package io.fleet.api;

/**
 * The root of every exception this library throws. Unchecked: callers catch the subclass of the
 * area they care about ({@link FleetConfigException}, {@link EvaluationException}, {@link
 * TransportException}, {@link SecretException}, {@link DeploymentException}).
 *
 * <p>Messages say what failed, where, and what to do about it; the facts are also carried as fields
 * of the subclasses.
 */
public class FleetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with {@code message}, which says what failed, where, and what to do. */
  public FleetException(String message) {
    super(message);
  }

  /** An exception with {@code message}, caused by {@code cause}. */
  public FleetException(String message, Throwable cause) {
    super(message, cause);
  }
}
