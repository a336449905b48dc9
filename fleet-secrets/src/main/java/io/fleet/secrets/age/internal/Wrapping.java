package io.fleet.secrets.age.internal;

import com.google.crypto.tink.subtle.Random;
import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.nio.charset.StandardCharsets;

/** The shared steps of the X25519 and ssh-ed25519 stanzas. */
final class Wrapping {
  static final int FILE_KEY_SIZE = 16;
  static final String X25519_LABEL = "age-encryption.org/v1/X25519";
  static final String SSH_ED25519_LABEL = "age-encryption.org/v1/ssh-ed25519";
  private static final byte[] ZERO_NONCE = new byte[12];

  private Wrapping() {}

  static byte[] random(int n) {
    return Random.randBytes(n);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  static byte[] seal(byte[] secret, byte[] salt, String label, byte[] fileKey) {
    return sealWithKey(Hkdf.sha256(secret, salt, label, 32), fileKey);
  }

  static byte[] sealWithKey(byte[] key, byte[] fileKey) {
    byte[] out = new byte[fileKey.length + ChunkAead.TAG];
    ChunkAead.create(key, "jdk").seal(ZERO_NONCE, fileKey, 0, fileKey.length, out, 0);
    return out;
  }

  /** The file key, or null if the tag does not verify; a body of the wrong size is malformed. */
  static byte[] open(byte[] secret, byte[] salt, String label, byte[] body, String type) {
    if (body.length != FILE_KEY_SIZE + ChunkAead.TAG) {
      throw Header.failure(type + " stanza body has the wrong size (file keys are 16 bytes)");
    }
    return openWithKey(Hkdf.sha256(secret, salt, label, 32), body);
  }

  /** The file key, or null if the tag does not verify; the body size was checked. */
  static byte[] openWithKey(byte[] key, byte[] body) {
    byte[] out = new byte[FILE_KEY_SIZE];
    int n = ChunkAead.create(key, "jdk").open(ZERO_NONCE, body, 0, body.length, out, 0);
    return n < 0 ? null : out;
  }

  static byte[] share(String arg, String type) {
    byte[] share = Base64s.decodeRawStrict(arg);
    if (share == null || share.length != X25519Engine.SIZE) {
      throw Header.failure(type + " stanza share is not a canonical 32-byte base64 value");
    }
    return share;
  }

  static AgeException invalidKey(String message) {
    return new AgeException(Kind.INVALID_KEY, message);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
