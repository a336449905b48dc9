package io.fleet.api.data;

/**
 * A Z85 encoder with the {@code z85} crate's tail convention, written from its description, to
 * produce test input for {@link Z85Codec} (which only decodes).
 */
final class Z85ForTests {
  private static final String ALPHABET =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

  private Z85ForTests() {}

  static String encode(byte[] data) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < data.length; i += 4) {
      int n = Math.min(4, data.length - i);
      long value = 0;
      for (int j = 0; j < n; j++) {
        value = value << 8 | (data[i + j] & 0xff);
      }
      char[] group = new char[5];
      for (int k = 4; k >= 0; k--) {
        group[k] = ALPHABET.charAt((int) (value % 85));
        value /= 85;
      }
      for (int k = 0; k < 4 - n; k++) {
        group[k] = '#';
      }
      sb.append(group);
    }
    return sb.toString();
  }
}
