package io.fleet.secrets.age.internal;

import java.security.GeneralSecurityException;

/** HKDF-SHA-256 (Tink's). */
final class Hkdf {
  private Hkdf() {}

  static byte[] sha256(byte[] ikm, byte[] salt, String info, int size) {
    try {
      return com.google.crypto.tink.subtle.Hkdf.computeHkdf(
          "HMACSHA256", ikm, salt, info.getBytes(java.nio.charset.StandardCharsets.US_ASCII), size);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF-SHA-256 unavailable", e);
    }
  }
}
