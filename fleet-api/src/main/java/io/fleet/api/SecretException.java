package io.fleet.api;

import java.util.Optional;

/**
 * Encrypting, decrypting, generating or rotating a secret failed. Carries the secret's name where
 * one is known. Messages never contain secret material.
 */
public class SecretException extends FleetException {
  private static final long serialVersionUID = 1L;

  private final String secret;

  public SecretException(String message) {
    this(null, message, null);
  }

  public SecretException(String message, Throwable cause) {
    this(null, message, cause);
  }

  public SecretException(String secret, String message, Throwable cause) {
    super(message, cause);
    this.secret = secret;
  }

  /** The secret this is about, where known. */
  public Optional<String> secret() {
    return Optional.ofNullable(secret);
  }
}
