package io.fleet.testkit.internal;

import java.nio.charset.StandardCharsets;

/** Shows text or bytes from a stream in an error message: printable, escaped, and short. */
public final class Printable {
  private static final int MAX = 48;

  private Printable() {}

  /** {@code s} quoted, control and non-ASCII characters as {@code \xNN}, cut at 48 characters. */
  public static String of(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return of(b, b.length);
  }

  /** The first {@code n} of {@code bytes} as {@link #of(String)} shows text. */
  public static String of(byte[] bytes, int n) {
    StringBuilder sb = new StringBuilder("\"");
    int shown = 0;
    for (int i = 0; i < n && i < bytes.length; i++) {
      if (shown >= MAX) {
        sb.append("…");
        break;
      }
      int c = bytes[i] & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
      shown++;
    }
    return sb.append('"').toString();
  }
}
