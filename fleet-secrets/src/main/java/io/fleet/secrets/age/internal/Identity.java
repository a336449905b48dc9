package io.fleet.secrets.age.internal;

/** Something that may unwrap a file key from a stanza. Immutable, thread-safe. */
public interface Identity {
  /**
   * The file key in {@code stanza}, or {@code null} if this stanza is not for this identity.
   *
   * @throws io.fleet.secrets.age.AgeException of kind HEADER_FAILURE if the stanza is of this
   *     identity's type but malformed
   */
  byte[] unwrap(Stanza stanza);

  /** The matching recipient, as a user writes it. */
  String recipient();
}
