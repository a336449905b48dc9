package io.fleet.testkit;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.data.FleetDataStore;
import io.fleet.api.spi.ComponentWiring;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.Services;
import io.fleet.api.spi.Transport;
import io.fleet.api.spi.WiringContext;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fleet of {@link FakeHost}s with a {@link FakeEvaluator} and a {@link FakeTransport} to them, on
 * one {@link FakeClock}. Every host of the given {@link Fleet} becomes a fake host running
 * generation 1 (the evaluator's version 1 of its system); the evaluator builds version 2.
 *
 * <p>Usable from any code ({@code try (FakeFleet f = FakeFleet.of(fleet)) {…}}) and as a JUnit 5
 * extension:
 *
 * <pre>{@code
 * @RegisterExtension final FakeFleet fake = FakeFleet.of(SeedFleet.build());
 *
 * @Test void deploys() {
 *   Deployer d = fake.deployer();   // wired to the fake hosts, evaluator, clock and HTTP endpoints
 *   DeploymentReport r = d.execute(d.plan(fake.fleet()).action(DeployAction.SWITCH).build());
 *   FleetAssertions.assertThat(fake.host("worker-1")).isOnGeneration(2).wasConfirmed();
 *   FleetAssertions.assertThat(fake).allOnNewSystem();
 * }
 * }</pre>
 *
 * <p>{@link #deployer()} and {@link #rotation} hand out a {@code io.fleet.transport.Deployer} and a
 * {@code io.fleet.secrets.SecretRotation} ready wired. The testkit depends on fleet-api only (so
 * that fleet-transport and fleet-secrets can test with it), so it finds them through the {@link
 * ComponentWiring} SPI: put fleet-transport or fleet-secrets on the class path, and declare the
 * variable's type ({@code Deployer d = fake.deployer();}) or use {@link #wired(Class)}.
 *
 * <p>As an extension it (re)starts before each test and registers itself in the test's {@link
 * ExtensionContext.Store}, so JUnit closes it after the test. {@link #close()} may be called more
 * than once.
 */
public final class FakeFleet implements AutoCloseable, BeforeEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(FakeFleet.class);
  private static volatile List<FakeCommandHandler> discovered;
  private static volatile List<ComponentWiring<?>> wirings;

  private final Fleet fleet;
  private final Instant start;
  private final Duration latency;
  private final boolean realLatency;
  private final List<FakeCommandHandler> handlers;
  private final Evaluator deployEvaluator;
  private FakeClock clock;
  private FakeEvaluator evaluator;
  private Map<String, FakeHost> hosts;
  private FakeTransport transport;
  private boolean closed = true;

  private FakeFleet(Builder b) {
    this.fleet = b.fleet;
    this.start = b.start;
    this.latency = b.latency;
    this.realLatency = b.realLatency;
    this.handlers = List.copyOf(b.handlers);
    this.deployEvaluator = b.evaluator;
    start();
  }

  /**
   * A fake fleet of {@code fleet}'s hosts, with no latency.
   *
   * @throws FleetConfigException if {@code fleet} is null or invalid ({@link Fleet#validate()},
   *     every problem listed; a host named {@code web 4} is refused as a real fleet refuses it)
   */
  public static FakeFleet of(Fleet fleet) {
    return builder().fleet(fleet).build();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  private synchronized void start() {
    clock = new FakeClock(start);
    evaluator = new FakeEvaluator(fleet);
    hosts = new LinkedHashMap<>();
    for (Host h : fleet.hosts().values()) {
      String system = evaluator.systemPath(h.name(), 1);
      FakeHost fake =
          new FakeHost(h.name(), clock, system, evaluator.closure(List.of(system)), handlers);
      fake.derivations(evaluator::derivation);
      if (realLatency) {
        fake.realLatency(latency);
      } else {
        fake.latency(latency);
      }
      hosts.put(h.name(), fake);
    }
    transport = new FakeTransport(hosts.values());
    closed = false;
  }

  /** The fleet. */
  public Fleet fleet() {
    return fleet;
  }

  /** The fake host named {@code name}. */
  public synchronized FakeHost host(String name) {
    FakeHost h = hosts.get(name);
    if (h == null) {
      throw new FleetConfigException(
          "the fake fleet has no host " + Names.quote(name) + "; it has " + hosts.keySet());
    }
    return h;
  }

  /** Every fake host, in name order. */
  public synchronized List<FakeHost> hosts() {
    return new ArrayList<>(hosts.values());
  }

  /** The fake evaluator. */
  public synchronized FakeEvaluator evaluator() {
    return evaluator;
  }

  /** The transport to the fake hosts. */
  public synchronized Transport transport() {
    return transport;
  }

  /** The virtual clock of every host. */
  public synchronized FakeClock clock() {
    return clock;
  }

  /** The system path the evaluator builds now for {@code host} (what a deployment installs). */
  public synchronized String newSystem(String host) {
    host(host);
    return evaluator.systemPath(host, evaluator.version(host));
  }

  /** The system path {@code host} started with (generation 1). */
  public synchronized String initialSystem(String host) {
    host(host);
    return evaluator.systemPath(host, 1);
  }

  /**
   * A {@code io.fleet.transport.Deployer} wired to this fake fleet: its transport, the evaluator
   * ({@link #evaluator()}, or the one given to {@link Builder#evaluator}), the virtual clock (waits
   * advance it) and the hosts' {@link FakeHost#httpEndpoint HTTP endpoints} for HTTP health checks.
   * Declare the type where you keep it: {@code Deployer deployer = fake.deployer();}.
   *
   * @param <D> {@code io.fleet.transport.Deployer}
   * @throws io.fleet.api.FleetException if fleet-transport is not on the class path
   */
  @SuppressWarnings("unchecked")
  public <D> D deployer() {
    return (D) wire("io.fleet.transport.Deployer", "fleet-transport", null);
  }

  /**
   * A {@code io.fleet.secrets.SecretRotation} of this fleet's secrets, kept in {@code store}, wired
   * to the fake hosts (to fetch their keys, run generators and re-encrypt on them) and the virtual
   * clock. Declare the type: {@code SecretRotation rotation = fake.rotation(store);}.
   *
   * @param <R> {@code io.fleet.secrets.SecretRotation}
   * @throws FleetConfigException if {@code store} is null
   * @throws io.fleet.api.FleetException if fleet-secrets is not on the class path
   */
  @SuppressWarnings("unchecked")
  public <R> R rotation(FleetDataStore store) {
    if (store == null) {
      throw new FleetConfigException(
          "FakeFleet.rotation needs the store of the fleet data: pass one, such as"
              + " JsonFleetDataStore.at(path)");
    }
    return (R) wire("io.fleet.secrets.SecretRotation", "fleet-secrets", store);
  }

  /**
   * A component of type {@code type} wired to this fake fleet, as {@link #deployer()} and {@link
   * #rotation} are: {@code fake.wired(Deployer.class).plan(fleet)}. Components that need a store
   * get none; use {@link #rotation} for a secret rotation.
   *
   * @throws io.fleet.api.FleetException if no {@link ComponentWiring} makes {@code type}
   */
  public <T> T wired(Class<T> type) {
    return type.cast(wire(type.getName(), "the module of " + type.getName(), null));
  }

  private Object wire(String type, String module, FleetDataStore store) {
    for (ComponentWiring<?> w : discoveredWirings()) {
      if (w.type().getName().equals(type)) {
        return w.wire(new Context(store));
      }
    }
    throw new io.fleet.api.FleetException(
        "no wiring for "
            + type
            + " found: put "
            + module
            + " on the class path (it registers an io.fleet.api.spi.ComponentWiring)");
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static List<ComponentWiring<?>> discoveredWirings() {
    List<ComponentWiring<?>> w = wirings;
    if (w == null) {
      List<ComponentWiring> raw = Services.discoverAll(ComponentWiring.class);
      w = List.copyOf((List) raw);
      wirings = w;
    }
    return w;
  }

  /**
   * What a GET of {@code url} gets from the fake hosts: empty when the host (found by its deploy
   * address or name) serves the path with a 2xx status, otherwise why not: an unknown host, a host
   * that is down, a path it does not serve, or the status it answered. {@link #deployer()}'s HTTP
   * health checks go through this.
   */
  public Optional<String> httpProblem(URI url, Duration timeout) {
    String hostName = url.getHost();
    if (hostName != null && hostName.startsWith("[") && hostName.endsWith("]")) {
      hostName = hostName.substring(1, hostName.length() - 1);
    }
    FakeHost target = null;
    synchronized (this) {
      for (Host h : fleet.hosts().values()) {
        if (h.deployTarget().address().equals(hostName) || h.name().equals(hostName)) {
          target = hosts.get(h.name());
          break;
        }
      }
    }
    if (target == null) {
      return Optional.of(
          "unknown host "
              + hostName
              + ": no fake host has that address (they are "
              + fleet.hosts().keySet()
              + ")");
    }
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    FakeHttpAnswer a = target.httpGet(path);
    if (a.status < 0) {
      return Optional.of(a.detail);
    }
    if (a.status / 100 == 2) {
      return Optional.empty();
    }
    return Optional.of("answered HTTP " + a.status + (a.detail.isEmpty() ? "" : ": " + a.detail));
  }

  /** The parts {@link #deployer()} and {@link #rotation} are wired from. */
  private final class Context implements WiringContext {
    private final FleetDataStore store;

    Context(FleetDataStore store) {
      this.store = store;
    }

    @Override
    public Fleet fleet() {
      return fleet;
    }

    @Override
    public Transport transport() {
      return FakeFleet.this.transport();
    }

    @Override
    public Optional<Evaluator> evaluator() {
      return Optional.of(deployEvaluator != null ? deployEvaluator : FakeFleet.this.evaluator());
    }

    @Override
    public Clock clock() {
      return FakeFleet.this.clock();
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
      FakeFleet.this.clock().sleep(d);
    }

    @Override
    public Optional<String> httpProblem(URI url, Duration timeout) {
      return FakeFleet.this.httpProblem(url, timeout);
    }

    @Override
    public Optional<FleetDataStore> store() {
      return Optional.ofNullable(store);
    }

    @Override
    public String toString() {
      return FakeFleet.this.toString();
    }
  }

  /** What this is: the fleet's name, its fake hosts and the virtual time. */
  @Override
  public synchronized String toString() {
    List<String> names = new ArrayList<>(hosts.keySet());
    String shown =
        names.size() <= 8
            ? names.toString()
            : names.subList(0, 8).toString().replace("]", ", … " + (names.size() - 8) + " more]");
    return "FakeFleet{fleet "
        + Names.quote(fleet.name())
        + ", "
        + names.size()
        + " fake host"
        + (names.size() == 1 ? "" : "s")
        + " "
        + shown
        + ", clock at "
        + clock.instant()
        + (closed ? ", closed" : "")
        + "}";
  }

  /** The handlers registered with {@code ServiceLoader} (found once). */
  static List<FakeCommandHandler> discoveredHandlers() {
    List<FakeCommandHandler> d = discovered;
    if (d == null) {
      d = List.copyOf(Services.discoverAll(FakeCommandHandler.class));
      discovered = d;
    }
    return d;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    synchronized (this) {
      if (closed) {
        start();
      }
    }
    AutoCloseable closer = this::close;
    context.getStore(NAMESPACE).put("fake-fleet-" + System.identityHashCode(this), closer);
  }

  /** Closes the transport; hosts keep their state for verification. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      transport.close();
    }
  }

  /** Builds a {@link FakeFleet}. */
  public static final class Builder {
    private Fleet fleet;
    private Instant start = Instant.parse("2026-01-01T00:00:00Z");
    private Duration latency = Duration.ZERO;
    private boolean realLatency;
    private final List<FakeCommandHandler> handlers = new ArrayList<>();
    private Evaluator evaluator;

    private Builder() {}

    /** The fleet whose hosts to fake (required). */
    public Builder fleet(Fleet fleet) {
      this.fleet = fleet;
      return this;
    }

    /** Where the virtual clock starts. */
    public Builder startingAt(Instant start) {
      this.start = start;
      return this;
    }

    /** Latency per command on the virtual clock (accounted per host, never slept). */
    public Builder latency(Duration latency) {
      this.latency = latency;
      this.realLatency = false;
      return this;
    }

    /** Latency per command in real time (the hosts sleep): for benchmarks. */
    public Builder realLatency(Duration latency) {
      this.latency = latency;
      this.realLatency = true;
      return this;
    }

    /**
     * The evaluator {@link FakeFleet#deployer()} builds systems with and copies closures from,
     * instead of the fake one: for example a real {@code NixEvaluator}, so a system built by the
     * real nix is deployed to the fake hosts (they accept a real {@code nix-store --export}
     * stream). The hosts still start on the fake evaluator's version 1.
     */
    public Builder evaluator(Evaluator evaluator) {
      this.evaluator = evaluator;
      return this;
    }

    /** Teaches every host of the fleet a command; see {@link FakeCommandHandler}. */
    public Builder handler(FakeCommandHandler handler) {
      handlers.add(handler);
      return this;
    }

    /** Teaches every host of the fleet these commands. */
    public Builder handlers(Collection<FakeCommandHandler> handlers) {
      this.handlers.addAll(handlers);
      return this;
    }

    /**
     * The fake fleet.
     *
     * @throws FleetConfigException if no fleet was given, or it is invalid ({@link
     *     Fleet#validate()}, every problem listed)
     */
    public FakeFleet build() {
      if (fleet == null) {
        throw new FleetConfigException("FakeFleet.builder() needs a fleet: call .fleet(fleet)");
      }
      fleet.validate();
      return new FakeFleet(this);
    }
  }
}
