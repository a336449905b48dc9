package io.fleet.examples.cli;

import io.fleet.api.DeploymentException;
import io.fleet.api.EvaluationException;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetException;
import io.fleet.api.SecretException;
import io.fleet.api.TransportException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * An example ops CLI on the library, shaped like the original fleet's: {@code deploy
 * {upload,test,boot,switch}}, {@code build-systems}, {@code secrets …}, {@code info} and {@code
 * exec}. Run it from the shaded jar ({@code java -jar fleet-examples/target/fleet-cli.jar --fake 5
 * deploy switch}). See {@link ExitCode} for what scripts can rely on.
 */
@Command(
    name = "fleet",
    mixinStandardHelpOptions = true,
    version = "fleet-java example CLI 0.1.0",
    description = {
      "Deploys NixOS to a fleet of hosts and manages its secrets (an example on Fleet for Java).",
      "Without --fake, the fleet comes from --fleet (a flake, evaluated with nix) and hosts are"
          + " reached over SSH; with --fake N it runs on N fake hosts in this process."
    },
    subcommands = {
      DeployCommand.class,
      BuildSystemsCommand.class,
      SecretsCommand.class,
      InfoCommand.class,
      ExecCommand.class,
      CommandLine.HelpCommand.class
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  every selected host ended where it was asked to",
      "  1  some hosts failed (and are back on their previous system) or were skipped;"
          + " exec: a host exited non-zero, timed out or did not run",
      "  2  usage: unknown command or option, bad value, options that do not go together",
      "  3  bad input: unknown host/tag/secret, missing or malformed data file, malformed flake path",
      "  4  nix could not evaluate the fleet or build a system",
      "  5  a host could not be reached, or a command on it failed; exec: a host could not be"
          + " reached (or refused the login, or dropped the connection)",
      "  6  a secret could not be generated, encrypted or decrypted",
      "  7  a host needs an operator: its rollback failed or is pending",
      " 70  internal error"
    })
public final class FleetCli {
  @Option(
      names = "--fleet",
      paramLabel = "FLAKE",
      scope = ScopeType.INHERIT,
      description = "The fleet's flake, FLAKE[#NAME] (default: . and configuration default).")
  String flake;

  @Option(
      names = "--data",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description =
          "The fleet data (the original's fleet.nix): host keys and encrypted secrets. Default:"
              + " fleet.nix beside the flake; with --fake, a temporary file.")
  Path data;

  @Option(
      names = "--fake",
      paramLabel = "N",
      scope = ScopeType.INHERIT,
      description = "Run on N fake hosts in this process (no nix, no SSH): an example fleet.")
  Integer fake;

  @Option(
      names = "--on",
      paramLabel = "SELECTOR",
      split = ",",
      scope = ScopeType.INHERIT,
      description =
          "Hosts to act on: NAME, @TAG or a glob such as 'web-*' (repeatable; default all).")
  List<String> on = new ArrayList<>();

  @Option(
      names = "--skip",
      paramLabel = "SELECTOR",
      split = ",",
      scope = ScopeType.INHERIT,
      description = "Hosts to leave out: NAME, @TAG or glob (repeatable).")
  List<String> skip = new ArrayList<>();

  @Option(
      names = "--json",
      scope = ScopeType.INHERIT,
      description = "Print the result as JSON on standard output (progress stays on stderr).")
  boolean json;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "Log more: -v info, -vv debug (default: warnings only).")
  boolean[] verbose = new boolean[0];

  @Option(
      names = "--identity",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description =
          "An operator identity (age or OpenSSH ed25519 key file): secrets are also encrypted to"
              + " it, and read and re-encrypted here with it.")
  Path identity;

  @Option(
      names = "--nix-option",
      paramLabel = "NAME=VALUE",
      scope = ScopeType.INHERIT,
      description = "A nix setting for evaluation and builds, e.g. substituters= (repeatable).")
  java.util.Map<String, String> nixOptions = new java.util.LinkedHashMap<>();

  @Option(
      names = "--ssh-key",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "The SSH private key to reach hosts with (default: ssh-agent and ~/.ssh).")
  Path sshKey;

  InputStream stdin = System.in;
  PrintStream out = System.out;
  PrintStream err = System.err;
  boolean terminal = System.console() != null;

  /** Runs the CLI and exits with its {@link ExitCode}. */
  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err, System.console() != null));
  }

  /**
   * Runs the CLI with the given streams and returns its exit code (for tests and embedding).
   * Logging is set up from {@code -v} before anything logs.
   */
  public static int run(
      String[] args, InputStream in, PrintStream out, PrintStream err, boolean terminal) {
    configureLogging(args);
    FleetCli cli = new FleetCli();
    cli.stdin = in;
    cli.out = out;
    cli.err = err;
    cli.terminal = terminal;
    CommandLine cl = new CommandLine(cli);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          int code = exitCodeOf(e);
          err.println("fleet: " + messageOf(e));
          if (cli.verbose.length > 0 || code == ExitCode.INTERNAL) {
            e.printStackTrace(err);
          }
          return code;
        });
    return cl.execute(args);
  }

  /** The exit code for an exception thrown by a command. */
  static int exitCodeOf(Throwable e) {
    if (e instanceof CommandLine.ParameterException) {
      return ExitCode.USAGE;
    } else if (e instanceof UsageException) {
      return ExitCode.USAGE;
    } else if (e instanceof FleetConfigException) {
      return ExitCode.BAD_INPUT;
    } else if (e instanceof EvaluationException) {
      return ExitCode.EVALUATION;
    } else if (e instanceof TransportException) {
      return ExitCode.TRANSPORT;
    } else if (e instanceof SecretException) {
      return ExitCode.SECRET;
    } else if (e instanceof DeploymentException) {
      return ExitCode.FAILED_HOSTS;
    } else if (e instanceof FleetException) {
      return ExitCode.BAD_INPUT;
    }
    return ExitCode.INTERNAL;
  }

  private static String messageOf(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getName() : m;
  }

  /**
   * slf4j-simple reads its level once, when the first logger is made: set it from {@code -v} before
   * that. Without {@code -v} the examples' simplelogger.properties (warn) applies.
   */
  private static void configureLogging(String[] args) {
    int v = 0;
    for (String a : args) {
      if (a.equals("--verbose") || a.equals("-v")) {
        v++;
      } else if (a.matches("-v+")) {
        v += a.length() - 1;
      }
    }
    if (v > 0 && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", v == 1 ? "info" : "debug");
    }
  }

  /**
   * Options that do not go together, or a value the CLI cannot use; exit {@value ExitCode#USAGE}.
   */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
