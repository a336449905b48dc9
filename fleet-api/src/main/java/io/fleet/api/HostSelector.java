package io.fleet.api;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

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
   * Parses a selector: {@code @tag} chooses the hosts with that tag, text with {@code *}, {@code ?}
   * or {@code [} is a glob over host names, anything else is one host's name.
   *
   * @throws FleetConfigException if it is empty, names an invalid tag, or is not a valid glob
   */
  public static HostSelector parse(String text) {
    if (text == null || text.isBlank()) {
      throw new FleetConfigException("host selector is empty: give a host name, @tag or glob");
    }
    if (text.startsWith("@")) {
      String tag = text.substring(1);
      if (!Names.isValidTag(tag)) {
        throw new FleetConfigException(
            "host selector "
                + Names.quote(text)
                + " names an invalid tag: a tag has letters, digits, '-' and '_'");
      }
      return new HostSelector(text, tag, null);
    }
    return new HostSelector(text, null, globToRegex(text));
  }

  /**
   * A glob as a regular expression: {@code *} any run of characters, {@code ?} one character,
   * {@code [abc]}, {@code [a-z]} and {@code [!abc]} a class (a {@code ]} right after {@code [} or
   * {@code [!} is a member), everything else literal.
   */
  private static Pattern globToRegex(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      switch (c) {
        case '*':
          re.append(".*");
          break;
        case '?':
          re.append('.');
          break;
        case '[':
          i = appendClass(glob, i, re);
          break;
        default:
          re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    try {
      return Pattern.compile(re.toString());
    } catch (PatternSyntaxException e) {
      throw new FleetConfigException(
          "host selector "
              + Names.quote(glob)
              + " is not a valid glob ("
              + e.getDescription()
              + "): use *, ?, [abc], [a-z] or [!abc]");
    }
  }

  /** Appends the class that starts at {@code glob[open]}; returns the index of its {@code ]}. */
  private static int appendClass(String glob, int open, StringBuilder re) {
    int i = open + 1;
    StringBuilder cls = new StringBuilder("[");
    if (i < glob.length() && glob.charAt(i) == '!') {
      cls.append('^');
      i++;
    }
    int first = i;
    for (; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == ']' && i > first) {
        re.append(cls).append(']');
        return i;
      }
      if (c == '-' && i > first && i + 1 < glob.length() && glob.charAt(i + 1) != ']') {
        cls.append('-');
      } else if (Character.isLetterOrDigit(c)) {
        cls.append(c);
      } else {
        // Anything else is a literal member; escape it, as '[', '&', '^' and '\\' mean more.
        cls.append('\\').append(c);
      }
    }
    throw new FleetConfigException(
        "host selector " + Names.quote(glob) + " has an unclosed '[' in its glob: add ']'");
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

  /** The selector as it was written. */
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
