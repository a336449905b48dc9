package io.fleet.api.data;

import io.fleet.api.FleetConfigException;
import java.io.ByteArrayOutputStream;

/** ZeroMQ's Z85 (RFC 32), which the original fleet once wrote; decoding only. */
final class Z85Codec {
  private static final String ALPHABET =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  private static final int[] DECODE = new int[128];

  static {
    java.util.Arrays.fill(DECODE, -1);
    for (int i = 0; i < ALPHABET.length(); i++) {
      DECODE[ALPHABET.charAt(i)] = i;
    }
  }

  private Z85Codec() {}

  /**
   * Decodes Z85 text. A trailing group shorter than 5 characters encodes fewer than 4 bytes (the
   * padding-free variant the original used).
   */
  static byte[] decode(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 4 / 5 + 4);
    int i = 0;
    while (i < text.length()) {
      int n = Math.min(5, text.length() - i);
      if (n == 1) {
        throw new FleetConfigException("secret part has invalid Z85: a lone trailing character");
      }
      long value = 0;
      for (int j = 0; j < 5; j++) {
        int d;
        if (j < n) {
          char c = text.charAt(i + j);
          d = c < 128 ? DECODE[c] : -1;
          if (d < 0) {
            throw new FleetConfigException(
                "secret part has invalid Z85 character " + (int) c + " at " + (i + j));
          }
        } else {
          d = 84;
        }
        value = value * 85 + d;
      }
      if (value > 0xFFFFFFFFL) {
        throw new FleetConfigException("secret part has invalid Z85: group at " + i + " overflows");
      }
      int bytes = n == 5 ? 4 : n - 1;
      for (int b = 0; b < bytes; b++) {
        out.write((int) (value >>> (24 - 8 * b)) & 0xff);
      }
      i += n;
    }
    return out.toByteArray();
  }
}
