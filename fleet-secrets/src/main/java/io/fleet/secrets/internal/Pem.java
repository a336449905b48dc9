package io.fleet.secrets.internal;

import io.fleet.api.SecretException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** PEM armour (RFC 7468): a label and base64 lines between BEGIN and END markers. */
public final class Pem {
  private Pem() {}

  /** {@code der} as PEM text with {@code label}, base64 in 64-column lines, ending in a newline. */
  public static String encode(String label, byte[] der) {
    return encode(label, der, 64);
  }

  /** {@code der} as PEM text with lines of {@code width} base64 characters. */
  public static String encode(String label, byte[] der, int width) {
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder sb = new StringBuilder(b64.length() + b64.length() / width + 80);
    sb.append("-----BEGIN ").append(label).append("-----\n");
    for (int i = 0; i < b64.length(); i += width) {
      sb.append(b64, i, Math.min(b64.length(), i + width)).append('\n');
    }
    return sb.append("-----END ").append(label).append("-----\n").toString();
  }

  /**
   * The DER bytes of the first PEM block labelled {@code label} in {@code text}.
   *
   * @throws SecretException naming {@code what} if there is none or it is not valid base64
   */
  public static byte[] decode(String label, byte[] text, String what) {
    String s = new String(text, StandardCharsets.UTF_8);
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int b = s.indexOf(begin);
    int e = b < 0 ? -1 : s.indexOf(end, b);
    if (b < 0 || e < 0) {
      throw new SecretException(what + " is not a PEM " + label);
    }
    try {
      return Base64.getMimeDecoder().decode(s.substring(b + begin.length(), e));
    } catch (IllegalArgumentException ex) {
      throw new SecretException(what + " has invalid base64 in its PEM " + label);
    }
  }
}
