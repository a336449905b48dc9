package io.fleet.nix.internal;

import io.fleet.api.EvaluationException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Nix's error text turned into {@link EvaluationException}s: where the failure is, its summary. */
public final class NixErrors {
  /** The error context evaluate.nix puts around each host. */
  public static final Pattern HOST_CONTEXT =
      Pattern.compile("while evaluating fleet host \"([^\"]+)\"");

  /** The error context evaluate.nix puts around each shared secret. */
  public static final Pattern SECRET_CONTEXT =
      Pattern.compile("while evaluating fleet shared secret \"([^\"]+)\"");

  private NixErrors() {}

  /** The host named in the innermost "while evaluating fleet host" context of a trace. */
  public static String innermostHost(String stderr) {
    Matcher m = HOST_CONTEXT.matcher(stderr);
    return m.find() ? m.group(1) : null;
  }

  /** {@code what (nix exited with N):} and nix's {@link #summary}. */
  public static EvaluationException failure(
      String what, List<String> cmd, int exit, String stderr, String host) {
    return new EvaluationException(
        what + " (nix exited with " + exit + "):\n" + summary(stderr), cmd, exit, stderr, host);
  }

  /**
   * Nix's error without the warnings before it (such as lock file notices) and the long trace that
   * --show-trace adds (the exception's stderr keeps all of it).
   */
  public static String summary(String stderr) {
    int error = stderr.startsWith("error:") ? 0 : stderr.indexOf("\nerror:");
    String s = error > 0 ? stderr.substring(error + 1) : stderr;
    int trace = s.indexOf("\n       … ");
    s = trace > 0 ? s.substring(0, trace) : s;
    return s.length() > 4000 ? s.substring(0, 4000) + "\n…" : s;
  }
}
