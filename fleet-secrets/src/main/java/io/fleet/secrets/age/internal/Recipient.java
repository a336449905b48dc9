package io.fleet.secrets.age.internal;

/** Something a file key can be wrapped to: one stanza per recipient. Immutable, thread-safe. */
public interface Recipient {
  /** Wraps {@code fileKey} in a new stanza with fresh randomness. */
  Stanza wrap(byte[] fileKey);

  /** The recipient as a user writes it ({@code age1…} or an {@code ssh-ed25519} line). */
  String encoded();
}
