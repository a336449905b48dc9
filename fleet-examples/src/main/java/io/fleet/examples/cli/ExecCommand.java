package io.fleet.examples.cli;

import io.fleet.api.FleetConfigException;
import io.fleet.api.exec.ExecEvent;
import io.fleet.api.exec.ExecHostResult;
import io.fleet.api.exec.ExecListener;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.transport.FleetExec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code exec [--on SEL] -- CMD…} or {@code exec --script FILE [ARGS…]}: runs a command or a script
 * on the selected hosts with {@link FleetExec}, in parallel with a bound and a per-host timeout.
 * Progress goes to standard error, one line per finished host; the outputs and a summary, or with
 * {@code --json} the {@link ExecReport}, to standard output. Exit 0 when every host exited 0,
 * {@value ExitCode#TRANSPORT} when a host could not be reached (or refused the login, or dropped
 * the connection), else {@value ExitCode#FAILED_HOSTS} when a host exited non-zero, timed out or
 * did not run.
 */
@Command(
    name = "exec",
    description = {
      "Run a command (after --) or a script (--script FILE [ARGS]) on the selected hosts, in"
          + " parallel, and report each host's exit code and output.",
      "Exit 0 if every host exited 0; 5 if a host could not be reached; 1 if a host exited"
          + " non-zero, timed out or did not run."
    })
final class ExecCommand implements Callable<Integer> {
  @ParentCommand FleetCli cli;

  @Option(
      names = "--parallelism",
      paramLabel = "N",
      description = "Hosts running the command at the same time (default 10).")
  int parallelism = FleetExec.DEFAULT_PARALLELISM;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Per host, connecting included, e.g. 30s, 500ms, 5m (default 5m); the command is"
              + " stopped on the host at the limit and reported TIMEOUT.")
  Duration timeout = FleetExec.DEFAULT_TIMEOUT;

  @Option(names = "--sudo", description = "Run it as root through sudo -n (for non-root logins).")
  boolean sudo;

  @Option(
      names = "--tail-bytes",
      paramLabel = "N",
      description = "Bytes kept of the end of each host's stdout and stderr (default 65536).")
  int tailBytes = FleetExec.DEFAULT_TAIL_BYTES;

  @Option(
      names = "--script",
      paramLabel = "FILE",
      description =
          "Run this shell script (sh -c) instead of a command; the words after it are its"
              + " arguments ($1, $2, …).")
  Path script;

  @Option(
      names = "--fake-unreachable",
      paramLabel = "HOST",
      split = ",",
      description = "With --fake: these hosts cannot be reached (to see an UNREACHABLE host).")
  List<String> unreachable = new ArrayList<>();

  @Parameters(
      paramLabel = "CMD",
      arity = "0..*",
      description = "The program and its arguments (no shell), or with --script its arguments.")
  List<String> words = new ArrayList<>();

  @Override
  public Integer call() {
    if (script == null && words.isEmpty()) {
      throw new FleetCli.UsageException(
          "exec needs a command: fleet exec [--on SELECTOR] -- CMD ARGS…, or --script FILE");
    }
    String scriptText = script == null ? null : readScript(script);
    try (Session s = Session.open(cli)) {
      if (!unreachable.isEmpty()) {
        if (s.fake.isEmpty()) {
          throw new FleetCli.UsageException("--fake-unreachable needs --fake");
        }
        for (String h : unreachable) {
          s.fake.get().host(h).kill();
        }
      }
      int total = s.selected().size();
      FleetExec exec =
          FleetExec.builder()
              .transport(s.transport)
              .parallelism(parallelism)
              .timeout(timeout)
              .tailBytes(tailBytes)
              .listener(new ExecProgress(cli.err, total))
              .build();
      FleetExec.Run run =
          exec.on(s.fleet)
              .select(cli.on.toArray(String[]::new))
              .skip(cli.skip.toArray(String[]::new))
              .sudo(sudo);
      if (scriptText != null) {
        run.script(scriptText, words.toArray(String[]::new));
      } else {
        run.command(words);
      }
      ExecReport report = run.run();
      print(cli, report);
      return exitCode(report);
    }
  }

  /** 0 if every host exited 0; 5 if one could not be reached; 1 otherwise. */
  static int exitCode(ExecReport report) {
    if (report.isSuccess()) {
      return ExitCode.OK;
    }
    for (ExecHostResult h : report.hosts()) {
      if (unreachable(h.outcome())) {
        return ExitCode.TRANSPORT;
      }
    }
    return ExitCode.FAILED_HOSTS;
  }

  private static boolean unreachable(ExecOutcome o) {
    return o == ExecOutcome.UNREACHABLE
        || o == ExecOutcome.AUTHENTICATION
        || o == ExecOutcome.CONNECTION_LOST;
  }

  private static String readScript(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new FleetConfigException(
          "cannot read --script " + file + " (" + e.getMessage() + "): give a readable file");
    }
  }

  private static void print(FleetCli cli, ExecReport report) {
    PrintStream out = cli.out;
    if (cli.json) {
      out.println(report.toJson());
      return;
    }
    for (ExecHostResult h : report.hosts()) {
      prefixed(out, h.host() + " | ", h.stdoutTail());
      prefixed(out, h.host() + " ! ", h.stderrTail());
    }
    out.println(report.summary());
  }

  private static void prefixed(PrintStream out, String prefix, String text) {
    if (text.isEmpty()) {
      return;
    }
    String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    for (String line : body.split("\n", -1)) {
      out.println(prefix + line);
    }
  }

  /** One line on standard error per finished host. */
  static final class ExecProgress implements ExecListener {
    private final PrintStream err;
    private final int total;

    ExecProgress(PrintStream err, int total) {
      this.err = err;
      this.total = total;
    }

    @Override
    public void onEvent(ExecEvent e) {
      if (e.type() != ExecEvent.Type.FINISHED) {
        return;
      }
      ExecHostResult r = e.result().orElseThrow();
      StringBuilder line =
          new StringBuilder()
              .append('[')
              .append(e.finished())
              .append('/')
              .append(e.total() > 0 ? e.total() : total)
              .append("] ")
              .append(r.host())
              .append(": ")
              .append(r.outcome());
      r.exitCode().ifPresent(c -> line.append(" (exit ").append(c).append(')'));
      line.append(" in ").append(r.duration().toMillis()).append(" ms");
      r.error().ifPresent(m -> line.append(": ").append(firstLine(m)));
      synchronized (err) {
        err.println(line);
        err.flush();
      }
    }

    private static String firstLine(String s) {
      int nl = s.indexOf('\n');
      return nl < 0 ? s : s.substring(0, nl);
    }
  }

  /** Reads {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h} or ISO-8601 ({@code PT30S}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("([0-9]+)(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
      Matcher m = SIMPLE.matcher(value.trim().toLowerCase(Locale.ROOT));
      Duration d;
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        d =
            switch (m.group(2)) {
              case "ms" -> Duration.ofMillis(n);
              case "s" -> Duration.ofSeconds(n);
              case "m" -> Duration.ofMinutes(n);
              default -> Duration.ofHours(n);
            };
      } else {
        try {
          d = Duration.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
          throw new CommandLine.TypeConversionException(
              "'" + value + "' is not a duration: write e.g. 30s, 500ms, 5m or 1h");
        }
      }
      if (d.isZero() || d.isNegative()) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a positive duration: write e.g. 30s");
      }
      return d;
    }
  }
}
