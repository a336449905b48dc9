package io.fleet.api;

/**
 * Reaching a host or running a command on it failed: unreachable, refused, authentication, host key
 * mismatch, timeout, or a dropped connection. Carries the host and the {@link Reason}.
 */
public class TransportException extends FleetException {
  private static final long serialVersionUID = 1L;

  /** Why the transport failed. */
  public enum Reason {
    /** The host could not be reached (connection refused, no route, connect timeout). */
    UNREACHABLE,
    /** The host's key did not match the pinned or known key. */
    HOST_KEY_MISMATCH,
    /** The host key is unknown and accepting unknown keys was not enabled. */
    HOST_KEY_UNKNOWN,
    /** The user's key was refused. */
    AUTHENTICATION,
    /** A command or the connection timed out. */
    TIMEOUT,
    /** The connection was lost while in use. */
    CONNECTION_LOST,
    /** The command is not understood by the host (fake hosts say this for unknown commands). */
    UNSUPPORTED_COMMAND,
    /** Anything else. */
    OTHER
  }

  private final String host;
  private final Reason reason;

  /** A failure reaching {@code host} or running a command on it. */
  public TransportException(String host, Reason reason, String message) {
    super(message);
    this.host = host;
    this.reason = reason;
  }

  /** A failure reaching {@code host} or running a command on it, caused by {@code cause}. */
  public TransportException(String host, Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.host = host;
    this.reason = reason;
  }

  /** The host the failure is about. */
  public String host() {
    return host;
  }

  /** Why it failed. */
  public Reason reason() {
    return reason;
  }
}
