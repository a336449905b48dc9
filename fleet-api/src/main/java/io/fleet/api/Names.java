package io.fleet.api;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules for names in a fleet. Names reach file systems, systemd units and Nix attribute names,
 * so they are restricted to characters that need no quoting anywhere.
 */
public final class Names {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})");
  private static final Pattern TAG = HOST;
  private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+@-]{0,254}");
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

  private Names() {}

  /** Whether {@code name} is a valid host name: letters, digits, {@code -} and {@code _}. */
  public static boolean isValidHostName(String name) {
    return name != null && HOST.matcher(name).matches();
  }

  /** Whether {@code name} is a valid tag: the same rule as host names. */
  public static boolean isValidTag(String name) {
    return name != null && TAG.matcher(name).matches();
  }

  /**
   * Whether {@code name} is a valid secret name: letters, digits and {@code . _ + @ -}, not
   * starting with a dot.
   */
  public static boolean isValidSecretName(String name) {
    return name != null && SECRET.matcher(name).matches();
  }

  /**
   * Whether {@code name} is a valid name for a part of a secret ({@code secret}, {@code public}).
   */
  public static boolean isValidPartName(String name) {
    return name != null && PART.matcher(name).matches();
  }

  /**
   * What is wrong with {@code name} as a host name, for a message ("host name '../x' is invalid:
   * …"); empty when it is valid.
   */
  public static Optional<String> hostNameProblem(String name) {
    return isValidHostName(name)
        ? Optional.empty()
        : Optional.of(
            "host name "
                + quote(name)
                + " is invalid: use letters, digits, '-' and '_', at most 63, starting with a"
                + " letter or digit");
  }

  /** What is wrong with {@code name} as a secret name, for a message; empty when it is valid. */
  public static Optional<String> secretNameProblem(String name) {
    return isValidSecretName(name)
        ? Optional.empty()
        : Optional.of(
            "secret name "
                + quote(name)
                + " is invalid: use letters, digits and '.', '_', '+', '@', '-', at most 255, not"
                + " starting with '.', '+', '@' or '-'");
  }

  /** What is wrong with {@code name} as a part name, for a message; empty when it is valid. */
  public static Optional<String> partNameProblem(String name) {
    return isValidPartName(name)
        ? Optional.empty()
        : Optional.of(
            "part name "
                + quote(name)
                + " is invalid: use letters, digits and '.', '_', '-', at most 128, not starting"
                + " with '.' or '-'");
  }

  /** Java-escaped, quoted form of a name for messages, so odd characters are visible. */
  public static String quote(String name) {
    if (name == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder("'");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('\'').toString();
  }
}
