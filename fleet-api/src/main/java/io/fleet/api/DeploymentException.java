package io.fleet.api;

import java.util.Optional;

/** A deployment failed or was refused. Carries the host where the failure is in one host. */
public class DeploymentException extends FleetException {
  private static final long serialVersionUID = 1L;

  private final String host;

  /** A failure not tied to one host. */
  public DeploymentException(String message) {
    this(null, message, null);
  }

  /** A failure on {@code host} (null if none), caused by {@code cause} (or null). */
  public DeploymentException(String host, String message, Throwable cause) {
    super(message, cause);
    this.host = host;
  }

  /** The host this is about, where known. */
  public Optional<String> host() {
    return Optional.ofNullable(host);
  }
}
