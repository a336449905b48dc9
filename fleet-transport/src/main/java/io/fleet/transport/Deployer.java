package io.fleet.transport;

import io.fleet.api.DeploymentException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.TransportException;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentListener;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.Transport;
import io.fleet.transport.internal.Events;
import io.fleet.transport.internal.HostRevert;
import io.fleet.transport.internal.HostRun;
import io.fleet.transport.internal.HttpFailures;
import io.fleet.transport.internal.PlanSystems;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plans and runs deployments of NixOS systems to a fleet, with automatic rollback.
 *
 * <pre>{@code
 * Deployer deployer = Deployer.builder().transport(transport).evaluator(evaluator).build();
 * DeploymentPlan plan = deployer.plan(fleet)
 *     .select("@web").skip("web-3")
 *     .action(DeployAction.SWITCH)
 *     .canary(1).batchSize(20).parallelism(10)
 *     .healthCheck(HealthCheck.command("systemctl", "is-system-running", "--wait"))
 *     .build();
 * DeploymentReport report = deployer.execute(plan);
 * }</pre>
 *
 * <p>Each host is deployed by the protocol of {@link HostProtocol} on one connection: a one round
 * trip preflight (which also finds the paths the host lacks), the copy of those paths only, arming
 * of the rollback (marker and watchdog timer, after the copy), {@code switch-to-configuration}
 * detached from the SSH session, health checks, and confirmation over a new connection. When
 * activation or a check fails, the deployer rolls the host back at once if it can reach it; if it
 * cannot, the host's watchdog does when the rollback window ends. A happy {@code SWITCH} takes four
 * command round trips plus the copy.
 *
 * <p>With {@link Planner#buildOnTarget(boolean)} the controller only evaluates: each host gets its
 * system's derivation closure and builds the system itself ({@code nix-store --realise}, step
 * {@code BUILD}) before it is armed.
 *
 * <p>Fleet policies come from the plan: parallelism, batches (a canary first), keep going or stop
 * at the first failure, and (opt-in) returning hosts that already succeeded to their previous
 * generation when another fails. Interrupting the thread that calls {@link #execute} cancels: no
 * new host starts, hosts not yet armed stop, hosts armed but not activated are rolled back, hosts
 * being activated finish (confirmed or rolled back); {@code execute} then returns the report with
 * {@link DeploymentReport#cancelled()} set and the thread's interrupt flag set again.
 *
 * <p>A {@code Deployer} is immutable and thread-safe; it does not own the transport or evaluator.
 */
public final class Deployer {
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

  private final Transport transport;
  private final Evaluator evaluator;
  private final List<DeploymentListener> listeners;
  private final Clock clock;
  private final Sleeper sleeper;
  private final HttpProbe http;

  private Deployer(Builder b) {
    this.transport = b.transport;
    this.evaluator = b.evaluator;
    this.listeners = List.copyOf(b.listeners);
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.http = b.http != null ? b.http : defaultProbe();
  }

  /** A builder; {@link Builder#transport} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Waits on the deployer's clock; the default sleeps for real. */
  @FunctionalInterface
  public interface Sleeper {
    /** Waits {@code d}. */
    void sleep(Duration d) throws InterruptedException;
  }

  /** Checks an HTTP health-check URL; the default uses the JDK's {@code HttpClient}. */
  @FunctionalInterface
  public interface HttpProbe {
    /** Whether {@code url} answers a GET with a 2xx status within {@code timeout}. */
    boolean isHealthy(URI url, Duration timeout);

    /**
     * Why {@code url} is not healthy (the status it answered, an unknown host, a refused
     * connection, a timeout), or empty when it answers a 2xx status within {@code timeout}. The
     * report shows this; the default says only that no 2xx came, so override it to say more.
     */
    default Optional<String> problem(URI url, Duration timeout) {
      return isHealthy(url, timeout) ? Optional.empty() : Optional.of("did not answer 2xx");
    }
  }

  /**
   * Starts a plan for {@code fleet}: choose hosts, action and policies, then {@code build()}.
   *
   * @throws FleetConfigException if {@code fleet} is null or invalid ({@link Fleet#validate()},
   *     every problem listed)
   */
  public Planner plan(Fleet fleet) {
    if (fleet == null) {
      throw new FleetConfigException("Deployer.plan needs a fleet; give one");
    }
    return new Planner(fleet.validate());
  }

  /**
   * Fetches {@code host}'s public SSH host key ({@code ssh-ed25519 AAAA…}), the recipient its
   * secrets are encrypted to.
   *
   * @throws TransportException if the host cannot be reached or has no ed25519 host key
   */
  public String fetchHostKey(Host host) {
    try (Connection c = transport.connect(host)) {
      CommandResult r = c.run(HostProtocol.hostKey());
      String line = r.stdoutText().trim();
      if (!r.isSuccess() || !line.startsWith("ssh-ed25519 ")) {
        throw new TransportException(
            host.name(),
            TransportException.Reason.OTHER,
            "host "
                + host.name()
                + " has no ed25519 host key in "
                + HostProtocol.HOST_KEY_PUB
                + ": "
                + r.stderrText().trim());
      }
      return line;
    }
  }

  /**
   * Runs {@code plan} and reports what happened on every host. Never throws for a host's failure:
   * that is in the report.
   */
  public DeploymentReport execute(DeploymentPlan plan) {
    Instant started = clock.instant();
    Events events = new Events(listeners, clock);
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    Map<String, HostReport> reports = new ConcurrentHashMap<>();
    int threads = Math.min(plan.parallelism(), Math.max(1, plan.hosts().size()));
    AtomicInteger n = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "fleet-deploy-" + plan.id() + "-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    HostRun.ClosureCopyFactory copies =
        evaluator != null
            ? HostRun.copies(evaluator)
            : ev -> {
              throw new DeploymentException(
                  "the deployer has no evaluator to export closures with: pass one to the builder");
            };
    boolean interrupted = false;
    try {
      for (int b = 0; b < plan.batches().size(); b++) {
        List<String> batch = plan.batches().get(b);
        Map<String, Future<HostReport>> futures = new LinkedHashMap<>();
        for (String name : batch) {
          if (cancelled.get() || stop.get()) {
            reports.put(name, notStarted(plan, name, cancelled.get(), events));
            continue;
          }
          Host host = plan.host(name);
          futures.put(
              name,
              pool.submit(
                  () -> {
                    if (cancelled.get() || stop.get()) {
                      return notStarted(plan, name, cancelled.get(), events);
                    }
                    HostReport r =
                        new HostRun(
                                plan,
                                host,
                                transport,
                                copies,
                                events,
                                clock,
                                sleeper,
                                http,
                                cancelled::get)
                            .run();
                    if (isFailure(r) && !plan.keepGoing()) {
                      stop.set(true);
                    }
                    return r;
                  }));
        }
        for (Map.Entry<String, Future<HostReport>> e : futures.entrySet()) {
          while (true) {
            try {
              reports.put(e.getKey(), e.getValue().get());
              break;
            } catch (InterruptedException ie) {
              interrupted = true;
              if (!cancelled.getAndSet(true)) {
                events.cancelled();
              }
            } catch (ExecutionException ee) {
              reports.put(
                  e.getKey(),
                  HostReport.builder()
                      .host(e.getKey())
                      .system(plan.systems().get(e.getKey()))
                      .outcome(HostOutcome.FAILED)
                      .error("internal error: " + ee.getCause())
                      .build());
              break;
            }
          }
        }
        boolean batchFailed = batch.stream().map(reports::get).anyMatch(Deployer::isFailure);
        if (batchFailed && (!plan.keepGoing() || (b == 0 && plan.batches().size() > 1))) {
          stop.set(true);
        }
      }
      boolean anyFailed = reports.values().stream().anyMatch(Deployer::isFailure);
      if (anyFailed && plan.rollbackSucceededOnFailure() && !cancelled.get()) {
        revertSucceeded(plan, reports, pool, events);
      }
    } finally {
      pool.shutdownNow();
    }
    List<HostReport> ordered = new ArrayList<>();
    for (Host h : plan.hosts()) {
      ordered.add(reports.get(h.name()));
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return DeploymentReport.builder()
        .deploymentId(plan.id())
        .action(plan.action())
        .startedAt(started)
        .finishedAt(clock.instant())
        .cancelled(cancelled.get())
        .rollback(plan.rollback())
        .hosts(ordered)
        .build();
  }

  private static boolean isFailure(HostReport r) {
    return r != null
        && !r.outcome().isSuccess()
        && r.outcome() != HostOutcome.SKIPPED
        && r.outcome() != HostOutcome.CANCELLED;
  }

  private static HostReport notStarted(
      DeploymentPlan plan, String name, boolean cancelled, Events events) {
    HostOutcome o = cancelled ? HostOutcome.CANCELLED : HostOutcome.SKIPPED;
    String why =
        cancelled
            ? "not started: the deployment was cancelled"
            : "not started: another host failed and the plan stops on failure";
    events.hostFinished(name, o, why);
    return HostReport.builder()
        .host(name)
        .system(plan.systems().get(name))
        .outcome(o)
        .error(why)
        .build();
  }

  private void revertSucceeded(
      DeploymentPlan plan, Map<String, HostReport> reports, ExecutorService pool, Events events) {
    List<String> failed = new ArrayList<>();
    for (HostReport r : reports.values()) {
      if (isFailure(r)) {
        failed.add(r.host());
      }
    }
    Map<String, Future<HostReport>> futures = new LinkedHashMap<>();
    for (HostReport r : reports.values()) {
      if (HostRevert.canRevert(r)) {
        futures.put(
            r.host(),
            pool.submit(() -> revert(plan, r, "reverted because " + failed + " failed", events)));
      }
    }
    for (Map.Entry<String, Future<HostReport>> e : futures.entrySet()) {
      try {
        reports.put(e.getKey(), e.getValue().get());
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException ee) {
        // revert() reports its own failures; keep the confirmed report
      }
    }
  }

  private HostReport revert(DeploymentPlan plan, HostReport r, String why, Events events) {
    HostReport out = HostRevert.revert(plan, r, transport, why);
    events.hostFinished(out.host(), out.outcome(), out.error().orElse(""));
    return out;
  }

  private static HttpProbe defaultProbe() {
    return new JdkHttpProbe();
  }

  /** The default probe: the JDK's {@code HttpClient}, saying why a check failed. */
  private static final class JdkHttpProbe implements HttpProbe {
    @Override
    public boolean isHealthy(URI url, Duration timeout) {
      return problem(url, timeout).isEmpty();
    }

    @Override
    public Optional<String> problem(URI url, Duration timeout) {
      try {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        HttpResponse<Void> resp =
            client.send(
                HttpRequest.newBuilder(url).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        return resp.statusCode() / 100 == 2
            ? Optional.empty()
            : Optional.of("answered HTTP " + resp.statusCode());
      } catch (java.io.IOException e) {
        return Optional.of(HttpFailures.describe(e, url, timeout));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.of("interrupted");
      }
    }

    @Override
    public String toString() {
      return "the JDK's HttpClient";
    }
  }

  /** Makes a {@link DeploymentPlan} for a fleet; get one from {@link Deployer#plan}. */
  public final class Planner {
    private final Fleet fleet;
    private final List<String> selectors = new ArrayList<>();
    private final List<String> skips = new ArrayList<>();
    private final Map<String, String> systems = new HashMap<>();
    private final DeploymentPlan.Builder plan = DeploymentPlan.builder();
    private final List<String> buildOnTarget = new ArrayList<>();
    private DeployAction action = DeployAction.SWITCH;
    private String id;
    private int canary;
    private int batchSize;

    private Planner(Fleet fleet) {
      this.fleet = fleet;
    }

    /** Chooses hosts by name, {@code @tag} or glob; none chosen means every host. */
    public Planner select(String... selectors) {
      this.selectors.addAll(Arrays.asList(selectors));
      return this;
    }

    /** Leaves out hosts chosen by these names, tags or globs. */
    public Planner skip(String... skips) {
      this.skips.addAll(Arrays.asList(skips));
      return this;
    }

    /** The action; {@link DeployAction#SWITCH} unless set. */
    public Planner action(DeployAction action) {
      this.action = Objects.requireNonNull(action, "action");
      return this;
    }

    /**
     * The system path to deploy to {@code host}, instead of the host's {@link Host#systemPath()} or
     * a build by the evaluator.
     */
    public Planner system(String host, String systemPath) {
      systems.put(host, systemPath);
      return this;
    }

    /** System paths per host; see {@link #system}. */
    public Planner systems(Map<String, String> systems) {
      this.systems.putAll(systems);
      return this;
    }

    /** The deployment id (letters, digits, {@code . _ -}); generated unless set. */
    public Planner id(String id) {
      this.id = id;
      return this;
    }

    /** Deploys the first {@code n} hosts as a canary batch before any other. */
    public Planner canary(int n) {
      this.canary = n;
      return this;
    }

    /** Splits the hosts after the canary into batches of {@code n} (0: one batch). */
    public Planner batchSize(int n) {
      this.batchSize = n;
      return this;
    }

    /** How many hosts to deploy at the same time. */
    public Planner parallelism(int n) {
      plan.parallelism(n);
      return this;
    }

    /** Keep deploying other hosts after one fails (a failed canary still stops the rest). */
    public Planner keepGoing(boolean keepGoing) {
      plan.keepGoing(keepGoing);
      return this;
    }

    /**
     * Whether a host that fails after the copy is rolled back (default true). {@code false} is the
     * original's {@code --disable-rollback}: no watchdog stays armed, and a failed activation or
     * health check leaves the host on the new generation, reported as failed.
     */
    public Planner rollback(boolean rollback) {
      plan.rollback(rollback);
      return this;
    }

    /**
     * Whether the copy is compressed with zstd on the wire (default false), for slow links: the
     * controller compresses, the host runs {@code zstd -d | nix-store --import}. A host whose
     * preflight shows no {@code zstd} gets the uncompressed stream (a progress event and {@code
     * HostReport.compressed()} say so).
     */
    public Planner compress(boolean compress) {
      plan.compress(compress);
      return this;
    }

    /**
     * Whether every chosen host builds its own system (default false): the controller only
     * evaluates. The plan then carries each host's system derivation ({@code
     * DeploymentPlan.derivations()}) and the derivation's closure instead of the built system's;
     * the deployer copies what the host lacks of it, runs {@code nix-store --realise} on the host
     * ({@code DeployStep.BUILD}), checks the output is the planned system, then arms and activates
     * as usual ({@code UPLOAD} stops after the build, leaving the built system on the host). A
     * failed build ends the host {@code FAILED} with the build's output, nothing armed. Needs an
     * evaluator that gives derivations ({@code NixEvaluator}); a host given a system path with
     * {@link #system} cannot also be built on the target.
     */
    public Planner buildOnTarget(boolean all) {
      buildOnTarget.clear();
      if (all) {
        buildOnTarget.add("@all");
      }
      return this;
    }

    /**
     * Builds on the target only the chosen hosts that these names, {@code @tags} or globs select;
     * the others are built on the controller (or by its remote builders) as usual. Per plan rather
     * than a setting of the host, because where a system is built is a decision of the deployment
     * (this controller, these links), not part of the host's configuration.
     */
    public Planner buildOnTarget(String... selectors) {
      buildOnTarget.addAll(Arrays.asList(selectors));
      return this;
    }

    /** Return hosts that already succeeded to their previous generation when another fails. */
    public Planner rollbackSucceededOnFailure(boolean rollback) {
      plan.rollbackSucceededOnFailure(rollback);
      return this;
    }

    /** Let hosts fetch missing paths from their own binary caches before the copy. */
    public Planner substituteOnHost(boolean substitute) {
      plan.substituteOnHost(substitute);
      return this;
    }

    /** The most one host may take; past it the host is rolled back. */
    public Planner hostTimeout(Duration d) {
      plan.hostTimeout(d);
      return this;
    }

    /** The most one command may take. */
    public Planner commandTimeout(Duration d) {
      plan.commandTimeout(d);
      return this;
    }

    /** The most {@code switch-to-configuration} may take. */
    public Planner activationTimeout(Duration d) {
      plan.activationTimeout(d);
      return this;
    }

    /** How long the watchdog waits for confirmation before rolling a host back. */
    public Planner rollbackWindow(Duration d) {
      plan.rollbackWindow(d);
      return this;
    }

    /** How long to keep trying to reach a host whose connection was lost. */
    public Planner reconnectTimeout(Duration d) {
      plan.reconnectTimeout(d);
      return this;
    }

    /** Adds a health check, run after activation and before confirmation. */
    public Planner healthCheck(HealthCheck check) {
      plan.addHealthChecks(check);
      return this;
    }

    /**
     * The plan: selects the hosts, finds each one's system (given, the host's own, or one batched
     * build by the evaluator), and the closures of those systems (one evaluator call).
     *
     * @throws FleetConfigException if no host is chosen, a name is unknown, or the plan is invalid
     * @throws DeploymentException if systems are missing and there is no evaluator to build them
     */
    public DeploymentPlan build() {
      List<Host> hosts = fleet.select(selectors, skips);
      if (hosts.isEmpty()) {
        throw new FleetConfigException(
            "no host of fleet "
                + Names.quote(fleet.name())
                + " is chosen by "
                + (selectors.isEmpty() ? "(all)" : selectors)
                + (skips.isEmpty() ? "" : " minus " + skips));
      }
      PlanSystems.Resolved r =
          new PlanSystems(fleet, evaluator).resolve(hosts, systems, buildOnTarget);
      List<String> names = new ArrayList<>();
      hosts.forEach(h -> names.add(h.name()));
      return plan.id(id != null ? id : newId())
          .action(action)
          .hosts(hosts)
          .systems(r.systems())
          .closures(r.closures())
          .derivations(r.derivations())
          .batches(batches(names))
          .build();
    }

    private List<List<String>> batches(List<String> names) {
      List<List<String>> out = new ArrayList<>();
      int i = 0;
      if (canary > 0 && canary < names.size()) {
        out.add(List.copyOf(names.subList(0, canary)));
        i = canary;
      }
      int size = batchSize > 0 ? batchSize : names.size();
      while (i < names.size()) {
        int end = Math.min(names.size(), i + size);
        out.add(List.copyOf(names.subList(i, end)));
        i = end;
      }
      return out;
    }
  }

  private String newId() {
    return "deploy-"
        + ID_TIME.format(clock.instant())
        + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000000) | 0x1000000)
            .substring(1);
  }

  /** What this deployer is: its transport and evaluator. */
  @Override
  public String toString() {
    return "Deployer{transport "
        + transport
        + ", evaluator "
        + (evaluator == null ? "none" : evaluator.toString())
        + ", "
        + listeners.size()
        + " listener(s)}";
  }

  /** Builds a {@link Deployer}. */
  public static final class Builder {
    private Transport transport;
    private Evaluator evaluator;
    private final List<DeploymentListener> listeners = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = d -> Thread.sleep(d.toMillis());
    private HttpProbe http;

    private Builder() {}

    /** The transport to the hosts (required). */
    public Builder transport(Transport transport) {
      this.transport = transport;
      return this;
    }

    /** The evaluator that builds systems, describes closures and exports paths. */
    public Builder evaluator(Evaluator evaluator) {
      this.evaluator = evaluator;
      return this;
    }

    /** Adds a listener for every step's events. */
    public Builder listener(DeploymentListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Adds listeners. */
    public Builder listeners(Collection<DeploymentListener> listeners) {
      listeners.forEach(this::listener);
      return this;
    }

    /**
     * The clock for timings, deadlines and waits, and how to wait on it. Tests pass a virtual clock
     * ({@code fakeFleet.clock(), fakeFleet.clock()::sleep}); the default is the system clock.
     */
    public Builder clock(Clock clock, Sleeper sleeper) {
      this.clock = Objects.requireNonNull(clock, "clock");
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** How HTTP health checks are fetched; the default uses the JDK's {@code HttpClient}. */
    public Builder httpProbe(HttpProbe probe) {
      this.http = probe;
      return this;
    }

    /**
     * The deployer.
     *
     * @throws FleetConfigException if no transport was given
     */
    public Deployer build() {
      if (transport == null) {
        throw new FleetConfigException(
            "Deployer.builder() needs a transport: call .transport(new SshTransport(...)) or pass a"
                + " fake fleet's transport");
      }
      return new Deployer(this);
    }
  }
}
