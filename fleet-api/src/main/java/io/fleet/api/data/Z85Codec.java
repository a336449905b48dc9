package io.fleet.api.data;

import io.fleet.api.FleetConfigException;
import java.io.ByteArrayOutputStream;

/**
 * ZeroMQ's Z85 (RFC 32) with the tail convention of the Rust {@code z85} crate (version 3), which
 * the original fleet once wrote; decoding only.
 *
 * <p>The text is a sequence of 5-character groups, each a big-endian 32-bit number in base 85. When
 * the data is not a multiple of 4 bytes, the last group holds the remaining 1 to 3 bytes as a
 * number, and its first characters (as many as bytes are missing, always {@code 0} digits there)
 * are written as {@code #} instead. A full group can never start with {@code #}: 84·85⁴ exceeds
 * 2³².
 */
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
   * Decodes Z85 text (no whitespace).
   *
   * @throws FleetConfigException if the length is not a multiple of 5, a character is not in the
   *     alphabet, or a group is out of range
   */
  static byte[] decode(String text) {
    if (text.length() % 5 != 0) {
      throw new FleetConfigException(
          "secret part has invalid Z85: its length "
              + text.length()
              + " is not a multiple of 5; the data file is damaged");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() / 5 * 4);
    for (int i = 0; i < text.length(); i += 5) {
      boolean last = i + 5 == text.length();
      int missing = 0;
      while (last && missing < 3 && text.charAt(i + missing) == '#') {
        missing++;
      }
      long value = 0;
      for (int j = 0; j < 5; j++) {
        char c = text.charAt(i + j);
        int d = j < missing ? 0 : c < 128 ? DECODE[c] : -1;
        if (d < 0) {
          throw new FleetConfigException(
              "secret part has invalid Z85: character code " + (int) c + " at " + (i + j));
        }
        value = value * 85 + d;
      }
      int bytes = 4 - missing;
      if (value >= 1L << (8 * bytes)) {
        throw new FleetConfigException(
            "secret part has invalid Z85: the group at " + i + " is out of range");
      }
      for (int b = bytes - 1; b >= 0; b--) {
        out.write((int) (value >>> (8 * b)) & 0xff);
      }
    }
    return out.toByteArray();
  }
}
