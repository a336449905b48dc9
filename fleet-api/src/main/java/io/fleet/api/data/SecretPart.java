package io.fleet.api.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fleet.api.FleetConfigException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * One named part of a stored secret: either plaintext (a public part, such as a certificate or a
 * public key) or an age file encrypted to the secret's owners. Immutable.
 *
 * <p>Serialised as the original fleet's {@code raw} string: {@code <PLAINTEXT>text}, {@code
 * <PLAINTEXT-NL>\ntext}, {@code <BASE64-ENCODED>\n<base64 lines>}, read-only {@code
 * <Z85-ENCODED>\n...}, each optionally prefixed by {@code <ENCRYPTED>}. Base64 is written in
 * 64-column lines without padding, as the original writes it; padding is accepted on read.
 *
 * <p>{@link #toString()} never shows the bytes.
 */
public final class SecretPart {
  private static final String ENCRYPTED = "<ENCRYPTED>";
  private static final java.util.regex.Pattern MARKER =
      java.util.regex.Pattern.compile("<[A-Z0-9-]{1,30}>");

  private final boolean encrypted;
  private final PartEncoding encoding;
  private final byte[] bytes;

  private SecretPart(boolean encrypted, PartEncoding encoding, byte[] bytes) {
    this.encrypted = encrypted;
    this.encoding = encoding;
    this.bytes = bytes.clone();
  }

  /** An encrypted part holding {@code ageFile} (a binary age file). */
  public static SecretPart encrypted(byte[] ageFile) {
    if (ageFile == null) {
      throw new FleetConfigException("encrypted secret part data is null");
    }
    return new SecretPart(true, PartEncoding.BASE64, ageFile);
  }

  /**
   * A plaintext part; the encoding is chosen as the original fleet chooses it, so that both write
   * the same file: UTF-8 text of printable characters (letters, marks, numbers, punctuation,
   * spaces, tab, newline, {@code + / =}) is {@code PLAINTEXT-NL} when it ends with a newline (an
   * indented Nix string can only end with one) and {@code PLAINTEXT} otherwise; anything else is
   * {@code BASE64}.
   */
  public static SecretPart plaintext(byte[] data) {
    if (data == null) {
      throw new FleetConfigException("secret part data is null");
    }
    String text = utf8(data);
    PartEncoding enc;
    if (text == null || !isPrintable(text)) {
      enc = PartEncoding.BASE64;
    } else if (text.endsWith("\n")) {
      enc = PartEncoding.PLAINTEXT_NL;
    } else {
      enc = PartEncoding.PLAINTEXT;
    }
    return new SecretPart(false, enc, data);
  }

  /** A plaintext part holding {@code text} as UTF-8. */
  public static SecretPart plaintext(String text) {
    if (text == null) {
      throw new FleetConfigException("secret part text is null");
    }
    return plaintext(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Parses a {@code raw} string.
   *
   * @throws FleetConfigException if the marker is unknown or the encoded data is invalid
   */
  @JsonCreator
  public static SecretPart parseRaw(String raw) {
    if (raw == null) {
      throw new FleetConfigException("secret part raw value is missing");
    }
    boolean enc = raw.startsWith(ENCRYPTED);
    String rest = enc ? raw.substring(ENCRYPTED.length()) : raw;
    for (PartEncoding e : PartEncoding.values()) {
      if (!rest.startsWith(e.marker())) {
        continue;
      }
      String body = rest.substring(e.marker().length());
      switch (e) {
        case PLAINTEXT:
          if (enc) {
            throw new FleetConfigException(
                "an <ENCRYPTED> part must be <BASE64-ENCODED>, not <PLAINTEXT>");
          }
          return new SecretPart(false, e, body.getBytes(StandardCharsets.UTF_8));
        case PLAINTEXT_NL:
          if (enc) {
            throw new FleetConfigException(
                "an <ENCRYPTED> part must be <BASE64-ENCODED>, not <PLAINTEXT-NL>");
          }
          if (!body.startsWith("\n")) {
            throw new FleetConfigException(
                "a <PLAINTEXT-NL> part must have a newline after its marker");
          }
          return new SecretPart(false, e, body.substring(1).getBytes(StandardCharsets.UTF_8));
        case BASE64:
          return new SecretPart(enc, PartEncoding.BASE64, decodeBase64(body));
        case Z85:
          return new SecretPart(enc, PartEncoding.Z85, Z85Codec.decode(withoutWhitespace(body)));
        default:
          throw new AssertionError(e);
      }
    }
    // Show the marker only when it looks like one: the value may be a secret in an old format.
    java.util.regex.Matcher m = MARKER.matcher(rest);
    String marker = m.lookingAt() ? m.group() : "(none)";
    throw new FleetConfigException(
        "secret part has unknown encoding "
            + marker
            + ": expected <PLAINTEXT>, <PLAINTEXT-NL>, <BASE64-ENCODED> or <Z85-ENCODED>, optionally after <ENCRYPTED>");
  }

  /** The body without the line breaks, spaces and tabs the original ignores. */
  private static String withoutWhitespace(String body) {
    StringBuilder sb = new StringBuilder(body.length());
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static byte[] decodeBase64(String body) {
    try {
      return Base64.getDecoder().decode(withoutWhitespace(body));
    } catch (IllegalArgumentException ex) {
      throw new FleetConfigException("secret part has invalid base64: " + ex.getMessage());
    }
  }

  /** The original's {@code raw} string for this part (Z85 parts are written as base64). */
  @JsonValue
  public String raw() {
    StringBuilder sb = new StringBuilder();
    if (encrypted) {
      sb.append(ENCRYPTED);
    }
    switch (encoding) {
      case PLAINTEXT:
        return sb.append(encoding.marker())
            .append(new String(bytes, StandardCharsets.UTF_8))
            .toString();
      case PLAINTEXT_NL:
        return sb.append(encoding.marker())
            .append('\n')
            .append(new String(bytes, StandardCharsets.UTF_8))
            .toString();
      default:
        sb.append(PartEncoding.BASE64.marker()).append('\n');
        String b64 = Base64.getEncoder().withoutPadding().encodeToString(bytes);
        for (int i = 0; i < b64.length(); i += 64) {
          sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
        }
        return sb.toString();
    }
  }

  /** Whether the part is an age file (private) rather than plaintext (public). */
  public boolean isEncrypted() {
    return encrypted;
  }

  /** How the part is encoded in the data file. */
  public PartEncoding encoding() {
    return encoding;
  }

  /** A copy of the bytes: the age file if encrypted, else the plaintext. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The number of bytes. */
  public int size() {
    return bytes.length;
  }

  /**
   * The plaintext as UTF-8 text.
   *
   * @throws FleetConfigException if the part is encrypted
   */
  public String text() {
    if (encrypted) {
      throw new FleetConfigException(
          "secret part is encrypted; decrypt it with a SecretCipher first");
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String utf8(byte[] data) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(data))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** The original's notion of printable text (Unicode categories L, M, N, P, Z, and a few more). */
  private static boolean isPrintable(String text) {
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      if (c == '\n' || c == '\t' || c == '/' || c == '+' || c == '=') {
        continue;
      }
      switch (Character.getType(c)) {
        case Character.UPPERCASE_LETTER:
        case Character.LOWERCASE_LETTER:
        case Character.TITLECASE_LETTER:
        case Character.MODIFIER_LETTER:
        case Character.OTHER_LETTER:
        case Character.NON_SPACING_MARK:
        case Character.ENCLOSING_MARK:
        case Character.COMBINING_SPACING_MARK:
        case Character.DECIMAL_DIGIT_NUMBER:
        case Character.LETTER_NUMBER:
        case Character.OTHER_NUMBER:
        case Character.CONNECTOR_PUNCTUATION:
        case Character.DASH_PUNCTUATION:
        case Character.START_PUNCTUATION:
        case Character.END_PUNCTUATION:
        case Character.INITIAL_QUOTE_PUNCTUATION:
        case Character.FINAL_QUOTE_PUNCTUATION:
        case Character.OTHER_PUNCTUATION:
        case Character.SPACE_SEPARATOR:
        case Character.LINE_SEPARATOR:
        case Character.PARAGRAPH_SEPARATOR:
          continue;
        default:
          return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SecretPart)) {
      return false;
    }
    SecretPart p = (SecretPart) o;
    return p.encrypted == encrypted
        && canonical(p.encoding) == canonical(encoding)
        && Arrays.equals(p.bytes, bytes);
  }

  private static PartEncoding canonical(PartEncoding e) {
    return e == PartEncoding.Z85 ? PartEncoding.BASE64 : e;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes) * 31 + (encrypted ? 1 : 0);
  }

  @Override
  public String toString() {
    return "SecretPart{"
        + (encrypted ? "encrypted" : encoding.name().toLowerCase(Locale.ROOT))
        + ", "
        + bytes.length
        + " bytes}";
  }
}
