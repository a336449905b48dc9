package io.fleet.api.spi;

import io.fleet.api.FleetException;
import io.fleet.api.Names;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The one function that turns an argv into POSIX shell text. Every transport uses it, so no name,
 * path or argument is ever interpreted by a remote shell.
 */
public final class Shell {
  // No '~', '#', '*', '?', '[', '{': expansion. '=' is safe except in command position, see join.
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private Shell() {}

  /**
   * Quotes one word: as is if it has only safe characters, else in single quotes, with each {@code
   * '} written as {@code '\''}. The empty string becomes {@code ''}.
   *
   * @throws FleetException if {@code word} is null or contains a NUL character, which no command
   *     line can carry
   */
  public static String quote(String word) {
    if (word == null) {
      throw new FleetException("a command argument is null");
    }
    if (word.indexOf('\0') >= 0) {
      throw new FleetException(
          "command argument "
              + Names.quote(word)
              + " contains a NUL character, which no command line can carry; pass such data on stdin");
    }
    if (!word.isEmpty() && SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * The words quoted and joined by spaces: POSIX {@code sh} splits the result back into exactly
   * these words, with no expansion. A first word with {@code =} is quoted even where {@link #quote}
   * would leave it bare, since {@code NAME=value} in command position is an assignment.
   *
   * @throws FleetException if a word is null or contains a NUL character
   */
  public static String join(List<String> argv) {
    StringBuilder sb = new StringBuilder();
    for (String w : argv) {
      if (sb.length() > 0) {
        sb.append(' ').append(quote(w));
      } else {
        String q = quote(w);
        sb.append(q.equals(w) && w.indexOf('=') >= 0 ? "'" + w + "'" : q);
      }
    }
    return sb.toString();
  }
}
