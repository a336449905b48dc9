package io.fleet.secrets.age.internal;

import java.util.Base64;

/** The strict base64 age uses: standard alphabet, canonical encodings only. */
final class Base64s {
  private static final Base64.Encoder RAW = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder DEC = Base64.getDecoder();

  private Base64s() {}

  static String encodeRaw(byte[] b) {
    return RAW.encodeToString(b);
  }

  /** Decodes unpadded canonical base64, or returns null. */
  static byte[] decodeRawStrict(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!inAlphabet(c)) {
        return null;
      }
    }
    if (s.length() % 4 == 1) {
      return null;
    }
    byte[] b;
    try {
      b = DEC.decode(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
    // Non-zero unused bits make a non-canonical encoding; re-encoding detects them.
    return RAW.encodeToString(b).equals(s) ? b : null;
  }

  /** Decodes padded canonical base64 (the armor's), or returns null. */
  static byte[] decodePaddedStrict(String s) {
    if (s.length() % 4 != 0) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!inAlphabet(c) && c != '=') {
        return null;
      }
    }
    byte[] b;
    try {
      b = DEC.decode(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return Base64.getEncoder().encodeToString(b).equals(s) ? b : null;
  }

  /** Whether {@code c} is one of the 64 characters of the standard base64 alphabet. */
  private static boolean inAlphabet(char c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '+'
        || c == '/';
  }
}
