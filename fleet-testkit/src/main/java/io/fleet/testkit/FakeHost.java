package io.fleet.testkit;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Shell;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.testkit.internal.FakeHttp;
import io.fleet.testkit.internal.FakeNar;
import io.fleet.testkit.internal.FakeRealisation;
import io.fleet.testkit.internal.ImportStream;
import io.fleet.testkit.internal.OpenSshKeys;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A simulated NixOS host behind the {@link io.fleet.api.spi.Transport} SPI (see {@link
 * FakeTransport}). It has a Nix store, the system profile with its generations, the running system,
 * a boot id, free space, the rollback marker, the transient watchdog timer and the boot-time
 * watchdog on a {@link FakeClock}, and a real ed25519 host key pair.
 *
 * <p>It interprets exactly the commands of {@link HostProtocol} (plus {@code systemctl
 * is-system-running} as a health check and what {@link FakeCommandHandler}s teach it); any other
 * command fails with {@link TransportException.Reason#UNSUPPORTED_COMMAND} naming it, and is kept
 * in {@link #unsupportedCommands()}. Its {@code nix-store --import} reads the fake evaluator's
 * stream and a real {@code nix-store --export} stream alike, so systems built by the real nix can
 * be deployed to it (see {@code FakeFleet.Builder#evaluator}); its {@link #httpEndpoint HTTP
 * endpoints} answer HTTP health checks. Its {@code nix-store --realise} of a derivation ({@link
 * Op#BUILD}, building on the target) "builds" what the fake fleet's evaluator says the derivation
 * outputs, once its closure has been copied ({@link #builtPaths()}, {@link #failNextBuild}).
 *
 * <p>Script, exercise, verify: tell the host what will go wrong ({@link #failNextActivation()},
 * {@link #dropConnectionAfter(Op)}, {@link #kill()} …), run the code, then ask it what happened
 * ({@link #commands()}, {@link #generation()}, {@link FleetAssertions#assertThat(FakeHost)}).
 * Faults tied to an {@link Op} fire once, on the next command of that kind.
 *
 * <p>Thread-safe: commands on one host run one at a time.
 */
public final class FakeHost {
  /** What a command is, as the host understands it. */
  public enum Op {
    /** {@link HostProtocol#STATUS_SCRIPT}: the preflight, or a status query. */
    STATUS,
    /** {@link HostProtocol#SUBSTITUTE_SCRIPT}. */
    SUBSTITUTE,
    /**
     * {@code nix-store --import}, or {@link HostProtocol#IMPORT_ZSTD_SCRIPT} ({@code zstd -d |
     * nix-store --import}): the copy.
     */
    IMPORT,
    /** {@link HostProtocol#REALISE_SCRIPT}: building the system on the host. */
    BUILD,
    /** {@link HostProtocol#ARM_SCRIPT}. */
    ARM,
    /** {@link HostProtocol#ACTIVATE_SCRIPT}: {@code switch-to-configuration <action>}. */
    ACTIVATE,
    /** {@link HostProtocol#ROLLBACK_NOW_SCRIPT}. */
    ROLLBACK,
    /** {@link HostProtocol#CONFIRM_SCRIPT}. */
    CONFIRM,
    /** {@link HostProtocol#REVERT_SCRIPT}. */
    REVERT,
    /** {@code cat /etc/ssh/ssh_host_ed25519_key.pub}. */
    HOST_KEY,
    /** {@code systemctl is-system-running [--wait]}: a health check. */
    HEALTH,
    /** A command a {@link FakeCommandHandler} answered. */
    CUSTOM,
    /** A command nobody understood. */
    UNSUPPORTED
  }

  private enum Fault {
    DROP_BEFORE,
    DROP_AFTER,
    UNREACHABLE_BEFORE,
    UNREACHABLE_AFTER,
    REBOOT_DURING
  }

  private final String name;
  private final FakeClock clock;
  private final OpenSshKeys keys;
  private final List<FakeCommandHandler> fleetHandlers;
  private final List<FakeCommandHandler> handlers = new CopyOnWriteArrayList<>();
  private final List<FakeCommand> commands = new ArrayList<>();
  private final List<FakeCommand> unsupported = new ArrayList<>();
  private final Map<String, StorePathInfo> store = new HashMap<>();
  private final Set<String> substitutable = new HashSet<>();
  private final TreeMap<Long, String> generations = new TreeMap<>();
  private final Map<String, byte[]> files = new TreeMap<>();
  private final Map<Op, Fault> faults = new EnumMap<>(Op.class);
  private final List<String> rollbackLog = new ArrayList<>();
  private final Set<FakeTransport.FakeConnection> connections = new HashSet<>();
  private final FakeHttp http = new FakeHttp();

  private long profileGeneration;
  private String currentSystem;
  private String bootId = UUID.randomUUID().toString();
  private long freeBytes = 64L << 30;
  private List<String> marker;
  private Instant watchdogDue;
  private Instant bootWatchdogDue;
  private Duration bootWatchdogWindow = Duration.ofMinutes(10);
  private boolean activating;
  private boolean unreachable;
  private boolean failActivation;
  private boolean failRollbackActivation;
  private String watchdogId;
  private String lastRollback;
  private String activationExit;
  private String activationLog = "";
  private boolean hangActivation;
  private boolean diskFullOnCopy;
  private String buildFailure;
  private final List<String> built = new ArrayList<>();
  private Function<String, Optional<FakeRealisation.Derivation>> derivations =
      d -> Optional.empty();
  private boolean zstd = true;
  private long importBytesReceived;
  private String unhealthyExceptOn;
  private Duration latency = Duration.ZERO;
  private boolean realLatency;
  private Duration virtualBusy = Duration.ZERO;
  private int connectionCount;
  private int reboots;
  private int confirmations;

  FakeHost(
      String name,
      FakeClock clock,
      String initialSystem,
      Collection<StorePathInfo> initialClosure,
      List<FakeCommandHandler> fleetHandlers) {
    this.name = name;
    this.clock = clock;
    this.keys = OpenSshKeys.generate("root@" + name);
    this.fleetHandlers = fleetHandlers;
    for (StorePathInfo p : initialClosure) {
      store.put(p.path(), p);
    }
    generations.put(1L, initialSystem);
    profileGeneration = 1;
    currentSystem = initialSystem;
    files.put(
        "/etc/ssh/ssh_host_ed25519_key", keys.privateKeyFile().getBytes(StandardCharsets.UTF_8));
    files.put(
        HostProtocol.HOST_KEY_PUB, (keys.publicLine() + "\n").getBytes(StandardCharsets.UTF_8));
    clock.onTick(this::tick);
  }

  /**
   * A standalone host on {@code clock} running {@code initialSystem} (generation 1), whose store
   * holds {@code initialClosure}. {@link FakeFleet} makes hosts for you; use this for one-off
   * hosts.
   */
  public static FakeHost create(
      String name, FakeClock clock, String initialSystem, Collection<StorePathInfo> closure) {
    return new FakeHost(name, clock, initialSystem, closure, List.of());
  }

  // ---------------------------------------------------------------- state, for verification

  /** The host's name. */
  public String name() {
    return name;
  }

  /** The system profile's current generation number. */
  public synchronized long generation() {
    return profileGeneration;
  }

  /** The system path of generation {@code n}, if it exists. */
  public synchronized Optional<String> systemOfGeneration(long n) {
    return Optional.ofNullable(generations.get(n));
  }

  /** Every generation, number to system path. */
  public synchronized Map<Long, String> generations() {
    return new TreeMap<>(generations);
  }

  /** The system the host runs ({@code /run/current-system}). */
  public synchronized String currentSystem() {
    return currentSystem;
  }

  /** The system the profile points at (what the host boots). */
  public synchronized String profileSystem() {
    return generations.get(profileGeneration);
  }

  /** The boot id; it changes when the host reboots. */
  public synchronized String bootId() {
    return bootId;
  }

  /** How many times the host rebooted. */
  public synchronized int reboots() {
    return reboots;
  }

  /** The rollback marker's lines (previous generation, previous system, deployment id), if any. */
  public synchronized Optional<List<String>> rollbackMarker() {
    return Optional.ofNullable(marker).map(List::copyOf);
  }

  /** When the transient watchdog timer fires, if it is armed. */
  public synchronized Optional<Instant> watchdogDue() {
    return Optional.ofNullable(watchdogDue);
  }

  /** When the boot-time watchdog fires, if it is armed (after a reboot with a marker). */
  public synchronized Optional<Instant> bootWatchdogDue() {
    return Optional.ofNullable(bootWatchdogDue);
  }

  /** Whether {@code switch-to-configuration} is running under {@code fleet-activate} (it hung). */
  public synchronized boolean isActivating() {
    return activating;
  }

  /**
   * Every rollback the host ran, oldest first, each as {@code <who>: <from gen> -> <to gen>} where
   * who is {@code deployer}, {@code watchdog}, {@code boot-watchdog} or {@code revert}.
   */
  public synchronized List<String> rollbacks() {
    return List.copyOf(rollbackLog);
  }

  /** Whether the store holds {@code path}. */
  public synchronized boolean hasPath(String path) {
    return store.containsKey(path);
  }

  /** The store's paths. */
  public synchronized Set<String> storePaths() {
    return new HashSet<>(store.keySet());
  }

  /** Free bytes in {@code /nix/store}. */
  public synchronized long freeBytes() {
    return freeBytes;
  }

  /** Every command received, in order, including unsupported ones. */
  public synchronized List<FakeCommand> commands() {
    return List.copyOf(commands);
  }

  /** The commands nobody understood. */
  public synchronized List<FakeCommand> unsupportedCommands() {
    return List.copyOf(unsupported);
  }

  /** Forgets the recorded commands (state stays). */
  public synchronized void clearCommands() {
    commands.clear();
    unsupported.clear();
  }

  /** How many connections were opened to the host. */
  public synchronized int connectionsOpened() {
    return connectionCount;
  }

  /** The latency accumulated on the virtual clock by this host's commands. */
  public synchronized Duration virtualTimeSpent() {
    return virtualBusy;
  }

  /** The public host key line, {@code ssh-ed25519 AAAA… root@<name>}. */
  public String publicKey() {
    return keys.publicLine();
  }

  /**
   * The host's private key as the text of an unencrypted OpenSSH private key file, as in {@code
   * /etc/ssh/ssh_host_ed25519_key}. It is a fake host's key: use it to decrypt in tests.
   */
  public String privateKeyOpenSsh() {
    return keys.privateKeyFile();
  }

  /** The content of file {@code path}, if the host has it. */
  public synchronized Optional<byte[]> readFile(String path) {
    return Optional.ofNullable(files.get(path)).map(byte[]::clone);
  }

  /** Writes file {@code path} (for handlers and test setup). */
  public synchronized void writeFile(String path, byte[] content) {
    files.put(path, content.clone());
  }

  /** Deletes file {@code path}; whether it existed. */
  public synchronized boolean deleteFile(String path) {
    return files.remove(path) != null;
  }

  /** The paths of every file the host has. */
  public synchronized Set<String> files() {
    return new HashSet<>(files.keySet());
  }

  // ---------------------------------------------------------------- scripting

  /** Teaches this host a command; see {@link FakeCommandHandler}. */
  public FakeHost onCommand(FakeCommandHandler handler) {
    handlers.add(handler);
    return this;
  }

  /** Adds latency to every command, on the virtual clock (accounted, not slept). */
  public synchronized FakeHost latency(Duration d) {
    latency = d;
    realLatency = false;
    return this;
  }

  /** Makes every command take {@code d} of real time (sleeping). For benchmarks only. */
  public synchronized FakeHost realLatency(Duration d) {
    latency = d;
    realLatency = true;
    return this;
  }

  /** Lets the host's binary cache serve {@code paths} (for substitution). */
  public synchronized FakeHost cacheHas(Collection<String> paths) {
    substitutable.addAll(paths);
    return this;
  }

  /**
   * Whether the host has {@code zstd} on its {@code PATH} (default true): its status says {@code
   * zstd=yes} and it decompresses {@link HostProtocol#importCompressed}. Without it the status says
   * {@code zstd=no}, and a compressed import fails as {@code sh} would ({@code zstd: not found},
   * exit 127).
   */
  public synchronized FakeHost zstd(boolean has) {
    zstd = has;
    return this;
  }

  /**
   * The bytes the host's imports read from standard input so far: what the copies put on the wire
   * (compressed, for compressed copies).
   */
  public synchronized long importBytesReceived() {
    return importBytesReceived;
  }

  /** Sets the free bytes in {@code /nix/store}. */
  public synchronized FakeHost freeBytes(long bytes) {
    freeBytes = bytes;
    return this;
  }

  /** How long after a reboot the boot-time watchdog (the NixOS module's timer) fires. */
  public synchronized FakeHost bootWatchdogWindow(Duration d) {
    bootWatchdogWindow = d;
    return this;
  }

  /**
   * The next {@code switch-to-configuration} fails after switching {@code /run/current-system}, as
   * a failing unit does: it exits 4 (what {@code switch-to-configuration} exits with when units
   * failed) and prints {@code warning: the following units failed: broken.service}.
   */
  public synchronized FakeHost failNextActivation() {
    failActivation = true;
    return this;
  }

  /**
   * The next rollback (by the deployer, a watchdog or a revert) switches the profile back but the
   * previous generation's {@code switch-to-configuration switch} fails (exit 4): the host is on
   * neither its previous system nor the new one.
   */
  public synchronized FakeHost failNextRollbackActivation() {
    failRollbackActivation = true;
    return this;
  }

  /**
   * The next {@code switch-to-configuration} hangs: the command times out, and {@code
   * fleet-activate} keeps running until something stops it (a rollback does).
   */
  public synchronized FakeHost hangNextActivation() {
    hangActivation = true;
    return this;
  }

  /**
   * The next build on this host ({@link HostProtocol#realise}) fails as a failing builder does:
   * {@code nix-store --realise} exits 1 after printing {@code log} and {@code error: builder for
   * '<drv>' failed with exit code 1}; nothing is added to the store.
   */
  public synchronized FakeHost failNextBuild(String log) {
    buildFailure = log;
    return this;
  }

  /** The store paths this host built itself ({@link Op#BUILD}), in the order it built them. */
  public synchronized List<String> builtPaths() {
    return List.copyOf(built);
  }

  /** Where the host finds what a derivation builds (the fake fleet's evaluator). */
  synchronized void derivations(Function<String, Optional<FakeRealisation.Derivation>> lookup) {
    this.derivations = lookup;
  }

  /**
   * The next copy fails half way with "No space left on device" although free space looked fine.
   */
  public synchronized FakeHost diskFullOnNextCopy() {
    diskFullOnCopy = true;
    return this;
  }

  /**
   * Health checks ({@code systemctl is-system-running}, and GETs of the host's {@link #httpEndpoint
   * HTTP endpoints}, which answer 503) fail on every system but the one running now: the next
   * system deployed is unhealthy, a rollback makes the host healthy again.
   */
  public synchronized FakeHost failHealthChecksOfNewSystems() {
    unhealthyExceptOn = currentSystem;
    return this;
  }

  /** The connection drops just before the next command of kind {@code op} reaches the host. */
  public synchronized FakeHost dropConnectionBefore(Op op) {
    faults.put(op, Fault.DROP_BEFORE);
    return this;
  }

  /** The next command of kind {@code op} runs, then the connection drops before its result. */
  public synchronized FakeHost dropConnectionAfter(Op op) {
    faults.put(op, Fault.DROP_AFTER);
    return this;
  }

  /** From the next command of kind {@code op} on (it does not run), the host is unreachable. */
  public synchronized FakeHost unreachableFrom(Op op) {
    faults.put(op, Fault.UNREACHABLE_BEFORE);
    return this;
  }

  /** The next command of kind {@code op} runs, then the host becomes unreachable. */
  public synchronized FakeHost unreachableAfter(Op op) {
    faults.put(op, Fault.UNREACHABLE_AFTER);
    return this;
  }

  /**
   * The host reboots during the next command of kind {@code op}: an activation is cut off before it
   * switches anything; any other command runs first. After the reboot the host runs the system its
   * profile points at, transient timers are gone, and if a marker exists the boot-time watchdog is
   * armed.
   */
  public synchronized FakeHost rebootDuring(Op op) {
    faults.put(op, Fault.REBOOT_DURING);
    return this;
  }

  /**
   * Serves {@code path} over (fake) HTTP with {@code status}, for {@link
   * io.fleet.api.deploy.HealthCheck#http} checks run by {@code FakeFleet.deployer()}: a check of
   * {@code http://{host}/path} reaches this host by its deploy address.
   */
  public FakeHost httpEndpoint(String path, int status) {
    http.serve(path, () -> status);
    return this;
  }

  /**
   * Serves {@code path} with the status {@code status} computes from this host at each request, for
   * example {@code h -> h.currentSystem().equals(good) ? 200 : 500}.
   */
  public FakeHost httpEndpoint(String path, java.util.function.ToIntFunction<FakeHost> status) {
    http.serve(path, () -> status.applyAsInt(this));
    return this;
  }

  /**
   * What a GET of {@code path} gets: the status, or why there is none (the host is down, or serves
   * no such path); see {@link FakeFleet#httpProblem}.
   */
  synchronized FakeHttpAnswer httpGet(String path) {
    if (unreachable) {
      return FakeHttpAnswer.failure("connection timed out: fake host " + name + " is down");
    }
    Optional<Integer> status = http.status(path);
    if (status.isEmpty()) {
      return FakeHttpAnswer.status(
          404,
          "fake host "
              + name
              + " serves no "
              + path
              + " (it serves "
              + http.paths()
              + "): declare it with host.httpEndpoint(path, status)");
    }
    boolean healthy = unhealthyExceptOn == null || unhealthyExceptOn.equals(currentSystem);
    return FakeHttpAnswer.status(healthy ? status.get() : 503, "");
  }

  /** How many deployments this host confirmed (a confirmation that found its own marker). */
  public synchronized int confirmations() {
    return confirmations;
  }

  /** The host becomes unreachable now (network down); its timers keep running. */
  public synchronized FakeHost kill() {
    unreachable = true;
    dropAllConnections();
    return this;
  }

  /** The host is reachable again. */
  public synchronized FakeHost revive() {
    unreachable = false;
    return this;
  }

  /** Reboots the host now (see {@link #rebootDuring}). */
  public synchronized FakeHost reboot() {
    doReboot();
    return this;
  }

  // ---------------------------------------------------------------- transport side

  synchronized boolean isReachable() {
    return !unreachable;
  }

  synchronized int register(FakeTransport.FakeConnection c) {
    connections.add(c);
    return ++connectionCount;
  }

  synchronized void unregister(FakeTransport.FakeConnection c) {
    connections.remove(c);
  }

  private void dropAllConnections() {
    for (FakeTransport.FakeConnection c : new ArrayList<>(connections)) {
      c.drop();
    }
    connections.clear();
  }

  /** Sleeps real latency (outside the lock) when configured. */
  void beforeCommand() {
    Duration d;
    boolean real;
    synchronized (this) {
      d = latency;
      real = realLatency;
    }
    if (real && !d.isZero()) {
      try {
        Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TransportException(name, TransportException.Reason.OTHER, "interrupted", e);
      }
    }
  }

  synchronized CommandResult execute(
      FakeTransport.FakeConnection conn,
      List<String> argv,
      Map<String, String> env,
      boolean sudo,
      byte[] stdinBytes,
      InputStream stdinStream,
      OutputStream stdout,
      Optional<Duration> timeout) {
    Op op = classify(argv);
    FakeCommand cmd =
        new FakeCommand(argv, env, stdinBytes, sudo, op, conn.number(), clock.instant());
    commands.add(cmd);
    if (!conn.isOpen()) {
      throw lost("the connection is closed");
    }
    if (unreachable) {
      conn.drop();
      throw lost("the host stopped answering");
    }
    if (!realLatency) {
      virtualBusy = virtualBusy.plus(latency);
    }
    Fault fault = faults.remove(op);
    if (fault == Fault.DROP_BEFORE) {
      conn.drop();
      throw lost("connection dropped before " + op);
    }
    if (fault == Fault.UNREACHABLE_BEFORE) {
      unreachable = true;
      dropAllConnections();
      throw lost("host became unreachable before " + op);
    }
    CommandResult result;
    if (fault == Fault.REBOOT_DURING && op == Op.ACTIVATE) {
      result = null;
    } else {
      InputStream in = stdinStream != null ? stdinStream : new ByteArrayInputStream(stdinBytes);
      result = run(op, cmd, in, stdout, timeout);
    }
    if (fault == Fault.DROP_AFTER) {
      conn.drop();
      throw lost("connection dropped after " + op);
    }
    if (fault == Fault.UNREACHABLE_AFTER) {
      unreachable = true;
      dropAllConnections();
      throw lost("host became unreachable after " + op);
    }
    if (fault == Fault.REBOOT_DURING) {
      doReboot();
      throw lost("host rebooted during " + op);
    }
    return result;
  }

  private TransportException lost(String why) {
    return new TransportException(
        name, TransportException.Reason.CONNECTION_LOST, "connection to " + name + " lost: " + why);
  }

  private Op classify(List<String> a) {
    if (a.size() >= 4 && a.get(0).equals("sh") && a.get(1).equals("-c") && a.get(3).equals("sh")) {
      String s = a.get(2);
      int n = a.size();
      String last = a.get(n - 1);
      if (s.equals(HostProtocol.STATUS_SCRIPT) && n == 4) {
        return Op.STATUS;
      } else if (s.equals(HostProtocol.SUBSTITUTE_SCRIPT) && n == 4) {
        return Op.SUBSTITUTE;
      } else if (s.equals(HostProtocol.IMPORT_ZSTD_SCRIPT) && n == 4) {
        return Op.IMPORT;
      } else if (s.equals(HostProtocol.REALISE_SCRIPT) && n == 5) {
        return Op.BUILD;
      } else if (s.equals(HostProtocol.ARM_SCRIPT)
          && n == 9
          && a.get(7).equals(HostProtocol.ROLLBACK_SCRIPT)
          && last.equals(HostProtocol.ACTIVATION_WRAPPER)
          && a.get(5).matches("[0-9]+")) {
        return Op.ARM;
      } else if (s.equals(HostProtocol.ROLLBACK_NOW_SCRIPT) && n == 5) {
        return Op.ROLLBACK;
      } else if (s.equals(HostProtocol.CONFIRM_SCRIPT) && n == 5) {
        return Op.CONFIRM;
      } else if (s.equals(HostProtocol.REVERT_SCRIPT)
          && n == 8
          && last.equals(HostProtocol.ROLLBACK_SCRIPT)
          && a.get(5).matches("[0-9]+")) {
        return Op.REVERT;
      } else if (s.equals(HostProtocol.ACTIVATE_SCRIPT)
          && n == 6
          && HostProtocol.ACTIVATION_ACTIONS.contains(last)) {
        return Op.ACTIVATE;
      }
    }
    if (a.equals(List.of("nix-store", "--import"))) {
      return Op.IMPORT;
    }
    if (a.equals(List.of("cat", HostProtocol.HOST_KEY_PUB))) {
      return Op.HOST_KEY;
    }
    if (a.equals(List.of("systemctl", "is-system-running"))
        || a.equals(List.of("systemctl", "is-system-running", "--wait"))) {
      return Op.HEALTH;
    }
    return null; // CUSTOM or UNSUPPORTED, decided when run
  }

  private CommandResult run(
      Op op, FakeCommand cmd, InputStream in, OutputStream stdout, Optional<Duration> timeout) {
    if (op == null) {
      return custom(cmd, stdout);
    }
    List<String> a = cmd.argv();
    switch (op) {
      case STATUS:
        return out(stdout, 0, status(readPaths(in)), "");
      case SUBSTITUTE:
        return out(stdout, 0, substitute(readPaths(in)), "");
      case IMPORT:
        return importPaths(in, stdout, !a.get(0).equals("nix-store"));
      case BUILD:
        return realise(a.get(4));
      case ARM:
        return arm(a.get(4), Long.parseLong(a.get(5)), a.get(6));
      case ACTIVATE:
        return activate(a.get(4), a.get(5), timeout);
      case ROLLBACK:
        return rollbackNow(a.get(4));
      case CONFIRM:
        return confirm(a.get(4));
      case REVERT:
        return revert(a.get(4), Long.parseLong(a.get(5)), a.get(6));
      case HOST_KEY:
        return out(stdout, 0, keys.publicLine() + "\n", "");
      case HEALTH:
        boolean healthy = unhealthyExceptOn == null || unhealthyExceptOn.equals(currentSystem);
        return out(stdout, healthy ? 0 : 1, healthy ? "running\n" : "degraded\n", "");
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  private CommandResult custom(FakeCommand cmd, OutputStream stdout) {
    List<FakeCommandHandler> all = new ArrayList<>(handlers);
    all.addAll(fleetHandlers);
    all.addAll(FakeFleet.discoveredHandlers());
    for (FakeCommandHandler h : all) {
      Optional<CommandResult> r = h.handle(this, cmd);
      if (r.isPresent()) {
        commands.set(commands.size() - 1, withOp(cmd, Op.CUSTOM));
        if (stdout != null) {
          write(stdout, r.get().stdout());
          return new CommandResult(r.get().exitCode(), new byte[0], r.get().stderr());
        }
        return r.get();
      }
    }
    FakeCommand u = withOp(cmd, Op.UNSUPPORTED);
    commands.set(commands.size() - 1, u);
    unsupported.add(u);
    throw new TransportException(
        name,
        TransportException.Reason.UNSUPPORTED_COMMAND,
        "fake host "
            + name
            + " does not understand the command "
            + Shell.join(cmd.argv())
            + "; it understands the HostProtocol commands, 'systemctl is-system-running' and what"
            + " FakeCommandHandlers teach it");
  }

  private static FakeCommand withOp(FakeCommand c, Op op) {
    return new FakeCommand(c.argv(), c.env(), c.stdin(), c.sudo(), op, c.connection(), c.time());
  }

  private static CommandResult out(OutputStream stdout, int exit, String text, String err) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    if (stdout != null) {
      write(stdout, b);
      return new CommandResult(exit, new byte[0], err.getBytes(StandardCharsets.UTF_8));
    }
    return new CommandResult(exit, b, err.getBytes(StandardCharsets.UTF_8));
  }

  private static void write(OutputStream o, byte[] b) {
    try {
      o.write(b);
      o.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> readPaths(InputStream in) {
    try {
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      List<String> paths = new ArrayList<>();
      for (String line : s.split("\n")) {
        if (!line.isEmpty()) {
          paths.add(line);
        }
      }
      return paths;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String status(List<String> paths) {
    StringBuilder sb = new StringBuilder();
    sb.append("generation=").append(profileGeneration).append('\n');
    sb.append("profile=").append(generations.get(profileGeneration)).append('\n');
    sb.append("current=").append(currentSystem).append('\n');
    sb.append("boot-id=").append(bootId).append('\n');
    sb.append("free-bytes=").append(freeBytes).append('\n');
    if (marker != null) {
      sb.append("marker=").append(String.join("|", marker)).append('\n');
    }
    appendRecords(sb);
    sb.append("activating=").append(activating ? "yes" : "no").append('\n');
    sb.append("rolling-back=no\n");
    sb.append("zstd=").append(zstd ? "yes" : "no").append('\n');
    appendMissing(sb, paths);
    return sb.toString();
  }

  private String substitute(List<String> paths) {
    StringBuilder sb = new StringBuilder();
    for (String p : paths) {
      if (!store.containsKey(p) && substitutable.contains(p)) {
        store.put(p, StorePathInfo.builder().path(p).narSize(0).build());
      }
    }
    appendMissing(sb, paths);
    return sb.toString();
  }

  /** Appends {@code missing=<path>} for each of {@code paths} that is not in the store. */
  private void appendMissing(StringBuilder sb, List<String> paths) {
    for (String p : paths) {
      if (!store.containsKey(p)) {
        sb.append("missing=").append(p).append('\n');
      }
    }
  }

  /** The failed import of {@code e} on a full disk, after the paths {@code imported}. */
  private static CommandResult noSpace(
      OutputStream stdout, StringBuilder imported, FakeNar.Entry e) {
    return out(
        stdout,
        1,
        imported.toString(),
        "error: writing to file: No space left on device while importing " + e.path + "\n");
  }

  private CommandResult importPaths(InputStream raw, OutputStream stdout, boolean compressed) {
    if (compressed && !zstd) {
      return out(stdout, 127, "", "sh: 1: zstd: not found\n");
    }
    Counting counted = new Counting(raw);
    try {
      return importPaths(
          compressed ? new com.github.luben.zstd.ZstdInputStream(counted) : counted, stdout);
    } catch (IOException e) {
      return out(stdout, 1, "", "fleet: zstd -d failed (exit 1): " + e.getMessage() + "\n");
    } finally {
      importBytesReceived += counted.count;
    }
  }

  /** Counts what an import reads. */
  private static final class Counting extends java.io.FilterInputStream {
    long count;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }

  private CommandResult importPaths(InputStream in, OutputStream stdout) {
    StringBuilder imported = new StringBuilder();
    boolean diskFull = diskFullOnCopy;
    diskFullOnCopy = false;
    int count = 0;
    try {
      ImportStream stream = ImportStream.open(in);
      FakeNar.Entry e;
      while ((e = stream.next()) != null) {
        if (diskFull && count >= 1) {
          return noSpace(stdout, imported, e);
        }
        for (String r : e.references) {
          if (!r.equals(e.path) && !store.containsKey(r)) {
            return out(
                stdout,
                1,
                imported.toString(),
                "error: cannot add path '"
                    + e.path
                    + "' because it lacks a signature or references '"
                    + r
                    + "', which is not valid\n");
          }
        }
        if (e.size > freeBytes) {
          return noSpace(stdout, imported, e);
        }
        stream.skipBody(e);
        if (!store.containsKey(e.path)) {
          freeBytes -= e.size;
          store.put(
              e.path,
              StorePathInfo.builder()
                  .path(e.path)
                  .narSize(e.size)
                  .addAllReferences(e.references)
                  .build());
        }
        imported.append(e.path).append('\n');
        if (stdout != null) {
          write(stdout, (e.path + "\n").getBytes(StandardCharsets.UTF_8));
        }
        count++;
      }
    } catch (com.github.luben.zstd.ZstdIOException ex) {
      return out(
          stdout,
          1,
          stdout != null ? "" : imported.toString(),
          "fleet: zstd -d failed (exit 1): the compressed stream is damaged: "
              + ex.getMessage()
              + "\n");
    } catch (IOException ex) {
      throw new TransportException(
          name, TransportException.Reason.CONNECTION_LOST, "import stream broke: " + ex, ex);
    } catch (RuntimeException ex) {
      return out(null, 1, "", "error: " + ex.getMessage() + "\n");
    }
    return stdout != null
        ? new CommandResult(0, new byte[0], new byte[0])
        : CommandResult.of(0, imported.toString(), "");
  }

  private CommandResult realise(String drv) {
    Optional<String> failure = Optional.ofNullable(buildFailure);
    buildFailure = null;
    FakeRealisation.Result r =
        FakeRealisation.realise(drv, derivations, store::containsKey, freeBytes, failure);
    for (StorePathInfo p : r.built) {
      store.put(p.path(), p);
      freeBytes -= p.narSize();
      built.add(p.path());
    }
    return out(null, r.exit, r.stdout, "");
  }

  /** The state lines that the scripts which change a host print ({@code state} in the scripts). */
  private String state() {
    StringBuilder sb = new StringBuilder();
    sb.append("generation=").append(profileGeneration).append('\n');
    sb.append("profile=").append(generations.get(profileGeneration)).append('\n');
    sb.append("current=").append(currentSystem).append('\n');
    sb.append("boot-id=").append(bootId).append('\n');
    if (marker != null) {
      sb.append("marker=").append(String.join("|", marker)).append('\n');
    }
    appendRecords(sb);
    return sb.toString();
  }

  /** The last rollback's and the last activation's records, as the scripts print them. */
  private void appendRecords(StringBuilder sb) {
    if (lastRollback != null) {
      sb.append("last-rollback=").append(lastRollback).append('\n');
      if (!lastRollback.split("\\|")[1].equals("0")) {
        sb.append("rollback-log=switch-to-configuration: a unit failed (fake)\n");
      }
    }
    if (activationExit != null) {
      sb.append("activation-exit=").append(activationExit).append('\n');
      for (String l : activationLog.split("\n")) {
        if (!l.isEmpty()) {
          sb.append("activation-log=").append(l).append('\n');
        }
      }
    }
  }

  private CommandResult arm(String id, long window, String system) {
    if (marker != null) {
      return CommandResult.of(
          HostProtocol.EXIT_MARKER_EXISTS, "", "fleet: " + HostProtocol.MARKER + " exists\n");
    }
    // Read here, under the host's lock, as the script reads it under flock.
    long prevGen = profileGeneration;
    String prevProfile = generations.get(prevGen);
    String prevCurrent = currentSystem;
    marker = List.of(Long.toString(prevGen), prevProfile, id, bootId, prevCurrent);
    activationExit = null;
    activationLog = "";
    watchdogDue = clock.instant().plusSeconds(window);
    watchdogId = id;
    if (!system.isEmpty()) {
      if (!store.containsKey(system)) {
        return CommandResult.of(1, "", "error: path '" + system + "' is not valid\n");
      }
      long next = generations.lastKey() + 1;
      generations.put(next, system);
      profileGeneration = next;
    }
    return CommandResult.of(
        0,
        "previous-generation="
            + prevGen
            + "\nprevious-profile="
            + prevProfile
            + "\nprevious-current="
            + prevCurrent
            + "\ngeneration="
            + profileGeneration
            + "\n",
        "");
  }

  private CommandResult activate(String system, String action, Optional<Duration> timeout) {
    if (!store.containsKey(system)) {
      return CommandResult.of(
          1, "", "fleet: systemd-run could not start the activation (exit 1)\n");
    }
    if (hangActivation) {
      hangActivation = false;
      activating = true;
      throw new TransportException(
          name,
          TransportException.Reason.TIMEOUT,
          "command on "
              + name
              + " timed out after "
              + timeout.map(Duration::toString).orElse("the default timeout")
              + ": switch-to-configuration "
              + action
              + " is still running");
    }
    if (!action.equals("boot")) {
      currentSystem = system;
    }
    int exit = 0;
    activationLog = "activating " + system + " (" + action + ")\n";
    if (failActivation) {
      failActivation = false;
      exit = 4;
      activationLog += "warning: the following units failed: broken.service\n";
    }
    activationExit = Integer.toString(exit);
    StringBuilder out = new StringBuilder();
    appendRecords(out);
    return CommandResult.of(exit, out.toString(), "");
  }

  /**
   * Runs ROLLBACK_SCRIPT's semantics for deployment {@code id} (null: any, as the boot-time
   * watchdog); returns false if there was nothing to roll back.
   */
  private boolean rollbackScript(String who, String id) {
    if (marker == null || (id != null && !marker.get(2).equals(id))) {
      return false;
    }
    long n = Long.parseLong(marker.get(0));
    activating = false;
    long from = profileGeneration;
    if (!generations.containsKey(n)) {
      throw new IllegalStateException("marker names missing generation " + n);
    }
    profileGeneration = n;
    currentSystem = generations.get(n);
    int exit = 0;
    if (failRollbackActivation) {
      failRollbackActivation = false;
      exit = 4;
    }
    lastRollback = marker.get(2) + "|" + exit + "|" + (who.equals("revert") ? "deployer" : who);
    marker = null;
    watchdogDue = null;
    bootWatchdogDue = null;
    rollbackLog.add(who + ": " + from + " -> " + n + (exit != 0 ? " (activation failed)" : ""));
    return true;
  }

  private CommandResult rollbackNow(String id) {
    if (marker != null && !marker.get(2).equals(id)) {
      return CommandResult.of(
          HostProtocol.EXIT_OTHER_DEPLOYMENT,
          state(),
          "fleet: marker belongs to another deployment\n");
    }
    boolean ran = rollbackScript("deployer", id);
    return CommandResult.of(0, "rollback-ran=" + (ran ? "yes" : "no") + "\n" + state(), "");
  }

  private CommandResult confirm(String id) {
    if (marker == null) {
      return CommandResult.of(
          HostProtocol.EXIT_NO_MARKER,
          state(),
          "fleet: no rollback marker: the host was rolled back\n");
    }
    if (!marker.get(2).equals(id)) {
      // Another deployment's: its watchdog stays armed.
      return CommandResult.of(
          HostProtocol.EXIT_OTHER_DEPLOYMENT,
          state(),
          "fleet: marker belongs to another deployment\n");
    }
    watchdogDue = null;
    marker = null;
    bootWatchdogDue = null;
    confirmations++;
    return CommandResult.of(0, state(), "");
  }

  private CommandResult revert(String id, long prevGen, String prevSystem) {
    if (marker != null) {
      return CommandResult.of(
          HostProtocol.EXIT_MARKER_EXISTS, state(), "fleet: " + HostProtocol.MARKER + " exists\n");
    }
    marker = List.of(Long.toString(prevGen), prevSystem, id, bootId, prevSystem);
    rollbackScript("revert", id);
    return CommandResult.of(0, state(), "");
  }

  private void doReboot() {
    reboots++;
    bootId = UUID.randomUUID().toString();
    watchdogDue = null;
    activating = false;
    currentSystem = generations.get(profileGeneration);
    if (marker != null) {
      bootWatchdogDue = clock.instant().plus(bootWatchdogWindow);
    }
    dropAllConnections();
  }

  private synchronized void tick(Instant now) {
    if (watchdogDue != null && !now.isBefore(watchdogDue)) {
      watchdogDue = null;
      rollbackScript("watchdog", watchdogId);
    }
    if (bootWatchdogDue != null && !now.isBefore(bootWatchdogDue)) {
      bootWatchdogDue = null;
      rollbackScript("boot-watchdog", null);
    }
  }

  @Override
  public synchronized String toString() {
    return "FakeHost{"
        + name
        + ", generation "
        + profileGeneration
        + ", running "
        + currentSystem
        + (marker != null ? ", marker " + marker : "")
        + "}";
  }
}
