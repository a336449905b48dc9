package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.io.ByteArrayOutputStream;
import java.util.Locale;

/** Bech32 (BIP 173, not Bech32m) as age uses it for keys; no 90-character limit. */
final class Bech32 {
  private static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final int[] GEN = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};

  private Bech32() {}

  /** A decoded string: its human-readable part as written, and its data bytes. */
  static final class Decoded {
    final String hrp;
    final byte[] data;

    Decoded(String hrp, byte[] data) {
      this.hrp = hrp;
      this.data = data;
    }
  }

  private static int polymod(byte[] values) {
    int chk = 1;
    for (byte v : values) {
      int b = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ v;
      for (int i = 0; i < 5; i++) {
        if (((b >>> i) & 1) != 0) {
          chk ^= GEN[i];
        }
      }
    }
    return chk;
  }

  private static byte[] hrpExpand(String hrp) {
    int n = hrp.length();
    byte[] r = new byte[n * 2 + 1];
    for (int i = 0; i < n; i++) {
      r[i] = (byte) (hrp.charAt(i) >> 5);
      r[n + 1 + i] = (byte) (hrp.charAt(i) & 31);
    }
    return r;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** Encodes {@code data} under {@code hrp}; the result is upper case if the hrp is. */
  static String encode(String hrp, byte[] data) {
    boolean upper = !hrp.equals(hrp.toLowerCase(Locale.ROOT));
    String lower = hrp.toLowerCase(Locale.ROOT);
    byte[] values = convertBits(data, 8, 5, true);
    byte[] enc = concat(hrpExpand(lower), values);
    byte[] withZeros = concat(enc, new byte[6]);
    int mod = polymod(withZeros) ^ 1;
    StringBuilder sb = new StringBuilder(lower).append('1');
    for (byte v : values) {
      sb.append(CHARSET.charAt(v));
    }
    for (int i = 0; i < 6; i++) {
      sb.append(CHARSET.charAt((mod >>> (5 * (5 - i))) & 31));
    }
    String s = sb.toString();
    return upper ? s.toUpperCase(Locale.ROOT) : s;
  }

  /**
   * Decodes a Bech32 string strictly (no mixed case, valid checksum, zero padding bits).
   *
   * @throws AgeException of kind {@link Kind#INVALID_KEY} if it is not valid Bech32
   */
  static Decoded decode(String s, String what) {
    if (s.length() < 8) {
      throw invalid(what, "too short");
    }
    boolean hasLower = false;
    boolean hasUpper = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 33 || c > 126) {
        throw invalid(what, "contains an invalid character");
      }
      hasLower |= c >= 'a' && c <= 'z';
      hasUpper |= c >= 'A' && c <= 'Z';
    }
    if (hasLower && hasUpper) {
      throw invalid(what, "mixes upper and lower case");
    }
    int pos = s.lastIndexOf('1');
    if (pos < 1 || pos + 7 > s.length()) {
      throw invalid(what, "has no valid separator");
    }
    String hrp = s.substring(0, pos);
    String lower = s.toLowerCase(Locale.ROOT);
    byte[] values = new byte[s.length() - pos - 1];
    for (int i = 0; i < values.length; i++) {
      int v = CHARSET.indexOf(lower.charAt(pos + 1 + i));
      if (v < 0) {
        throw invalid(what, "contains a character outside the Bech32 alphabet");
      }
      values[i] = (byte) v;
    }
    if (polymod(concat(hrpExpand(hrp.toLowerCase(Locale.ROOT)), values)) != 1) {
      throw invalid(what, "has a bad checksum (mistyped or truncated?)");
    }
    byte[] data = new byte[values.length - 6];
    System.arraycopy(values, 0, data, 0, data.length);
    byte[] bytes = convertBits(data, 5, 8, false);
    if (bytes == null) {
      throw invalid(what, "has invalid padding");
    }
    return new Decoded(hrp, bytes);
  }

  private static AgeException invalid(String what, String why) {
    return new AgeException(Kind.INVALID_KEY, what + " is not valid Bech32: it " + why);
  }

  private static byte[] convertBits(byte[] in, int from, int to, boolean pad) {
    int acc = 0;
    int bits = 0;
    int maxv = (1 << to) - 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte b : in) {
      int value = b & 0xff;
      acc = (acc << from) | value;
      bits += from;
      while (bits >= to) {
        bits -= to;
        out.write((acc >>> bits) & maxv);
      }
    }
    if (pad) {
      if (bits > 0) {
        out.write((acc << (to - bits)) & maxv);
      }
    } else if (bits >= from || ((acc << (to - bits)) & maxv) != 0) {
      return null;
    }
    return out.toByteArray();
  }
}
