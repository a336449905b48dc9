package io.fleet.api.spi;

import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetStyle;
import io.fleet.api.Names;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A command to run on a host: an argv (never shell text), extra environment variables, optional
 * standard input, whether to run it through {@code sudo}, and a timeout. Transports quote the argv
 * with {@link Shell#join} and nothing else, so every argument arrives exactly as given.
 */
@Value.Immutable
@FleetStyle
public abstract class Command {
  Command() {}

  /** The program and its arguments; at least the program. */
  public abstract java.util.List<String> argv();

  /** Extra environment variables (names must match {@code [A-Za-z_][A-Za-z0-9_]*}). */
  public abstract Map<String, String> env();

  /** Bytes fed to standard input; empty for none. May hold secret material, so never shown. */
  @Value.Redacted
  public abstract Optional<byte[]> stdin();

  /** Run as root through {@code sudo -n} when the login user is not root. */
  @Value.Default
  public boolean sudo() {
    return false;
  }

  /** The longest the command may run; empty for the transport's default. */
  public abstract Optional<Duration> timeout();

  /** Rejects an empty argv and invalid environment variable names. */
  @Value.Check
  void check() {
    if (argv().isEmpty()) {
      throw new FleetConfigException("a command needs at least a program name: give its argv");
    }
    for (String name : env().keySet()) {
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new FleetConfigException(
            "invalid environment variable name "
                + Names.quote(name)
                + " for command "
                + argv().get(0)
                + ": use letters, digits and '_', not starting with a digit");
      }
    }
  }

  /** A command with this argv and nothing else. */
  public static Command of(String... argv) {
    return builder().argv(Arrays.asList(argv)).build();
  }

  /** A command with this argv and nothing else. */
  public static Command of(java.util.List<String> argv) {
    return builder().argv(argv).build();
  }

  /** The command as one line of POSIX shell, for logs and for transports: {@link Shell#join}. */
  public String shellLine() {
    return Shell.join(argv());
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Command}. */
  public static class Builder extends ImmutableCommand.Builder {}
}
