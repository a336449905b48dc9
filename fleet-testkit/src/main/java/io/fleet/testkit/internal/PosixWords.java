package io.fleet.testkit.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A strict parser for the shell text {@code io.fleet.api.spi.Shell.join} produces: words separated
 * by single spaces, each either bare (only {@code [A-Za-z0-9_@%+=:,./-]}) or a concatenation of
 * single-quoted strings and {@code \'}. Anything a POSIX shell would interpret (an unquoted {@code
 * $}, {@code ;}, backtick, space inside a word, glob character, newline) is rejected, so fake hosts
 * see exactly the argv a real shell would, and a quoting bug fails the test.
 */
public final class PosixWords {
  private PosixWords() {}

  /**
   * The words of {@code line}.
   *
   * @throws IllegalArgumentException naming the offset of anything a shell would interpret
   */
  public static List<String> parse(String line) {
    List<String> words = new ArrayList<>();
    int i = 0;
    int n = line.length();
    if (n == 0) {
      throw new IllegalArgumentException("empty command line");
    }
    while (i < n) {
      StringBuilder w = new StringBuilder();
      boolean any = false;
      while (i < n && line.charAt(i) != ' ') {
        char c = line.charAt(i);
        if (c == '\'') {
          int end = line.indexOf('\'', i + 1);
          if (end < 0) {
            throw new IllegalArgumentException("unterminated single quote at offset " + i);
          }
          w.append(line, i + 1, end);
          i = end + 1;
        } else if (c == '\\') {
          if (i + 1 < n && line.charAt(i + 1) == '\'') {
            w.append('\'');
            i += 2;
          } else {
            throw new IllegalArgumentException("backslash not before a quote at offset " + i);
          }
        } else if (isSafe(c)) {
          w.append(c);
          i++;
        } else {
          throw new IllegalArgumentException(
              "unquoted character " + (int) c + " ('" + c + "') at offset " + i);
        }
        any = true;
      }
      if (!any) {
        throw new IllegalArgumentException("empty word (two spaces) at offset " + i);
      }
      words.add(w.toString());
      if (i < n) {
        i++; // the single separating space
        if (i == n) {
          throw new IllegalArgumentException("trailing space");
        }
      }
    }
    return words;
  }

  private static boolean isSafe(char c) {
    return c >= 'a' && c <= 'z'
        || c >= 'A' && c <= 'Z'
        || c >= '0' && c <= '9'
        || "_@%+=:,./-".indexOf(c) >= 0;
  }
}
