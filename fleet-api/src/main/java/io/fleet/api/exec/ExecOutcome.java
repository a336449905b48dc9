package io.fleet.api.exec;

import io.fleet.api.TransportException;

/** How a command ended on one host. */
public enum ExecOutcome {
  /** It ran and exited with code 0. */
  SUCCESS,
  /** It ran and exited with another code (see {@link ExecHostResult#exitCode()}). */
  NONZERO_EXIT,
  /** The host could not be reached. */
  UNREACHABLE,
  /** Connecting and running took longer than the per-host timeout; the command was stopped. */
  TIMEOUT,
  /** The login was refused: the user's key, the host's key, or sudo asking for a password. */
  AUTHENTICATION,
  /** The connection was lost while the command ran; whether it finished is unknown. */
  CONNECTION_LOST,
  /** Anything else went wrong (see {@link ExecHostResult#error()}). */
  ERROR,
  /** The run was cancelled before this host finished. */
  NOT_RUN;

  /** Whether this is {@link #SUCCESS}. */
  public boolean isSuccess() {
    return this == SUCCESS;
  }

  /** The outcome for a transport failure of {@code reason}. */
  public static ExecOutcome of(TransportException.Reason reason) {
    switch (reason) {
      case UNREACHABLE:
        return UNREACHABLE;
      case TIMEOUT:
        return TIMEOUT;
      case AUTHENTICATION:
      case HOST_KEY_MISMATCH:
      case HOST_KEY_UNKNOWN:
        return AUTHENTICATION;
      case CONNECTION_LOST:
        return CONNECTION_LOST;
      default:
        return ERROR;
    }
  }
}
