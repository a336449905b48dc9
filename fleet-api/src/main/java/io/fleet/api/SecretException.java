package io.fleet.api;

import java.util.Optional;

/**
 * Encrypting, decrypting, generating or rotating a secret failed. Carries the secret's name where
 * one is known. Messages never contain secret material.
 */
public class SecretException extends FleetException {
  private static final long serialVersionUID = 1L;

  private final String secret;

  /** A failure not tied to one secret; {@code message} must not contain secret material. */
  public SecretException(String message) {
    this(null, message, null);
  }

  /** A failure not tied to one secret, caused by {@code cause}. */
  public SecretException(String message, Throwable cause) {
    this(null, message, cause);
  }

  /** A failure about secret {@code secret} (null if none), caused by {@code cause} (or null). */
  public SecretException(String secret, String message, Throwable cause) {
    super(message, cause);
    this.secret = secret;
  }

  /** The secret this is about, where known. */
  public Optional<String> secret() {
    return Optional.ofNullable(secret);
  }
}
