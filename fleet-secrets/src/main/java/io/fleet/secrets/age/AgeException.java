package io.fleet.secrets.age;

import io.fleet.api.SecretException;

/**
 * An age file could not be read or written, or a key was not usable. {@link #kind()} tells which of
 * the failure classes of the age specification (and its CCTV test vectors) this is. Messages never
 * contain plaintext or private key material.
 */
public final class AgeException extends SecretException {
  private static final long serialVersionUID = 1L;

  /** The class of failure, as the C2SP age test vectors name them. */
  public enum Kind {
    /** The header is malformed (version line, stanza syntax, base64, a malformed known stanza). */
    HEADER_FAILURE,
    /** No identity given could unwrap the file key of any stanza. */
    NO_MATCH,
    /** The file key was found but the header MAC does not verify: the header was altered. */
    HMAC_FAILURE,
    /** The payload is truncated, altered or has trailing data. */
    PAYLOAD_FAILURE,
    /** The ASCII armor is malformed. */
    ARMOR_FAILURE,
    /** A recipient or identity string is not a usable key. */
    INVALID_KEY
  }

  private final Kind kind;

  /** An age failure of the given kind. */
  public AgeException(Kind kind, String message) {
    this(kind, message, null);
  }

  /** An age failure of the given kind, caused by {@code cause}. */
  public AgeException(Kind kind, String message, Throwable cause) {
    super(null, message, cause);
    this.kind = kind;
  }

  /** Which class of failure this is. */
  public Kind kind() {
    return kind;
  }
}
