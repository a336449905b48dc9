package io.fleet.testkit;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.spi.Services;
import io.fleet.api.spi.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 *   Deployer d = Deployer.builder().transport(fake.transport()).evaluator(fake.evaluator())
 *       .clock(fake.clock(), fake.clock()::sleep).build();
 *   DeploymentReport r = d.execute(d.plan(fake.fleet()).action(DeployAction.SWITCH).build());
 *   FleetAssertions.assertThat(fake.host("worker-1")).isOnGeneration(2).hasNoRollbackMarker();
 * }
 * }</pre>
 *
 * As an extension it (re)starts before each test and registers itself in the test's {@link
 * ExtensionContext.Store}, so JUnit closes it after the test. {@link #close()} may be called more
 * than once.
 */
public final class FakeFleet implements AutoCloseable, BeforeEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(FakeFleet.class);
  private static volatile List<FakeCommandHandler> discovered;

  private final Fleet fleet;
  private final Instant start;
  private final Duration latency;
  private final boolean realLatency;
  private final List<FakeCommandHandler> handlers;
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
    start();
  }

  /** A fake fleet of {@code fleet}'s hosts, with no latency. */
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
     * @throws FleetConfigException if no fleet was given
     */
    public FakeFleet build() {
      if (fleet == null) {
        throw new FleetConfigException("FakeFleet.builder() needs a fleet: call .fleet(fleet)");
      }
      return new FakeFleet(this);
    }
  }
}
