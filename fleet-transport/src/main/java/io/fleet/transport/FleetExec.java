package io.fleet.transport;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.exec.ExecListener;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.Transport;
import io.fleet.transport.internal.ExecRun;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a command or a script on many hosts at once, as {@code colmena exec} and Ansible's ad-hoc
 * commands do: the hosts chosen with the deployer's selectors (names, {@code @tag}s, globs, minus
 * skips), at most {@code parallelism} at a time, each with a timeout that covers connecting and
 * running (at which the host stops the command, see {@link Builder#stopOnHost}); the result is an
 * {@link ExecReport} with every host's exit code (or why it has none: {@link
 * ExecOutcome#UNREACHABLE}, {@link ExecOutcome#TIMEOUT}, …), the ends of its standard output and
 * error, and timings.
 *
 * <pre>{@code
 * FleetExec exec = FleetExec.builder().transport(sshTransport).parallelism(50).build();
 * ExecReport report = exec.on(fleet)
 *     .select("@web").skip("web-3")
 *     .command("systemctl", "restart", "nginx")
 *     .sudo(true)
 *     .timeout(Duration.ofSeconds(30))
 *     .run();
 * System.out.println(report.toJson());
 * }</pre>
 *
 * <p>Every argument reaches the host exactly as given ({@link io.fleet.api.spi.Shell#join}); a
 * script runs as {@code sh -c SCRIPT sh ARGS…}. A non-zero exit or an unreachable host is a result,
 * not an exception: {@code run()} throws only for a bad request. When the timeout passes, the host
 * stops the command (or, without {@link Builder#stopOnHost}, only its connection is closed) and the
 * host is reported as {@link ExecOutcome#TIMEOUT}. Interrupting the thread that calls {@code run()}
 * cancels: running hosts are interrupted, every host that had not finished is reported {@link
 * ExecOutcome#NOT_RUN}, and the report is returned with {@link ExecReport#cancelled()} set and the
 * interrupt flag set again.
 *
 * <p>A {@code FleetExec} is immutable and thread-safe; it does not own the transport.
 */
public final class FleetExec {
  /** The default bound on hosts running at once. */
  public static final int DEFAULT_PARALLELISM = 10;

  /** The default per-host timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /** The default number of bytes kept of the end of each host's standard output and error. */
  public static final int DEFAULT_TAIL_BYTES = 64 * 1024;

  private final Transport transport;
  private final int parallelism;
  private final Duration timeout;
  private final int tailBytes;
  private final boolean stopOnHost;
  private final List<ExecListener> listeners;
  private final Clock clock;

  private FleetExec(Builder b) {
    this.transport = b.transport;
    this.parallelism = b.parallelism;
    this.timeout = b.timeout;
    this.tailBytes = b.tailBytes;
    this.stopOnHost = b.stopOnHost;
    this.listeners = List.copyOf(b.listeners);
    this.clock = b.clock;
  }

  /** A builder; {@link Builder#transport} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a run on {@code fleet}'s hosts: choose hosts and the command, then {@code run()}. */
  public Run on(Fleet fleet) {
    return new Run(Objects.requireNonNull(fleet, "fleet"));
  }

  /** One run: which hosts, what command, and its policy (defaults from the {@link FleetExec}). */
  public final class Run {
    private final Fleet fleet;
    private final List<String> selectors = new ArrayList<>();
    private final List<String> skips = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private List<String> argv;
    private byte[] stdin;
    private boolean sudo;
    private int runParallelism = parallelism;
    private Duration runTimeout = timeout;
    private int runTailBytes = tailBytes;
    private boolean runStopOnHost = stopOnHost;

    private Run(Fleet fleet) {
      this.fleet = fleet;
    }

    /** Chooses hosts: names, {@code @tag}s or globs; none chooses every host. */
    public Run select(String... selectors) {
      this.selectors.addAll(Arrays.asList(selectors));
      return this;
    }

    /** Leaves out hosts chosen by these names, {@code @tag}s or globs. */
    public Run skip(String... skips) {
      this.skips.addAll(Arrays.asList(skips));
      return this;
    }

    /** The program and its arguments, run as they are (no shell interprets them). */
    public Run command(String... argv) {
      return command(Arrays.asList(argv));
    }

    /** The program and its arguments, run as they are (no shell interprets them). */
    public Run command(List<String> argv) {
      this.argv = List.copyOf(argv);
      return this;
    }

    /**
     * A POSIX shell script, run as {@code sh -c script sh args…}, so the script sees {@code args}
     * as {@code $1…}.
     */
    public Run script(String script, String... args) {
      List<String> a = new ArrayList<>(List.of("sh", "-c", Objects.requireNonNull(script), "sh"));
      a.addAll(Arrays.asList(args));
      this.argv = List.copyOf(a);
      return this;
    }

    /** Runs it as root through {@code sudo -n} where the login user is not root. */
    public Run sudo(boolean sudo) {
      this.sudo = sudo;
      return this;
    }

    /** Adds an environment variable for the command. */
    public Run env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** Bytes fed to the command's standard input on every host; never logged. */
    public Run stdin(byte[] stdin) {
      this.stdin = stdin.clone();
      return this;
    }

    /** At most this many hosts at once (default: the {@link FleetExec}'s). */
    public Run parallelism(int parallelism) {
      this.runParallelism = checkParallelism(parallelism);
      return this;
    }

    /** The per-host timeout, connecting included (default: the {@link FleetExec}'s). */
    public Run timeout(Duration timeout) {
      this.runTimeout = checkTimeout(timeout);
      return this;
    }

    /** How many bytes of the end of each host's output and error to keep. */
    public Run tailBytes(int bytes) {
      this.runTailBytes = checkTail(bytes);
      return this;
    }

    /**
     * Whether the host itself stops the command at the timeout (default: the {@link FleetExec}'s).
     */
    public Run stopOnHost(boolean stop) {
      this.runStopOnHost = stop;
      return this;
    }

    /**
     * Runs the command on the chosen hosts and reports what it did on each.
     *
     * @throws FleetConfigException if no command was given, the environment is invalid, a selector
     *     is invalid or names no host, or no host is chosen
     */
    public ExecReport run() {
      if (argv == null) {
        throw new FleetConfigException(
            "exec needs a command: call command(argv…) or script(text, args…)");
      }
      Command.Builder cb = Command.builder().argv(argv).env(env).sudo(sudo);
      if (stdin != null) {
        cb.stdin(stdin);
      }
      Command command = cb.build();
      List<Host> hosts = fleet.select(selectors, skips);
      if (hosts.isEmpty()) {
        throw new FleetConfigException(
            "exec chose no host of fleet "
                + fleet.name()
                + " with "
                + (selectors.isEmpty() ? "(all)" : selectors)
                + (skips.isEmpty() ? "" : " minus " + skips)
                + ": check the selectors and tags");
      }
      return new ExecRun(
              transport,
              command,
              hosts,
              runParallelism,
              runTimeout,
              runTailBytes,
              runStopOnHost,
              listeners,
              clock)
          .execute();
    }
  }

  private static int checkParallelism(int p) {
    if (p < 1) {
      throw new FleetConfigException("exec parallelism must be at least 1, not " + p);
    }
    return p;
  }

  private static Duration checkTimeout(Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new FleetConfigException("exec timeout must be positive, not " + d);
    }
    return d;
  }

  private static int checkTail(int bytes) {
    if (bytes < 0) {
      throw new FleetConfigException("exec tail size must not be negative, not " + bytes);
    }
    return bytes;
  }

  /** Configures a {@link FleetExec}. */
  public static final class Builder {
    private Transport transport;
    private int parallelism = DEFAULT_PARALLELISM;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int tailBytes = DEFAULT_TAIL_BYTES;
    private boolean stopOnHost = true;
    private final List<ExecListener> listeners = new ArrayList<>();
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** How to reach the hosts. Required. */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** At most this many hosts at once; default {@value FleetExec#DEFAULT_PARALLELISM}. */
    public Builder parallelism(int parallelism) {
      this.parallelism = checkParallelism(parallelism);
      return this;
    }

    /** The per-host timeout, connecting included; default 5 minutes. */
    public Builder timeout(Duration timeout) {
      this.timeout = checkTimeout(timeout);
      return this;
    }

    /** How many bytes of the end of each host's output and error to keep; default 64 KiB. */
    public Builder tailBytes(int bytes) {
      this.tailBytes = checkTail(bytes);
      return this;
    }

    /**
     * Whether the host itself stops a command that outlives its timeout; default true. The command
     * then runs as {@code timeout --kill-after=5s SECONDS argv…} (coreutils, on every NixOS host),
     * which sends TERM at the timeout and KILL 5 s later even if this side's connection is gone
     * (OpenSSH does not end a command whose session closes until it writes to its closed output);
     * the host's verdict (exit code 124 or 137 at the timeout) is reported as {@link
     * ExecOutcome#TIMEOUT} with the output so far, and this side waits up to 8 s past the timeout
     * for it before closing the connection. Fake hosts see the wrapped argv; with false, the
     * command runs as given and a timeout only closes its connection.
     */
    public Builder stopOnHost(boolean stop) {
      this.stopOnHost = stop;
      return this;
    }

    /** Adds a progress listener. */
    public Builder listener(ExecListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** The clock for timestamps in reports and events; default UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The {@link FleetExec}.
     *
     * @throws FleetConfigException if no transport was given
     */
    public FleetExec build() {
      if (transport == null) {
        throw new FleetConfigException("FleetExec needs a transport: call transport(...)");
      }
      return new FleetExec(this);
    }
  }
}
