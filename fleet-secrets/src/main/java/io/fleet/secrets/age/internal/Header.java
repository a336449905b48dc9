package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The age v1 header: parsed strictly (canonical encodings only) and written canonically. */
final class Header {
  static final String INTRO = "age-encryption.org/v1";
  private static final int BYTES_PER_LINE = 48;
  private static final int MAX_HEADER = 1 << 20;

  final List<Stanza> stanzas;
  final byte[] mac;

  /** The header bytes the MAC covers: everything up to and including {@code ---}. */
  final byte[] macInput;

  private Header(List<Stanza> stanzas, byte[] mac, byte[] macInput) {
    this.stanzas = stanzas;
    this.mac = mac;
    this.macInput = macInput;
  }

  /** The stanzas in file order. */
  List<Stanza> stanzas() {
    return stanzas;
  }

  /** Writes a header for {@code stanzas}, MACed with {@code fileKey}. */
  static byte[] write(List<Stanza> stanzas, byte[] fileKey) {
    StringBuilder sb = new StringBuilder(INTRO).append('\n');
    for (Stanza s : stanzas) {
      sb.append("-> ").append(s.type);
      for (String a : s.args) {
        sb.append(' ').append(a);
      }
      sb.append('\n');
      String b = Base64s.encodeRaw(s.body);
      int i = 0;
      for (; i + 64 <= b.length(); i += 64) {
        sb.append(b, i, i + 64).append('\n');
      }
      // A stanza always ends with a short (possibly empty) line.
      sb.append(b, i, b.length()).append('\n');
    }
    sb.append("---");
    byte[] macInput = sb.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] mac = mac(fileKey, macInput);
    sb.append(' ').append(Base64s.encodeRaw(mac)).append('\n');
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] mac(byte[] fileKey, byte[] macInput) {
    byte[] key = Hkdf.sha256(fileKey, new byte[0], "header", 32);
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m.doFinal(macInput);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 unavailable", e);
    }
  }

  /** Whether the header MAC verifies under {@code fileKey} (constant time). */
  boolean verify(byte[] fileKey) {
    return MessageDigest.isEqual(mac(fileKey, macInput), mac);
  }

  /**
   * Reads a header from {@code in}, leaving {@code in} at the first payload byte. {@code in} should
   * be buffered: the header is read a byte at a time so nothing past it is consumed.
   *
   * @throws AgeException of kind {@link Kind#HEADER_FAILURE} if it is malformed
   */
  static Header read(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream(256);
    String intro = readLine(in, all);
    if (!INTRO.equals(intro)) {
      if (intro.startsWith("age-encryption.org/")) {
        throw failure("unsupported age format version; this reads " + INTRO);
      }
      throw failure("not an age file (the first line is not " + INTRO + ")");
    }
    List<Stanza> stanzas = new ArrayList<>();
    while (true) {
      int lineStart = all.size();
      String line = readLine(in, all);
      if (line.startsWith("---")) {
        String[] parts = line.split(" ", -1);
        if (!parts[0].equals("---") || parts.length != 2) {
          throw failure("malformed closing line of the header");
        }
        byte[] mac = Base64s.decodeRawStrict(parts[1]);
        if (mac == null || mac.length != 32) {
          throw failure("malformed header MAC");
        }
        byte[] bytes = all.toByteArray();
        byte[] macInput = Arrays.copyOf(bytes, lineStart + 3);
        return new Header(List.copyOf(stanzas), mac, macInput);
      } else if (line.startsWith("->")) {
        String[] parts = line.split(" ", -1);
        if (!parts[0].equals("->") || parts.length < 2) {
          throw failure("malformed stanza line");
        }
        for (int i = 1; i < parts.length; i++) {
          if (!validArg(parts[i])) {
            throw failure("invalid stanza argument (empty or a character outside ASCII 33-126)");
          }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
          String b = readLine(in, all);
          byte[] chunk = Base64s.decodeRawStrict(b);
          if (chunk == null) {
            throw failure("stanza body is not canonical unpadded base64");
          }
          if (chunk.length > BYTES_PER_LINE) {
            throw failure("stanza body line is longer than 64 columns");
          }
          body.write(chunk, 0, chunk.length);
          if (chunk.length < BYTES_PER_LINE) {
            break;
          }
        }
        stanzas.add(
            new Stanza(
                parts[1], Arrays.asList(parts).subList(2, parts.length), body.toByteArray()));
      } else {
        throw failure("unexpected line in header (expected a stanza or the closing ---)");
      }
    }
  }

  private static boolean validArg(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 33 || c > 126) {
        return false;
      }
    }
    return true;
  }

  /** Reads one {@code \n}-terminated line (without it); bytes outside ASCII 32-126 are refused. */
  private static String readLine(InputStream in, ByteArrayOutputStream all) throws IOException {
    StringBuilder sb = new StringBuilder(80);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw failure("header is truncated");
      }
      all.write(c);
      if (all.size() > MAX_HEADER) {
        throw failure("header is larger than 1 MiB");
      }
      if (c == '\n') {
        return sb.toString();
      }
      if (c < 32 || c > 126) {
        throw failure("header contains a byte outside printable ASCII (CR line endings?)");
      }
      sb.append((char) c);
    }
  }

  static AgeException failure(String message) {
    return new AgeException(Kind.HEADER_FAILURE, "age header failure: " + message);
  }
}
