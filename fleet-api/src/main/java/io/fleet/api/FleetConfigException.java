package io.fleet.api;

import java.util.List;
import java.util.Optional;

/**
 * The fleet's configuration or data is invalid: a validation failure of {@link Fleet#validate()}
 * (with every problem found, see {@link #problems()}), a malformed {@code fleet.nix} or JSON data
 * file (with {@link #source()}, {@link #line()} and {@link #column()}), or a data file that changed
 * on disk since it was loaded.
 */
public class FleetConfigException extends FleetException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;
  private final String source;
  private final int line;
  private final int column;

  /** A single problem with no position. */
  public FleetConfigException(String message) {
    this(message, List.of(message), null, 0, 0, null);
  }

  /** A single problem with no position, caused by {@code cause}. */
  public FleetConfigException(String message, Throwable cause) {
    this(message, List.of(message), null, 0, 0, cause);
  }

  /** Several problems found at once; the message lists them all. */
  public FleetConfigException(String summary, List<String> problems) {
    this(format(summary, problems), problems, null, 0, 0, null);
  }

  /**
   * A problem at a position in a file or text.
   *
   * @param source the file name or a description of the text
   * @param line 1-based line
   * @param column 1-based column
   */
  public FleetConfigException(String source, int line, int column, String problem) {
    this(
        source + ":" + line + ":" + column + ": " + problem,
        List.of(problem),
        source,
        line,
        column,
        null);
  }

  private FleetConfigException(
      String message, List<String> problems, String source, int line, int column, Throwable cause) {
    super(message, cause);
    this.problems = List.copyOf(problems);
    this.source = source;
    this.line = line;
    this.column = column;
  }

  private static String format(String summary, List<String> problems) {
    StringBuilder sb = new StringBuilder(summary);
    for (String p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }

  /** Every problem found; at least one. */
  public List<String> problems() {
    return problems;
  }

  /** The file or text the problem is in, if the problem has a position. */
  public Optional<String> source() {
    return Optional.ofNullable(source);
  }

  /** The 1-based line of the problem, or 0 if it has no position. */
  public int line() {
    return line;
  }

  /** The 1-based column of the problem, or 0 if it has no position. */
  public int column() {
    return column;
  }
}
