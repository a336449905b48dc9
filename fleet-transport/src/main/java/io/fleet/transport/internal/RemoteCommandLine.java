package io.fleet.transport.internal;

import io.fleet.api.spi.Command;
import io.fleet.api.spi.Shell;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link Command} into the argv a host runs: {@code sudo -n --} when the command asks for
 * root and the login user is not root, then {@code env K=V …} for its environment, then its own
 * argv. The SSH transport sends {@link Shell#join} of it, and nothing else, to the remote shell.
 */
public final class RemoteCommandLine {
  private RemoteCommandLine() {}

  /** The full argv of {@code command} for a login as a non-root user iff {@code needsSudo}. */
  public static List<String> argv(Command command, boolean needsSudo) {
    List<String> argv = new ArrayList<>();
    if (command.sudo() && needsSudo) {
      argv.add("sudo");
      argv.add("-n");
      argv.add("--");
    }
    if (!command.env().isEmpty()) {
      argv.add("env");
      for (Map.Entry<String, String> e : command.env().entrySet()) {
        argv.add(e.getKey() + "=" + e.getValue());
      }
    }
    argv.addAll(command.argv());
    return argv;
  }

  /** The shell line for {@link #argv}: {@link Shell#join} of it. */
  public static String line(Command command, boolean needsSudo) {
    return Shell.join(argv(command, needsSudo));
  }

  /** Whether {@code stderr} is sudo saying it needs a password (so {@code -n} refused). */
  public static boolean isSudoPasswordPrompt(int exitCode, String stderr) {
    return exitCode == 1
        && (stderr.contains("sudo: a password is required")
            || stderr.contains("sudo: a terminal is required"));
  }
}
