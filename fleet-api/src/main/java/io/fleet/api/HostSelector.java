package io.fleet.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Chooses hosts: a host name ({@code web-1}), a tag ({@code @cp}), or a glob over host names
 * ({@code web-*}, {@code db-?}, {@code node-[0-9]}).
 */
public final class HostSelector {
  private final String text;
  private final String tag;
  private final Pattern glob;

  private HostSelector(String text, String tag, Pattern glob) {
    this.text = text;
    this.tag = tag;
    this.glob = glob;
  }

  /**
   * Parses a selector.
   *
   * @throws FleetConfigException if it is empty or an unbalanced glob
   */
  public static HostSelector parse(String text) {
    if (text == null || text.isBlank()) {
      throw new FleetConfigException("host selector is empty: give a host name, @tag or glob");
    }
    if (text.startsWith("@")) {
      String tag = text.substring(1);
      if (!Names.isValidTag(tag)) {
        throw new FleetConfigException(
            "host selector " + Names.quote(text) + " names an invalid tag");
      }
      return new HostSelector(text, tag, null);
    }
    return new HostSelector(text, null, globToRegex(text));
  }

  private static Pattern globToRegex(String glob) {
    StringBuilder re = new StringBuilder();
    boolean inClass = false;
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (inClass) {
        if (c == ']') {
          inClass = false;
          re.append(']');
        } else if (c == '\\'
            || c == '['
            || c == '&'
            || c == '^' && re.charAt(re.length() - 1) != '[') {
          re.append('\\').append(c);
        } else {
          re.append(c);
        }
        continue;
      }
      switch (c) {
        case '*':
          re.append(".*");
          break;
        case '?':
          re.append('.');
          break;
        case '[':
          inClass = true;
          re.append('[');
          if (i + 1 < glob.length() && glob.charAt(i + 1) == '!') {
            re.append('^');
            i++;
          }
          break;
        default:
          re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    if (inClass) {
      throw new FleetConfigException(
          "host selector " + Names.quote(glob) + " has an unclosed '[' in its glob");
    }
    return Pattern.compile(re.toString());
  }

  /** Whether {@code host} is chosen. */
  public boolean matches(Host host) {
    if (tag != null) {
      return host.hasTag(tag);
    }
    return glob.matcher(host.name()).matches();
  }

  /** Whether this selector is a plain host name (no tag, no glob characters). */
  public boolean isExactName() {
    return tag == null && text.chars().noneMatch(c -> c == '*' || c == '?' || c == '[');
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostSelector && ((HostSelector) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return Objects.hash(text);
  }
}
