package io.fleet.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.List;

/**
 * The built-in secret generators, as {@link GeneratorSpec} values for {@link
 * SecretSpec.Builder#generator(GeneratorSpec)}. The implementations live in {@code fleet-secrets}.
 *
 * <p>Every generator produces named parts: {@code secret} (private, encrypted to the owners) and,
 * where the kind has one, {@code public} (plaintext).
 */
public final class Generators {
  /** Kind of {@link #password}. */
  public static final String PASSWORD = "password";

  /** Kind of {@link #randomBytes}. */
  public static final String RANDOM_BYTES = "random-bytes";

  /** Kind of {@link #ed25519}. */
  public static final String ED25519 = "ed25519";

  /** Kind of {@link #rsa}. */
  public static final String RSA = "rsa";

  /** Kind of {@link #wireguard}. */
  public static final String WIREGUARD = "wireguard";

  /** Kind of {@link #x509Ca}. */
  public static final String X509_CA = "x509-ca";

  /** Kind of {@link #x509Leaf}. */
  public static final String X509_LEAF = "x509-leaf";

  /** Kind of {@link #script}. */
  public static final String SCRIPT = "script";

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private Generators() {}

  /**
   * The least strength {@link #password(int, String)} accepts, in bits: {@code length ×
   * log2(distinct characters of the alphabet)} must reach it. With the default alphabet of 62
   * letters and digits that is 11 characters; with digits only, 20.
   */
  public static final int PASSWORD_MIN_BITS = 64;

  /** The longest password {@link #password(int, String)} accepts, in characters. */
  public static final int PASSWORD_MAX_LENGTH = 65536;

  /** A random password of 32 characters from letters and digits (190 bits). */
  public static GeneratorSpec password() {
    return password(32);
  }

  /**
   * A random password of {@code length} characters from the 62 letters and digits.
   *
   * @throws FleetConfigException if {@code length} is under 11 (less than {@value
   *     #PASSWORD_MIN_BITS} bits) or over {@value #PASSWORD_MAX_LENGTH}
   */
  public static GeneratorSpec password(int length) {
    return password(length, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
  }

  /**
   * A random password of {@code length} characters drawn uniformly from {@code alphabet} (its
   * distinct code points).
   *
   * @throws FleetConfigException if {@code alphabet} is null or has fewer than two distinct
   *     characters, if {@code length} is over {@value #PASSWORD_MAX_LENGTH}, or if the password
   *     would have less than {@value #PASSWORD_MIN_BITS} bits of strength ({@code length ×
   *     log2(distinct characters)}); the message says the shortest length that is strong enough
   */
  public static GeneratorSpec password(int length, String alphabet) {
    required(alphabet, "password alphabet");
    String problem = passwordProblem(length, alphabet);
    if (problem != null) {
      throw new FleetConfigException("password generator: " + problem);
    }
    return spec(PASSWORD)
        .putParameters("length", JSON.numberNode(length))
        .putParameters("alphabet", JSON.textNode(alphabet))
        .build();
  }

  /**
   * Why a password of {@code length} characters from {@code alphabet} is refused, or null when it
   * is strong enough: the rule of {@link #password(int, String)}, also applied by the generator to
   * specs read from JSON.
   */
  public static String passwordProblem(long length, String alphabet) {
    long distinct = alphabet.codePoints().distinct().count();
    if (distinct < 2) {
      return "the alphabet needs at least two distinct characters";
    }
    if (length > PASSWORD_MAX_LENGTH) {
      return "length " + length + " is over the maximum of " + PASSWORD_MAX_LENGTH;
    }
    double bitsPerChar = Math.log(distinct) / Math.log(2);
    if (length < 1 || length * bitsPerChar < PASSWORD_MIN_BITS) {
      long least = (long) Math.ceil(PASSWORD_MIN_BITS / bitsPerChar);
      return String.format(
          java.util.Locale.ROOT,
          "length %d is too weak (%.0f bits, at least %d needed): use a length of at least %d"
              + " for an alphabet of %d characters",
          length,
          Math.max(0, length) * bitsPerChar,
          PASSWORD_MIN_BITS,
          least,
          distinct);
    }
    return null;
  }

  /** {@code length} random bytes (the generator refuses a length that is not positive). */
  public static GeneratorSpec randomBytes(int length) {
    return spec(RANDOM_BYTES).putParameters("length", JSON.numberNode(length)).build();
  }

  /** An Ed25519 key pair: {@code secret} is the OpenSSH private key, {@code public} its line. */
  public static GeneratorSpec ed25519() {
    return spec(ED25519).build();
  }

  /**
   * An RSA key pair of {@code bits} bits: PKCS#8 PEM private key, SPKI PEM public key. The
   * generator refuses sizes it considers weak.
   */
  public static GeneratorSpec rsa(int bits) {
    return spec(RSA).putParameters("bits", JSON.numberNode(bits)).build();
  }

  /** A WireGuard key pair: base64 X25519 private and public keys. */
  public static GeneratorSpec wireguard() {
    return spec(WIREGUARD).build();
  }

  /** A self-signed X.509 CA certificate ({@code public}) with its private key ({@code secret}). */
  public static GeneratorSpec x509Ca(String commonName, Duration validity) {
    required(commonName, "CA common name");
    positive(validity, "CA validity");
    return spec(X509_CA)
        .putParameters("commonName", JSON.textNode(commonName))
        .putParameters("validitySeconds", JSON.numberNode(validity.getSeconds()))
        .build();
  }

  /**
   * A leaf X.509 certificate signed by the CA in secret {@code caSecret} (which the leaf secret
   * must list in {@code dependsOn}), with subject alternative names {@code sans}.
   */
  public static GeneratorSpec x509Leaf(
      String caSecret, String commonName, List<String> sans, Duration validity) {
    required(caSecret, "CA secret of the certificate");
    required(commonName, "certificate common name");
    required(sans, "certificate subject alternative names");
    positive(validity, "certificate validity");
    ArrayNode names = JSON.arrayNode();
    sans.forEach(names::add);
    return spec(X509_LEAF)
        .putParameters("ca", JSON.textNode(caSecret))
        .putParameters("commonName", JSON.textNode(commonName))
        .putParameters("sans", names)
        .putParameters("validitySeconds", JSON.numberNode(validity.getSeconds()))
        .build();
  }

  /**
   * A shell script run with {@code $out} set to an empty directory: each file it leaves there is a
   * part ({@code created_at} and {@code expires_at} are read as timestamps). Pipe private parts
   * through {@code encrypt} so they are encrypted before they leave the host. Use {@link
   * GeneratorSpec#onHost(String)} to run it on a host (the original's {@code impureOn}).
   */
  public static GeneratorSpec script(String script) {
    required(script, "generator script");
    return spec(SCRIPT).putParameters("script", JSON.textNode(script)).build();
  }

  /**
   * A custom generator kind with parameters; implement it through the {@code SecretGenerator} SPI.
   */
  public static GeneratorSpec custom(String kind, java.util.Map<String, JsonNode> parameters) {
    required(kind, "generator kind");
    required(parameters, "generator parameters");
    return spec(kind).putAllParameters(parameters).build();
  }

  private static void required(Object value, String what) {
    if (value == null) {
      throw new FleetConfigException(what + " is null; give one");
    }
  }

  private static void positive(Duration value, String what) {
    required(value, what);
    if (value.isNegative() || value.isZero()) {
      throw new FleetConfigException(what + " is " + value + ": use a positive duration");
    }
  }

  private static GeneratorSpec.Builder spec(String kind) {
    GeneratorSpec.Builder b = GeneratorSpec.builder();
    b.kind(kind);
    return b;
  }
}
