package io.fleet.testkit;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Shell;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.testkit.internal.FakeHostProtocol;
import io.fleet.testkit.internal.FakeHostState;
import io.fleet.testkit.internal.FakeHttp;
import io.fleet.testkit.internal.FakeRealisation;
import io.fleet.testkit.internal.OpenSshKeys;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
  private final Map<String, byte[]> files = new TreeMap<>();
  private final Map<Op, Fault> faults = new EnumMap<>(Op.class);
  private final Set<FakeTransport.FakeConnection> connections = new HashSet<>();
  private final FakeHttp http = new FakeHttp();
  private final FakeHostState state;
  private final FakeHostProtocol protocol;

  private boolean unreachable;
  private Duration latency = Duration.ZERO;
  private boolean realLatency;
  private Duration virtualBusy = Duration.ZERO;
  private int connectionCount;

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
    this.state = new FakeHostState(initialSystem, initialClosure);
    this.protocol = new FakeHostProtocol(name, clock, state, keys.publicLine());
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
    return state.generation();
  }

  /** The system path of generation {@code n}, if it exists. */
  public synchronized Optional<String> systemOfGeneration(long n) {
    return state.systemOfGeneration(n);
  }

  /** Every generation, number to system path. */
  public synchronized Map<Long, String> generations() {
    return state.generations();
  }

  /** The system the host runs ({@code /run/current-system}). */
  public synchronized String currentSystem() {
    return state.currentSystem();
  }

  /** The system the profile points at (what the host boots). */
  public synchronized String profileSystem() {
    return state.profileSystem();
  }

  /** The boot id; it changes when the host reboots. */
  public synchronized String bootId() {
    return state.bootId();
  }

  /** How many times the host rebooted. */
  public synchronized int reboots() {
    return state.reboots();
  }

  /** The rollback marker's lines (previous generation, previous system, deployment id), if any. */
  public synchronized Optional<List<String>> rollbackMarker() {
    return state.rollbackMarker();
  }

  /** When the transient watchdog timer fires, if it is armed. */
  public synchronized Optional<Instant> watchdogDue() {
    return state.watchdogDue();
  }

  /** When the boot-time watchdog fires, if it is armed (after a reboot with a marker). */
  public synchronized Optional<Instant> bootWatchdogDue() {
    return state.bootWatchdogDue();
  }

  /** Whether {@code switch-to-configuration} is running under {@code fleet-activate} (it hung). */
  public synchronized boolean isActivating() {
    return state.isActivating();
  }

  /**
   * Every rollback the host ran, oldest first, each as {@code <who>: <from gen> -> <to gen>} where
   * who is {@code deployer}, {@code watchdog}, {@code boot-watchdog} or {@code revert}.
   */
  public synchronized List<String> rollbacks() {
    return state.rollbacks();
  }

  /** Whether the store holds {@code path}. */
  public synchronized boolean hasPath(String path) {
    return state.hasPath(path);
  }

  /** The store's paths. */
  public synchronized Set<String> storePaths() {
    return state.storePaths();
  }

  /** Free bytes in {@code /nix/store}. */
  public synchronized long freeBytes() {
    return state.freeBytes();
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
    state.cacheHas(paths);
    return this;
  }

  /**
   * Whether the host has {@code zstd} on its {@code PATH} (default true): its status says {@code
   * zstd=yes} and it decompresses {@link HostProtocol#importCompressed}. Without it the status says
   * {@code zstd=no}, and a compressed import fails as {@code sh} would ({@code zstd: not found},
   * exit 127).
   */
  public synchronized FakeHost zstd(boolean has) {
    state.zstd(has);
    return this;
  }

  /**
   * The bytes the host's imports read from standard input so far: what the copies put on the wire
   * (compressed, for compressed copies).
   */
  public synchronized long importBytesReceived() {
    return state.importBytesReceived();
  }

  /** Sets the free bytes in {@code /nix/store}. */
  public synchronized FakeHost freeBytes(long bytes) {
    state.freeBytes(bytes);
    return this;
  }

  /** How long after a reboot the boot-time watchdog (the NixOS module's timer) fires. */
  public synchronized FakeHost bootWatchdogWindow(Duration d) {
    state.bootWatchdogWindow(d);
    return this;
  }

  /**
   * The next {@code switch-to-configuration} fails after switching {@code /run/current-system}, as
   * a failing unit does: it exits 4 (what {@code switch-to-configuration} exits with when units
   * failed) and prints {@code warning: the following units failed: broken.service}.
   */
  public synchronized FakeHost failNextActivation() {
    state.failNextActivation();
    return this;
  }

  /**
   * The next rollback (by the deployer, a watchdog or a revert) switches the profile back but the
   * previous generation's {@code switch-to-configuration switch} fails (exit 4): the host is on
   * neither its previous system nor the new one.
   */
  public synchronized FakeHost failNextRollbackActivation() {
    state.failNextRollbackActivation();
    return this;
  }

  /**
   * The next {@code switch-to-configuration} hangs: the command times out, and {@code
   * fleet-activate} keeps running until something stops it (a rollback does).
   */
  public synchronized FakeHost hangNextActivation() {
    state.hangNextActivation();
    return this;
  }

  /**
   * The next build on this host ({@link HostProtocol#realise}) fails as a failing builder does:
   * {@code nix-store --realise} exits 1 after printing {@code log} and {@code error: builder for
   * '<drv>' failed with exit code 1}; nothing is added to the store.
   */
  public synchronized FakeHost failNextBuild(String log) {
    state.failNextBuild(log);
    return this;
  }

  /** The store paths this host built itself ({@link Op#BUILD}), in the order it built them. */
  public synchronized List<String> builtPaths() {
    return state.builtPaths();
  }

  /** Where the host finds what a derivation builds (the fake fleet's evaluator). */
  synchronized void derivations(Function<String, Optional<FakeRealisation.Derivation>> lookup) {
    state.derivations(lookup);
  }

  /**
   * The next copy fails half way with "No space left on device" although free space looked fine.
   */
  public synchronized FakeHost diskFullOnNextCopy() {
    state.diskFullOnNextCopy();
    return this;
  }

  /**
   * Health checks ({@code systemctl is-system-running}, and GETs of the host's {@link #httpEndpoint
   * HTTP endpoints}, which answer 503) fail on every system but the one running now: the next
   * system deployed is unhealthy, a rollback makes the host healthy again.
   */
  public synchronized FakeHost failHealthChecksOfNewSystems() {
    state.failHealthChecksOfNewSystems();
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
    return FakeHttpAnswer.status(state.healthy() ? status.get() : 503, "");
  }

  /** How many deployments this host confirmed (a confirmation that found its own marker). */
  public synchronized int confirmations() {
    return state.confirmations();
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
    Op op = FakeHostProtocol.classify(argv);
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
      result = op == null ? custom(cmd, stdout) : protocol.run(op, argv, in, stdout, timeout);
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

  private CommandResult custom(FakeCommand cmd, OutputStream stdout) {
    List<FakeCommandHandler> all = new ArrayList<>(handlers);
    all.addAll(fleetHandlers);
    all.addAll(FakeFleet.discoveredHandlers());
    for (FakeCommandHandler h : all) {
      Optional<CommandResult> r = h.handle(this, cmd);
      if (r.isPresent()) {
        commands.set(commands.size() - 1, withOp(cmd, Op.CUSTOM));
        if (stdout != null) {
          FakeHostProtocol.write(stdout, r.get().stdout());
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

  private void doReboot() {
    state.reboot(clock.instant());
    dropAllConnections();
  }

  private synchronized void tick(Instant now) {
    protocol.tick(now);
  }

  @Override
  public synchronized String toString() {
    return "FakeHost{" + name + ", " + state + "}";
  }
}
