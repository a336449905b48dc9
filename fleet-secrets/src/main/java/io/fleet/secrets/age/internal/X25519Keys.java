package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import java.util.List;
import java.util.Locale;

/** Native age X25519 recipients ({@code age1…}) and identities ({@code AGE-SECRET-KEY-1…}). */
final class X25519Keys {
  private X25519Keys() {}

  /** An {@code age1…} recipient. */
  static final class X25519Recipient implements Recipient {
    private final byte[] publicKey;

    X25519Recipient(byte[] publicKey) {
      this.publicKey = publicKey.clone();
    }

    @Override
    public Stanza wrap(byte[] fileKey) {
      X25519Engine x = X25519Engine.get();
      byte[] eph = Wrapping.random(32);
      byte[] share = x.publicKey(eph);
      byte[] secret = x.agree(eph, publicKey);
      java.util.Arrays.fill(eph, (byte) 0);
      if (secret == null) {
        throw Wrapping.invalidKey("recipient " + encoded() + " is a low-order X25519 point");
      }
      byte[] body =
          Wrapping.seal(secret, Wrapping.concat(share, publicKey), Wrapping.X25519_LABEL, fileKey);
      return new Stanza("X25519", List.of(Base64s.encodeRaw(share)), body);
    }

    @Override
    public String encoded() {
      return Bech32.encode("age", publicKey);
    }
  }

  /** An {@code AGE-SECRET-KEY-1…} identity. */
  static final class X25519Identity implements Identity {
    private final byte[] scalar;
    private final byte[] publicKey;

    X25519Identity(byte[] scalar) {
      this.scalar = scalar.clone();
      this.publicKey = X25519Engine.get().publicKey(scalar);
    }

    @Override
    public byte[] unwrap(Stanza stanza) {
      if (!stanza.type.equals("X25519")) {
        return null;
      }
      if (stanza.args.size() != 1) {
        throw Header.failure("X25519 stanza must have exactly one argument");
      }
      byte[] share = Wrapping.share(stanza.args.get(0), "X25519");
      byte[] secret = X25519Engine.get().agree(scalar, share);
      if (secret == null) {
        throw Header.failure("X25519 stanza share is a low-order point");
      }
      return Wrapping.open(
          secret, Wrapping.concat(share, publicKey), Wrapping.X25519_LABEL, stanza.body, "X25519");
    }

    @Override
    public String recipient() {
      return Bech32.encode("age", publicKey);
    }

    String encoded() {
      return Bech32.encode("AGE-SECRET-KEY-", scalar);
    }

    @Override
    public String toString() {
      return "X25519Identity{" + recipient() + "}";
    }
  }

  static Recipient parseRecipient(String s) {
    Bech32.Decoded d = Bech32.decode(s, "age recipient");
    if (!d.hrp.equals("age") || d.data.length != 32) {
      throw Wrapping.invalidKey(
          "age recipient " + s + " is not an X25519 recipient (expected age1… with 32 bytes)");
    }
    return new X25519Recipient(d.data);
  }

  static Identity parseIdentity(String s, String where) {
    if (s.startsWith("AGE-SECRET-KEY-PQ-")) {
      throw Wrapping.invalidKey(
          where
              + " is a post-quantum (ML-KEM hybrid) age identity, which this library does not"
              + " support yet; use an X25519 identity (age-keygen without -pq)");
    }
    Bech32.Decoded d;
    try {
      d = Bech32.decode(s, where);
    } catch (AgeException e) {
      // Never echo the key itself.
      throw Wrapping.invalidKey(where + " is not a valid AGE-SECRET-KEY-1… identity");
    }
    if (!d.hrp.equals("AGE-SECRET-KEY-") || d.data.length != 32) {
      throw Wrapping.invalidKey(
          where
              + " is not an X25519 identity ("
              + d.hrp.toUpperCase(Locale.ROOT)
              + "…); expected AGE-SECRET-KEY-1…");
    }
    return new X25519Identity(d.data);
  }

  /** A new random identity, encoded as {@code AGE-SECRET-KEY-1…}. */
  static String generate() {
    byte[] scalar = Wrapping.random(32);
    return new X25519Identity(scalar).encoded();
  }
}
