package io.fleet.testkit;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.EvaluationSink;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.api.spi.SystemDerivation;
import io.fleet.testkit.internal.FakeNar;
import io.fleet.testkit.internal.FakeRealisation;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link Evaluator} over a fake Nix store. Each host has numbered versions of its system; a
 * version's closure is a handful of base packages shared by every host plus three paths of its own
 * ({@code etc}, {@code units}, the system), with small NAR sizes. Hosts of a {@link FakeFleet}
 * start on version 1; {@link #build} returns each host's current version (2 unless {@link
 * #bumpSystem} was called), so a deployment copies that host's three new paths. {@link #export}
 * writes the format fake hosts' {@code nix-store --import} reads.
 *
 * <p>By default everything is instant. For pipelines and benchmarks it can be told to take real
 * time and to fail, per host: {@link #evaluationDelay} with {@link #evaluationWorkers} (hosts are
 * then delivered one by one to {@link #evaluate(String, String, EvaluationSink)}'s sink), {@link
 * #buildDelay} with {@link #buildJobs} (the build capacity of the machine, shared by concurrent
 * {@link #build} calls), {@link #exportBandwidth}, {@link #failEvaluation}, {@link #failBuild}, and
 * {@link #sameSystem} for hosts that build one system. Waits are real sleeps ({@link
 * Thread#sleep}), and an interrupted wait ends the call with an {@link EvaluationException}.
 */
public final class FakeEvaluator implements Evaluator {
  private static final String BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";
  private static final String[][] BASE = {
    {"glibc-2.40", "16384"},
    {"bash-5.2p37", "8192"},
    {"coreutils-9.5", "12288"},
    {"systemd-256.8", "24576"},
    {"nix-2.24.10", "20480"},
  };

  private final Fleet fleet;
  private final Map<String, StorePathInfo> universe = new ConcurrentHashMap<>();
  private final Map<String, Integer> versions = new ConcurrentHashMap<>();
  private final List<String> basePaths = new ArrayList<>();
  private final Map<String, String> systems = new ConcurrentHashMap<>();
  private final List<String> builds = new ArrayList<>();
  private final Map<String, String> outputOf = new ConcurrentHashMap<>();
  private final List<String> derivationRequests = new ArrayList<>();
  private final Map<String, Duration> evaluationDelays = new ConcurrentHashMap<>();
  private final Map<String, Duration> buildDelays = new ConcurrentHashMap<>();
  private final Set<String> failingEvaluations = ConcurrentHashMap.newKeySet();
  private final Set<String> failingBuilds = ConcurrentHashMap.newKeySet();
  private final Map<String, String> systemOwners = new ConcurrentHashMap<>();
  private final AtomicInteger building = new AtomicInteger();
  private final AtomicInteger peakBuilding = new AtomicInteger();
  private volatile Duration evaluationDelay = Duration.ZERO;
  private volatile Duration buildDelay = Duration.ZERO;
  private volatile int evaluationWorkers = 1;
  private volatile Semaphore buildSlots;
  private volatile int buildJobs;
  private volatile long exportBandwidth;

  /** An evaluator for {@code fleet}: {@link #evaluate} returns it. */
  public FakeEvaluator(Fleet fleet) {
    this.fleet = fleet;
    String glibc = storePath(BASE[0][0]);
    for (String[] b : BASE) {
      String p = storePath(b[0]);
      basePaths.add(p);
      Set<String> refs = new HashSet<>();
      refs.add(p.equals(glibc) ? p : glibc);
      universe.put(
          p,
          StorePathInfo.builder().path(p).narSize(Long.parseLong(b[1])).references(refs).build());
    }
  }

  /** The fleet this evaluator evaluates to. */
  public Fleet fleet() {
    return fleet;
  }

  /** A syntactically valid store path for {@code name}, with a hash derived from the name. */
  public static String storePath(String name) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      StringBuilder h = new StringBuilder();
      for (int i = 0; i < 32; i++) {
        h.append(BASE32.charAt((d[i] & 0xff) % 32));
      }
      StringBuilder safe = new StringBuilder();
      for (char c : name.toCharArray()) {
        safe.append(Character.isLetterOrDigit(c) && c < 128 || "+-._?=".indexOf(c) >= 0 ? c : '_');
      }
      return "/nix/store/" + h + "-" + safe;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The system path of version {@code version} of {@code host}'s system (made on first use). */
  public String systemPath(String host, int version) {
    String tag = host + "-" + version;
    String known = systems.get(tag);
    if (known != null) {
      return known;
    }
    String system = storePath("nixos-system-" + tag);
    String etc = storePath("etc-" + tag);
    String units = storePath("system-units-" + tag);
    Set<String> etcRefs = new HashSet<>(basePaths.subList(0, 3));
    put(etc, 2048 + host.length(), etcRefs);
    Set<String> unitRefs = new HashSet<>(basePaths);
    put(units, 4096, unitRefs);
    Set<String> sysRefs = new HashSet<>(basePaths);
    sysRefs.add(etc);
    sysRefs.add(units);
    put(system, 1024, sysRefs);
    systems.put(tag, system);
    return system;
  }

  private void put(String path, long size, Set<String> refs) {
    universe.put(path, StorePathInfo.builder().path(path).narSize(size).references(refs).build());
  }

  /** The version {@link #build} returns for {@code host}: 2 unless bumped. */
  public int version(String host) {
    return versions.getOrDefault(host, 2);
  }

  /** Makes {@code host}'s next build a new version; returns its system path. */
  public String bumpSystem(String host) {
    int v = versions.merge(host, 3, (a, b) -> a + 1);
    return systemPath(host, v);
  }

  /** Adds a path to the fake store (for tests of unusual closures). */
  public void addPath(StorePathInfo info) {
    universe.put(info.path(), info);
  }

  /** The hosts built so far, one entry per {@link #build} call, for verification. */
  public synchronized List<String> builds() {
    return List.copyOf(builds);
  }

  /**
   * Each host's evaluation takes {@code perHost} of real time (default none); with {@link
   * #evaluationWorkers} hosts are evaluated that many at a time.
   */
  public FakeEvaluator evaluationDelay(Duration perHost) {
    this.evaluationDelay = nonNegative(perHost, "evaluation delay");
    return this;
  }

  /**
   * {@code host}'s evaluation takes {@code d}, whatever {@link #evaluationDelay(Duration)} says.
   */
  public FakeEvaluator evaluationDelay(String host, Duration d) {
    evaluationDelays.put(known(host), nonNegative(d, "evaluation delay"));
    return this;
  }

  /** How many hosts are evaluated at the same time (default 1), as a pool of nix processes. */
  public FakeEvaluator evaluationWorkers(int n) {
    if (n < 1) {
      throw new FleetConfigException("evaluation workers " + n + " is less than 1");
    }
    this.evaluationWorkers = n;
    return this;
  }

  /** Each system's build takes {@code perSystem} of real time (default none). */
  public FakeEvaluator buildDelay(Duration perSystem) {
    this.buildDelay = nonNegative(perSystem, "build delay");
    return this;
  }

  /** The build of {@code host}'s system takes {@code d}. */
  public FakeEvaluator buildDelay(String host, Duration d) {
    buildDelays.put(known(host), nonNegative(d, "build delay"));
    return this;
  }

  /**
   * How many systems may build at the same time across all {@link #build} calls (the machine's
   * build capacity, as nix's {@code max-jobs}); default unbounded. One call builds its systems in
   * parallel up to this bound.
   */
  public FakeEvaluator buildJobs(int n) {
    if (n < 1) {
      throw new FleetConfigException("build jobs " + n + " is less than 1");
    }
    this.buildSlots = new Semaphore(n, true);
    this.buildJobs = n;
    return this;
  }

  /**
   * The copy of a closure ({@link #export}) takes its NAR bytes divided by {@code bytesPerSecond}
   * of real time, as a slow link would (0, the default: instant).
   */
  public FakeEvaluator exportBandwidth(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new FleetConfigException("export bandwidth " + bytesPerSecond + " is negative");
    }
    this.exportBandwidth = bytesPerSecond;
    return this;
  }

  /**
   * Makes the evaluation of {@code host} fail (after its delay): the sink gets its failure, the
   * others evaluate, and {@code evaluate} then throws an {@link EvaluationException} naming it.
   */
  public FakeEvaluator failEvaluation(String host) {
    failingEvaluations.add(known(host));
    return this;
  }

  /**
   * Makes any {@link #build} that includes {@code host} fail, after its delay, with an {@link
   * EvaluationException} naming the host (as one {@code nix build} of several fails as a whole).
   */
  public FakeEvaluator failBuild(String host) {
    failingBuilds.add(known(host));
    return this;
  }

  /**
   * Makes {@code hosts} build and run one system, the first host's: they have the same {@link
   * #systemDerivation} and {@link #build} returns the same path for each.
   */
  public FakeEvaluator sameSystem(String... hosts) {
    if (hosts.length < 2) {
      throw new FleetConfigException("sameSystem needs at least two hosts");
    }
    for (String h : hosts) {
      systemOwners.put(known(h), hosts[0]);
    }
    return this;
  }

  /** The most systems that were building at the same time so far, for verification. */
  public int peakConcurrentBuilds() {
    return peakBuilding.get();
  }

  /**
   * Returns the fleet given to the constructor, whatever the arguments; with {@link
   * #evaluationDelay} or {@link #failEvaluation}, after evaluating as {@link #evaluate(String,
   * String, EvaluationSink)} does.
   */
  @Override
  public Fleet evaluate(String flakeRef, String configuration) {
    if (isInstant()) {
      return fleet;
    }
    return evaluate(flakeRef, configuration, EvaluationSink.NONE);
  }

  /**
   * Delivers the fleet-level part, then each host after its {@link #evaluationDelay}, {@link
   * #evaluationWorkers} at a time (hosts in name order), or its failure; returns the fleet.
   *
   * @throws EvaluationException once every host is delivered, naming the hosts that {@link
   *     #failEvaluation} made fail; or when interrupted
   */
  @Override
  public Fleet evaluate(String flakeRef, String configuration, EvaluationSink sink) {
    if (sink == null) {
      throw new FleetConfigException(
          "FakeEvaluator.evaluate needs a sink: pass EvaluationSink.NONE to ignore the pieces");
    }
    List<String> names = new ArrayList<>(fleet.hosts().keySet());
    quietly(() -> sink.fleetEvaluated(fleet.withoutHosts(), names));
    java.util.concurrent.ConcurrentLinkedQueue<String> todo =
        new java.util.concurrent.ConcurrentLinkedQueue<>(names);
    List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
    Runnable worker =
        () -> {
          for (String next = todo.poll(); next != null; next = todo.poll()) {
            String h = next;
            sleep(evaluationDelays.getOrDefault(h, evaluationDelay), "evaluating " + h);
            if (failingEvaluations.contains(h)) {
              failed.add(h);
              EvaluationException e = evaluationFailure(h);
              quietly(() -> sink.hostFailed(h, e));
            } else {
              Host host = fleet.hosts().get(h);
              quietly(() -> sink.hostEvaluated(host));
            }
          }
        };
    runOnWorkers(worker, Math.min(evaluationWorkers, Math.max(1, names.size())), "evaluating");
    if (!failed.isEmpty()) {
      List<String> sorted = failed.stream().sorted().toList();
      EvaluationException first = evaluationFailure(sorted.get(0));
      throw new EvaluationException(
          sorted.size() == 1
              ? first.getMessage()
              : "fake evaluation failed in hosts " + sorted + " (the others evaluated)",
          first.command(),
          1,
          first.stderr(),
          sorted.get(0));
    }
    return fleet;
  }

  /**
   * The fake derivation of {@code host}'s system: one per distinct system ({@link #sameSystem}).
   */
  @Override
  public Optional<String> systemDerivation(Host host) {
    if (!fleet.hosts().containsKey(host.name())) {
      return Optional.empty();
    }
    String owner = systemOwners.getOrDefault(host.name(), host.name());
    return Optional.of(derivationPath(owner, version(owner)));
  }

  private boolean isInstant() {
    return evaluationDelay.isZero() && evaluationDelays.isEmpty() && failingEvaluations.isEmpty();
  }

  private EvaluationException evaluationFailure(String host) {
    return new EvaluationException(
        "fake evaluation of host " + Names.quote(host) + " failed (told to by failEvaluation)",
        List.of("fake-nix", "eval"),
        1,
        "error: fake failure in host " + host,
        host);
  }

  /** Runs {@code worker} on {@code n} threads (the caller's when 1) and waits for them. */
  private static void runOnWorkers(Runnable worker, int n, String what) {
    if (n == 1) {
      worker.run();
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "fake-nix-" + what);
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        running.add(pool.submit(worker));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EvaluationException("fake nix: interrupted while " + what, List.of("fake-nix"), e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static void sleep(Duration d, String what) {
    if (d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EvaluationException("fake nix: interrupted while " + what, List.of("fake-nix"), e);
    }
  }

  private static void quietly(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException ignored) {
      // A sink's failure is not the evaluation's (EvaluationSink's contract).
    }
  }

  private String known(String host) {
    if (host == null || !fleet.hosts().containsKey(host)) {
      throw new FleetConfigException(
          "fake evaluator: fleet "
              + Names.quote(fleet.name())
              + " has no host "
              + Names.quote(String.valueOf(host))
              + "; it has "
              + fleet.hosts().keySet());
    }
    return host;
  }

  private static Duration nonNegative(Duration d, String what) {
    if (d == null || d.isNegative()) {
      throw new FleetConfigException(what + " " + d + " must be zero or more");
    }
    return d;
  }

  /**
   * Returns each host's current system ({@link #version}); with {@link #buildDelay}, each distinct
   * system takes its delay, up to {@link #buildJobs} at a time.
   *
   * @throws EvaluationException if a host is not in {@code fleet}, a host was made to fail by
   *     {@link #failBuild}, or the build is interrupted
   */
  @Override
  public Map<String, String> build(Fleet fleet, Collection<String> hosts, BuildListener listener) {
    BuildListener progress = listener == null ? BuildListener.NONE : listener;
    Map<String, String> out = new LinkedHashMap<>();
    Map<String, List<String>> bySystem = new LinkedHashMap<>();
    for (String h : hosts) {
      if (!fleet.hosts().containsKey(h)) {
        throw new EvaluationException(
            "fake build: fleet has no host " + Names.quote(h),
            List.of("fake-nix", "build"),
            1,
            "",
            h);
      }
      String owner = systemOwners.getOrDefault(h, h);
      bySystem.computeIfAbsent(owner, k -> new ArrayList<>()).add(h);
    }
    synchronized (this) {
      builds.add(String.join(",", hosts));
    }
    java.util.concurrent.ConcurrentLinkedQueue<String> todo =
        new java.util.concurrent.ConcurrentLinkedQueue<>(bySystem.keySet());
    AtomicInteger done = new AtomicInteger();
    List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
    Semaphore slots = buildSlots;
    Runnable worker =
        () -> {
          for (String owner = todo.poll(); owner != null; owner = todo.poll()) {
            buildOne(owner, slots);
            List<String> of = bySystem.get(owner);
            of.stream().filter(failingBuilds::contains).forEach(failed::add);
            int n = done.addAndGet(of.size());
            progress.progress(n, hosts.size(), "built " + String.join(", ", of));
          }
        };
    int threads = slots == null ? bySystem.size() : Math.min(bySystem.size(), buildJobs);
    runOnWorkers(worker, Math.max(1, threads), "building");
    if (!failed.isEmpty()) {
      String h = failed.stream().sorted().findFirst().orElseThrow();
      throw new EvaluationException(
          "fake build of the system of host " + Names.quote(h) + " failed (told to by failBuild)",
          List.of("fake-nix", "build"),
          1,
          "error: builder for 'nixos-system-" + h + ".drv' failed with exit code 1",
          h);
    }
    for (String h : hosts) {
      String owner = systemOwners.getOrDefault(h, h);
      out.put(h, systemPath(owner, version(owner)));
    }
    return out;
  }

  private void buildOne(String owner, Semaphore slots) {
    Duration d = buildDelays.getOrDefault(owner, buildDelay);
    if (slots != null) {
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EvaluationException(
            "fake nix: interrupted while waiting to build " + owner, List.of("fake-nix"), e);
      }
    }
    int now = building.incrementAndGet();
    peakBuilding.accumulateAndGet(now, Math::max);
    try {
      sleep(d, "building " + owner);
    } finally {
      building.decrementAndGet();
      if (slots != null) {
        slots.release();
      }
    }
  }

  @Override
  public List<StorePathInfo> closure(Collection<String> storePaths) {
    Set<String> seen = new HashSet<>();
    List<StorePathInfo> out = new ArrayList<>();
    for (String p : storePaths) {
      visit(p, seen, out);
    }
    return out;
  }

  /** Depth-first, references before referrers. */
  private void visit(String p, Set<String> seen, List<StorePathInfo> out) {
    if (!seen.add(p)) {
      return;
    }
    StorePathInfo info = universe.get(p);
    if (info == null) {
      throw new EvaluationException(
          "path " + Names.quote(p) + " is not in the fake store",
          List.of("fake-nix", "path-info"),
          1,
          "",
          null);
    }
    for (String r : info.references()) {
      visit(r, seen, out);
    }
    out.add(info);
  }

  @Override
  public void export(Collection<String> storePaths, OutputStream out) {
    Set<String> wanted = new HashSet<>(storePaths);
    long bandwidth = exportBandwidth;
    if (bandwidth > 0) {
      long bytes =
          closure(storePaths).stream()
              .filter(i -> wanted.contains(i.path()))
              .mapToLong(StorePathInfo::narSize)
              .sum();
      sleep(Duration.ofNanos(bytes * 1_000_000_000L / bandwidth), "exporting " + storePaths);
    }
    try {
      for (StorePathInfo i : closure(storePaths)) {
        if (wanted.contains(i.path())) {
          FakeNar.write(
              out, new FakeNar.Entry(i.path(), i.narSize(), new ArrayList<>(i.references())));
        }
      }
      FakeNar.end(out);
      out.flush();
    } catch (IOException e) {
      throw new EvaluationException(
          "fake export stopped: " + e.getMessage(), List.of("fake-nix", "export"), e);
    }
  }

  /**
   * The derivation of version {@code version} of {@code host}'s system (made on first use, with its
   * output {@link #systemPath}). Its closure, as {@link #derivationClosure} gives it, is the {@code
   * .drv} files of the system, its {@code etc} and {@code units}, the base packages' derivations
   * (shared by every host) and one builder script source; a fake host that realises it "builds" the
   * output closure it lacks.
   */
  public String derivationPath(String host, int version) {
    String out = systemPath(host, version);
    String tag = host + "-" + version;
    String drv = storePath("nixos-system-" + tag + ".drv");
    if (outputOf.containsKey(drv)) {
      return drv;
    }
    String builder = storePath("fake-builder.sh");
    put(builder, 512, Set.of());
    List<String> baseDrvs = new ArrayList<>();
    for (int i = 0; i < BASE.length; i++) {
      String d = storePath(BASE[i][0] + ".drv");
      put(d, 1536, Set.of(builder));
      outputOf.put(d, basePaths.get(i));
      baseDrvs.add(d);
    }
    String etc = storePath("etc-" + tag + ".drv");
    Set<String> etcRefs = new HashSet<>(baseDrvs.subList(0, 3));
    etcRefs.add(builder);
    put(etc, 1024, etcRefs);
    outputOf.put(etc, storePath("etc-" + tag));
    String units = storePath("system-units-" + tag + ".drv");
    Set<String> unitRefs = new HashSet<>(baseDrvs);
    unitRefs.add(builder);
    put(units, 1024, unitRefs);
    outputOf.put(units, storePath("system-units-" + tag));
    Set<String> sysRefs = new HashSet<>(baseDrvs);
    sysRefs.add(etc);
    sysRefs.add(units);
    sysRefs.add(builder);
    put(drv, 2048, sysRefs);
    outputOf.put(drv, out);
    return drv;
  }

  /**
   * The derivation of each host's current version ({@link #version}): what {@link #build} would
   * build, evaluated only.
   */
  @Override
  public Map<String, SystemDerivation> derivations(Fleet fleet, Collection<String> hosts) {
    Map<String, SystemDerivation> out = new LinkedHashMap<>();
    for (String h : hosts) {
      if (!fleet.hosts().containsKey(h)) {
        throw new EvaluationException(
            "fake evaluation: fleet has no host " + Names.quote(h),
            List.of("fake-nix", "eval"),
            1,
            "",
            h);
      }
      String owner = systemOwners.getOrDefault(h, h);
      int v = version(owner);
      out.put(h, SystemDerivation.of(derivationPath(owner, v), systemPath(owner, v)));
    }
    synchronized (this) {
      derivationRequests.add(String.join(",", hosts));
    }
    return out;
  }

  /** The hosts whose derivations were asked for, one entry per {@link #derivations} call. */
  public synchronized List<String> derivationRequests() {
    return List.copyOf(derivationRequests);
  }

  /** What a fake host needs to realise {@code drv}, if this evaluator made it. */
  Optional<FakeRealisation.Derivation> derivation(String drv) {
    String out = outputOf.get(drv);
    if (out == null) {
      return Optional.empty();
    }
    return Optional.of(
        new FakeRealisation.Derivation(drv, out, closure(List.of(drv)), closure(List.of(out))));
  }

  /** What this is: the fleet it fakes and how many builds it made. */
  @Override
  public synchronized String toString() {
    return "FakeEvaluator{fleet "
        + io.fleet.api.Names.quote(fleet.name())
        + ", "
        + fleet.hosts().size()
        + " hosts, "
        + builds.size()
        + " builds}";
  }
}
