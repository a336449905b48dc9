package io.fleet.nix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.EvaluationSink;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.nix.internal.BuilderSpec;
import io.fleet.nix.internal.EvaluationResult;
import io.fleet.nix.internal.FleetFlakeSources;
import io.fleet.nix.internal.NixErrors;
import io.fleet.nix.internal.NixLog;
import io.fleet.nix.internal.NixProcess;
import io.fleet.nix.internal.PooledEvaluation;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@link Evaluator} that drives the real {@code nix} CLI.
 *
 * <p>{@link #evaluate} runs one {@code nix eval --json} of the fleet configuration (every host at
 * once); {@link #build} builds any set of hosts in one {@code nix build --json}; {@link #closure}
 * and {@link #export} use {@code nix path-info --json --recursive} and {@code nix-store --export}.
 * The flake's {@code fleetConfigurations.<name>} must be made with {@code
 * fleet.lib.fleetConfiguration} or the {@code flakeModules.default} of this project's {@code
 * fleet-nix/flake.nix}, which evaluates them with nixpkgs' module system ({@code lib.evalModules}
 * of its {@code nixpkgs-lib} input; point that at a local tree with {@link Builder#overrideInput})
 * and builds hosts with real NixOS.
 *
 * <pre>{@code
 * try (NixEvaluator nix = NixEvaluator.builder()
 *     .option("substituters", "")
 *     .build()) {
 *   Fleet fleet = nix.evaluate("path:/srv/cluster", "default");
 *   Map<String, String> systems = nix.build(fleet, fleet.hosts().keySet(), BuildListener.NONE);
 * }
 * }</pre>
 *
 * <p>Distributed builds are nix's own: {@link Builder#builders} (fleet-wide) and {@link
 * Builder#hostBuilders} (per host) set nix's {@code builders} for {@link #build}, which then runs
 * one {@code nix build} per distinct setting; for building on the target ({@code
 * Deployer.Planner.buildOnTarget}) {@link #derivations} gives each host's system derivation unbuilt
 * and {@link #derivationClosure} the {@code .drv} files and sources to copy.
 *
 * <p>Failures are {@link EvaluationException}s carrying the command, its exit code and nix's own
 * error text, and the host where the failure is in one host. Instances are thread-safe.
 */
public final class NixEvaluator implements Evaluator {
  /** The default of {@link Builder#evaluationChunkSize}: hosts per {@code nix eval} process. */
  public static final int DEFAULT_CHUNK_SIZE = 10;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CONFIGURATION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");
  private static final Pattern SYSTEM_DRV_NAME =
      Pattern.compile(
          "/[0-9a-z]{32}-(?:nixos|fleet)-system-([A-Za-z0-9_-]+?)(?:-[0-9][^/'\"]*)?\\.drv");

  private final String nix;
  private final String nixStore;
  private final List<String> commonArgs;
  private final List<String> storeOptions;
  private final int workers;
  private final int chunkSize;
  private final EvaluationListener listener;
  private final String builders;
  private final Map<String, String> hostBuilders;
  private final long memoryLimit;

  /** Systems known from earlier evaluations, by their flake attribute. */
  private final Map<String, EvaluationResult.SystemDerivation> known = new ConcurrentHashMap<>();

  private volatile String nixVersion = "";

  private NixEvaluator(Builder b) {
    this.nix = b.nix;
    this.workers = b.workers;
    this.chunkSize = b.chunkSize;
    this.listener = b.listener;
    this.builders = b.builders;
    this.hostBuilders = Map.copyOf(b.hostBuilders);
    this.memoryLimit = b.memoryLimit;
    this.nixStore = b.nixStore != null ? b.nixStore : sibling(b.nix, "nix-store");
    List<String> args = new ArrayList<>();
    if (!b.experimentalFeatures.isEmpty()) {
      args.add("--extra-experimental-features");
      args.add(String.join(" ", b.experimentalFeatures));
    }
    for (Map.Entry<String, String> o : b.options.entrySet()) {
      args.add("--option");
      args.add(o.getKey());
      args.add(o.getValue());
    }
    List<String> storeArgs = new ArrayList<>();
    for (Map.Entry<String, String> o : b.options.entrySet()) {
      storeArgs.addAll(List.of("--option", o.getKey(), o.getValue()));
    }
    this.storeOptions = List.copyOf(storeArgs);
    args.addAll(b.extraArgs);
    this.commonArgs = List.copyOf(args);
  }

  /**
   * An evaluator with the defaults ({@code nix} from {@code PATH}, flakes enabled), as {@link
   * #create()}; public for {@link java.util.ServiceLoader} discovery of the {@link Evaluator} SPI.
   */
  public NixEvaluator() {
    this(new Builder());
  }

  /** An evaluator with the defaults: {@code nix} from {@code PATH}, flakes enabled. */
  public static NixEvaluator create() {
    return builder().build();
  }

  /** A builder for an evaluator with its own nix binary, options or extra arguments. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Evaluates every host of {@code fleetConfigurations.<configuration>} of the flake {@code
   * flakeRef} (a path, {@code path:…}, {@code git+file:…}, {@code github:…}…). Each host's {@link
   * Host#systemAttribute()} is the installable that builds its system.
   *
   * <p>A first {@code nix eval} checks the fleet's assertions and reads its fleet-level data and
   * host names; with at most {@link Builder#evaluationChunkSize} hosts it evaluates them too (one
   * process in all). Larger fleets are split into chunks evaluated by a pool of {@link
   * Builder#evaluationWorkers} concurrent {@code nix eval} processes, a fresh one per chunk, so the
   * memory of one process is bounded by the chunk, not the fleet. Results are in host order
   * whichever way they were evaluated. A host whose evaluation fails does not stop the others: the
   * rest of its chunk is evaluated again without it, and every failure is reported at the end.
   *
   * @throws PartialEvaluationException if some hosts failed (naming each, with nix's error; one
   *     failed host gives the message and {@link EvaluationException#host()} it always gave)
   * @throws EvaluationException if nix fails at the fleet level (assertions, shared secrets…)
   * @throws FleetConfigException if {@code configuration} is not a plain name or {@code flakeRef}
   *     contains {@code #}
   */
  @Override
  public Fleet evaluate(String flakeRef, String configuration) {
    return evaluateWith(flakeRef, configuration, null);
  }

  /**
   * Evaluates as {@link #evaluate(String, String)} does, delivering to {@code sink} as results
   * come: the fleet-level part when the first {@code nix eval} ends, then each chunk's hosts as
   * soon as the {@code nix eval} process of that chunk ends (a fleet of at most {@link
   * Builder#evaluationChunkSize} hosts: all at once, with the fleet-level part), and each failed
   * host. A delivered host can be given to {@link #build} at once: its derivation is known.
   *
   * @throws PartialEvaluationException after every host was delivered, if some hosts failed
   * @throws EvaluationException if nix fails at the fleet level (nothing was delivered)
   * @throws FleetConfigException if {@code sink} is null, or as {@link #evaluate(String, String)}
   */
  @Override
  public Fleet evaluate(String flakeRef, String configuration, EvaluationSink sink) {
    if (sink == null) {
      throw new FleetConfigException(
          "NixEvaluator.evaluate needs a sink: pass EvaluationSink.NONE to ignore the pieces");
    }
    return evaluateWith(flakeRef, configuration, sink);
  }

  /**
   * The derivation of {@code host}'s system, when this evaluator evaluated it (from its {@link
   * Host#systemAttribute()}).
   */
  @Override
  public java.util.Optional<String> systemDerivation(Host host) {
    return host.systemAttribute().map(known::get).map(EvaluationResult.SystemDerivation::drvPath);
  }

  private Fleet evaluateWith(String flakeRef, String configuration, EvaluationSink sink) {
    String prefix = flakeAttribute(flakeRef, configuration);
    String what =
        "evaluating fleet configuration " + Names.quote(configuration) + " of " + flakeRef;
    PooledEvaluation.Outcome out =
        new PooledEvaluation(
                apply -> command("eval", "--json", "--show-trace", prefix, "--apply", apply),
                workers,
                chunkSize,
                listener,
                sink == null
                    ? PooledEvaluation.Delivery.NONE
                    : new StreamedHosts(sink, configuration, prefix))
            .memoryLimit(memoryLimit)
            .run(what);
    EvaluationResult result =
        EvaluationResult.parse(out.root(), configuration, prefix, out.command());
    nixVersion = result.nixVersion();
    for (EvaluationResult.SystemDerivation s : result.systems().values()) {
      if (s.drvPath() != null) {
        known.put(s.attribute(), s);
      }
    }
    if (!out.failures().isEmpty()) {
      throw partial(what, out.hostNames(), out.failures(), result.fleet());
    }
    return result.fleet();
  }

  /** Turns each nix process's JSON into hosts for a sink, as soon as the process ends. */
  private final class StreamedHosts implements PooledEvaluation.Delivery {
    private final EvaluationSink sink;
    private final String configuration;
    private final String prefix;

    StreamedHosts(EvaluationSink sink, String configuration, String prefix) {
      this.sink = sink;
      this.configuration = configuration;
      this.prefix = prefix;
    }

    @Override
    public void fleetLevel(
        com.fasterxml.jackson.databind.node.ObjectNode root, List<String> names) {
      sink.fleetEvaluated(
          EvaluationResult.parse(root, configuration, prefix, List.of()).fleet(), names);
    }

    @Override
    public void hosts(Map<String, JsonNode> hosts, List<String> command) {
      com.fasterxml.jackson.databind.node.ObjectNode root = JSON.createObjectNode();
      root.put("format", EvaluationResult.FORMAT);
      com.fasterxml.jackson.databind.node.ObjectNode each = root.putObject("hosts");
      hosts.forEach(each::set);
      EvaluationResult result = EvaluationResult.parse(root, configuration, prefix, command);
      for (EvaluationResult.SystemDerivation s : result.systems().values()) {
        if (s.drvPath() != null) {
          known.put(s.attribute(), s);
        }
      }
      for (Host h : result.fleet().hosts().values()) {
        try {
          sink.hostEvaluated(h);
        } catch (RuntimeException ignored) {
          // A sink's failure is not the evaluation's.
        }
      }
    }

    @Override
    public void failed(String host, EvaluationException failure) {
      sink.hostFailed(host, failure);
    }
  }

  private static PartialEvaluationException partial(
      String what, List<String> order, Map<String, EvaluationException> failures, Fleet fleet) {
    Map<String, EvaluationException> ordered = new LinkedHashMap<>();
    for (String name : order) {
      if (failures.containsKey(name)) {
        ordered.put(name, failures.get(name));
      }
    }
    failures.forEach(ordered::putIfAbsent);
    EvaluationException first = ordered.values().iterator().next();
    String message;
    if (ordered.size() == 1) {
      message = first.getMessage();
    } else {
      StringBuilder sb = new StringBuilder(what).append(" failed in ").append(ordered.size());
      sb.append(" hosts (the other ").append(fleet.hosts().size()).append(" evaluated):");
      Set<EvaluationException> seen = new LinkedHashSet<>();
      for (Map.Entry<String, EvaluationException> f : ordered.entrySet()) {
        if (seen.add(f.getValue())) {
          sb.append("\n- ").append(f.getValue().getMessage().replace("\n", "\n  "));
        }
      }
      message = sb.toString();
    }
    EvaluationException headline =
        ordered.values().stream().filter(f -> f.host().isPresent()).findFirst().orElse(first);
    return new PartialEvaluationException(message, headline, fleet, ordered);
  }

  /**
   * Builds the systems of {@code hosts} in one {@code nix build --json --no-link} (one per distinct
   * {@link Builder#hostBuilders builders setting}, one after another), reporting progress to {@code
   * listener}. Hosts evaluated by this evaluator are built from the derivations evaluation produced
   * (no second evaluation); others from their {@link Host#systemAttribute()}, or, with only a
   * {@link Host#systemPath()}, from that path.
   *
   * @return host name to the output path of its system, in the order of {@code hosts}
   * @throws FleetConfigException if a host is unknown or has nothing to build
   * @throws EvaluationException if nix fails (naming the host when one host's build failed)
   */
  @Override
  public Map<String, String> build(Fleet fleet, Collection<String> hosts, BuildListener listener) {
    // Hosts with different remote builders need different nix runs: builders is per process.
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (String name : new LinkedHashSet<>(hosts)) {
      groups
          .computeIfAbsent(hostBuilders.getOrDefault(name, builders), k -> new ArrayList<>())
          .add(name);
    }
    if (groups.size() <= 1) {
      String spec = groups.isEmpty() ? null : groups.keySet().iterator().next();
      return buildGroup(fleet, hosts, listener, spec);
    }
    Map<String, String> built = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> g : groups.entrySet()) {
      built.putAll(buildGroup(fleet, g.getValue(), listener, g.getKey()));
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    for (String name : new LinkedHashSet<>(hosts)) {
      ordered.put(name, built.get(name));
    }
    return ordered;
  }

  /** Builds {@code hosts} in one nix run, with {@code builders} as the builders setting if set. */
  private Map<String, String> buildGroup(
      Fleet fleet, Collection<String> hosts, BuildListener listener, String builders) {
    List<String> extra = builders == null ? List.of() : List.of("--option", "builders", builders);
    Map<String, String> installableOf = new LinkedHashMap<>();
    Map<String, String> drvOf = new LinkedHashMap<>();
    for (String name : new LinkedHashSet<>(hosts)) {
      Host host = fleet.host(name);
      EvaluationResult.SystemDerivation sys = host.systemAttribute().map(known::get).orElse(null);
      if (sys != null) {
        installableOf.put(name, drvInstallable(sys.drvPath()));
        drvOf.put(name, sys.drvPath());
      } else if (host.systemAttribute().isPresent()) {
        installableOf.put(name, host.systemAttribute().get());
      } else if (host.systemPath().isPresent()) {
        installableOf.put(name, requireStorePath(host.systemPath().get()));
      } else {
        throw new FleetConfigException(
            "host "
                + Names.quote(name)
                + " has neither a system attribute nor a system path: evaluate the fleet with"
                + " NixEvaluator.evaluate(...) or set Host.systemPath");
      }
    }
    if (installableOf.isEmpty()) {
      return Map.of();
    }
    try {
      return buildOnce(installableOf, drvOf, listener, extra);
    } catch (EvaluationException e) {
      // A derivation written by evaluate() may have been garbage-collected since: build those
      // hosts from their flake attribute instead (which writes the derivation again).
      List<String> collected = new ArrayList<>();
      for (Map.Entry<String, String> d : drvOf.entrySet()) {
        if (e.stderr().contains(d.getValue() + "' is not a valid")
            || e.stderr().contains(d.getValue() + "' is not valid")) {
          collected.add(d.getKey());
        }
      }
      if (collected.isEmpty()) {
        throw e;
      }
      for (String name : collected) {
        String attribute = fleet.host(name).systemAttribute().orElseThrow();
        known.remove(attribute);
        installableOf.put(name, attribute);
        drvOf.remove(name);
      }
      return buildOnce(installableOf, drvOf, listener, extra);
    }
  }

  private Map<String, String> buildOnce(
      Map<String, String> installableOf,
      Map<String, String> drvOf,
      BuildListener listener,
      List<String> extra) {
    List<String> args = new ArrayList<>(List.of("build", "--json", "--no-link"));
    args.addAll(List.of("--log-format", "internal-json"));
    args.addAll(extra);
    args.addAll(new LinkedHashSet<>(installableOf.values()));
    List<String> cmd = command(args.toArray(new String[0]));
    NixLog log = new NixLog(listener);
    NixProcess.Outcome out = NixProcess.run(cmd, null, log);
    if (out.exitCode() != 0) {
      String text = log.text();
      String host = failedHost(text, installableOf, drvOf);
      throw failure(
          "building the system"
              + (installableOf.size() == 1 ? "" : "s")
              + " of "
              + installableOf.keySet()
              + " failed"
              + (host == null ? "" : " in host " + Names.quote(host)),
          cmd,
          out.exitCode(),
          text,
          host);
    }
    JsonNode results;
    try {
      results = JSON.readTree(out.stdout());
    } catch (IOException e) {
      throw new EvaluationException(
          "nix build printed something that is not JSON: " + e.getMessage(), cmd, e);
    }
    // nix prints one result per installable, in order (identical installables once); where the
    // derivation is known, match on it rather than on the position.
    List<String> distinct = new ArrayList<>(new LinkedHashSet<>(installableOf.values()));
    Map<String, String> outOf = new LinkedHashMap<>();
    Map<String, String> outOfDrv = new LinkedHashMap<>();
    for (int i = 0; i < results.size(); i++) {
      JsonNode r = results.get(i);
      String path = r.path("outputs").path("out").asText(null);
      if (path == null && r.has("path")) {
        path = r.get("path").asText();
      }
      if (path == null) {
        Iterator<JsonNode> any = r.path("outputs").elements();
        path = any.hasNext() ? any.next().asText() : null;
      }
      if (i < distinct.size()) {
        outOf.put(distinct.get(i), path);
      }
      if (r.hasNonNull("drvPath")) {
        outOfDrv.put(r.get("drvPath").asText(), path);
      }
    }
    for (Map.Entry<String, String> e : drvOf.entrySet()) {
      String path = outOfDrv.get(e.getValue());
      if (path != null) {
        outOf.put(installableOf.get(e.getKey()), path);
      }
    }
    Map<String, String> built = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : installableOf.entrySet()) {
      String path = outOf.get(e.getValue());
      if (path == null) {
        throw new EvaluationException(
            "nix build did not report an output for host "
                + Names.quote(e.getKey())
                + " ("
                + e.getValue()
                + "); it printed: "
                + out.stdout(),
            cmd,
            0,
            log.text(),
            e.getKey());
      }
      built.put(e.getKey(), path);
    }
    return built;
  }

  /**
   * The closure of {@code storePaths} from {@code nix path-info --json --recursive}: each path
   * once, with its NAR size and references. Accepts both JSON shapes nix has printed (a list of
   * objects, or an object keyed by path).
   *
   * @throws FleetConfigException if an argument is not an absolute store path
   * @throws EvaluationException if nix fails or a path is not valid in the local store
   */
  @Override
  public List<StorePathInfo> closure(Collection<String> storePaths) {
    return pathInfo(storePaths, false);
  }

  private List<StorePathInfo> pathInfo(Collection<String> storePaths, boolean derivation) {
    if (storePaths.isEmpty()) {
      return List.of();
    }
    List<String> args = new ArrayList<>(List.of("path-info", "--json", "--recursive"));
    if (derivation) {
      // nix 2.8 reads a .drv argument as "its outputs" (and builds them) without this flag
      args.add("--derivation");
    }
    storePaths.forEach(p -> args.add(requireStorePath(p)));
    List<String> cmd = command(args.toArray(new String[0]));
    NixLog log = new NixLog(BuildListener.NONE);
    NixProcess.Outcome out = NixProcess.run(cmd, null, log);
    if (out.exitCode() != 0) {
      throw failure(
          "querying the closure of " + storePaths + " failed",
          cmd,
          out.exitCode(),
          log.text(),
          null);
    }
    JsonNode root;
    try {
      root = JSON.readTree(out.stdout());
    } catch (IOException e) {
      throw new EvaluationException(
          "nix path-info printed something that is not JSON: " + e.getMessage(), cmd, e);
    }
    List<StorePathInfo> infos = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    parsePathInfo(root, infos, invalid);
    if (!invalid.isEmpty()) {
      throw new EvaluationException(
          "store path(s) " + invalid + " are not in the local nix store: build them first",
          cmd,
          out.exitCode(),
          log.text(),
          null);
    }
    return infos;
  }

  /**
   * The system derivations of {@code hosts}, for building on the target: hosts this evaluator
   * evaluated come from that evaluation (no further nix call); others are evaluated one by one from
   * their {@link Host#systemAttribute()} ({@code nix eval --json <attribute> --apply}, which writes
   * the {@code .drv} to the local store). Nothing is built.
   *
   * @throws FleetConfigException if a host is unknown or has no system attribute
   * @throws EvaluationException if nix fails, naming the host
   */
  @Override
  public Map<String, io.fleet.api.spi.SystemDerivation> derivations(
      Fleet fleet, Collection<String> hosts) {
    Map<String, io.fleet.api.spi.SystemDerivation> out = new LinkedHashMap<>();
    for (String name : new LinkedHashSet<>(hosts)) {
      Host host = fleet.host(name);
      if (host.systemAttribute().isEmpty()) {
        throw new FleetConfigException(
            "host "
                + Names.quote(name)
                + " has no system attribute, so its derivation is unknown and it cannot be built"
                + " on the target: evaluate the fleet with NixEvaluator.evaluate(...) or build it"
                + " on the controller");
      }
      String attribute = host.systemAttribute().get();
      EvaluationResult.SystemDerivation sys = known.get(attribute);
      if (sys != null && sys.outPath() != null) {
        out.put(name, io.fleet.api.spi.SystemDerivation.of(sys.drvPath(), sys.outPath()));
      } else {
        out.put(name, evaluateDerivation(name, attribute));
      }
    }
    return out;
  }

  private io.fleet.api.spi.SystemDerivation evaluateDerivation(String host, String attribute) {
    List<String> cmd =
        command(
            "eval",
            "--json",
            attribute,
            "--apply",
            // not named outPath: nix would print an attrset with outPath as that string
            "d: { drv = d.drvPath; out = d.outPath; }");
    NixLog log = new NixLog(BuildListener.NONE);
    NixProcess.Outcome out = NixProcess.run(cmd, null, log);
    if (out.exitCode() != 0) {
      throw failure(
          "evaluating the system derivation of host " + Names.quote(host) + " failed",
          cmd,
          out.exitCode(),
          log.text(),
          host);
    }
    try {
      JsonNode d = JSON.readTree(out.stdout());
      String drv = d.path("drv").asText("");
      String path = d.path("out").asText("");
      if (!drv.endsWith(".drv") || path.isEmpty()) {
        throw new EvaluationException(
            "the system attribute of host "
                + Names.quote(host)
                + " ("
                + attribute
                + ") is not a derivation: nix printed "
                + out.stdout(),
            cmd,
            0,
            log.text(),
            host);
      }
      return io.fleet.api.spi.SystemDerivation.of(drv, path);
    } catch (IOException e) {
      throw new EvaluationException(
          "nix eval printed something that is not JSON: " + e.getMessage(), cmd, e);
    }
  }

  /**
   * The closure of derivations as another machine needs it to build them: {@code nix path-info
   * --json --recursive --derivation}, the {@code .drv} files and the sources they reference (not
   * their outputs, which need not exist here).
   *
   * @throws FleetConfigException if an argument is not an absolute store path
   * @throws EvaluationException if nix fails or a derivation is not in the local store
   */
  @Override
  public List<StorePathInfo> derivationClosure(Collection<String> drvPaths) {
    return pathInfo(drvPaths, true);
  }

  /**
   * Reads {@code nix path-info --json}: a list of objects with {@code path} (nix up to 2.18) or an
   * object keyed by path whose values may be {@code null} for invalid paths (nix 2.19 and later).
   */
  static void parsePathInfo(JsonNode root, List<StorePathInfo> infos, List<String> invalid) {
    if (root.isArray()) {
      for (JsonNode n : root) {
        addInfo(n.path("path").asText(), n, infos, invalid);
      }
    } else if (root.isObject()) {
      for (Map.Entry<String, JsonNode> e : root.properties()) {
        addInfo(e.getKey(), e.getValue(), infos, invalid);
      }
    }
  }

  private static void addInfo(
      String path, JsonNode n, List<StorePathInfo> infos, List<String> invalid) {
    if (n == null || n.isNull() || (n.has("valid") && !n.get("valid").asBoolean())) {
      invalid.add(path);
      return;
    }
    StorePathInfo.Builder b = StorePathInfo.builder();
    b.path(path);
    b.narSize(n.path("narSize").asLong());
    String storeDir = path.substring(0, path.lastIndexOf('/') + 1);
    for (JsonNode r : n.path("references")) {
      String ref = r.asText();
      // Newer nix prints references as base names; make them full paths.
      b.addReferences(ref.startsWith("/") ? ref : storeDir + ref);
    }
    infos.add(b.build());
  }

  /**
   * Streams {@code storePaths} (not their closure) to {@code out} with {@code nix-store --export},
   * which orders them so references come first; {@code nix-store --import} reads it.
   *
   * @throws FleetConfigException if an argument is not an absolute store path
   * @throws EvaluationException if nix-store fails
   */
  @Override
  public void export(Collection<String> storePaths, OutputStream out) {
    List<String> cmd = new ArrayList<>(List.of(nixStore, "--export"));
    cmd.addAll(storeOptions);
    storePaths.forEach(p -> cmd.add(requireStorePath(p)));
    NixLog log = new NixLog(BuildListener.NONE);
    NixProcess.Outcome result = NixProcess.run(cmd, out, log);
    if (result.exitCode() != 0) {
      throw failure(
          "exporting " + storePaths + " failed", cmd, result.exitCode(), log.text(), null);
    }
  }

  /**
   * Writes fleet-nix's own flake (its {@code flake.nix}, the Nix library and the NixOS modules, as
   * shipped in this jar) into {@code dir}, for a fleet flake that takes it as an input with {@code
   * inputs.fleet.url = "path:<dir>"} instead of fetching it from git.
   *
   * @return {@code dir}
   * @throws io.fleet.api.FleetException if the files cannot be written
   */
  public static Path writeFleetFlake(Path dir) {
    return FleetFlakeSources.write(dir);
  }

  /** Nothing to release; may be called more than once. */
  @Override
  public void close() {
    known.clear();
  }

  /** The full argv of a {@code nix} subcommand with this evaluator's options (for diagnostics). */
  List<String> command(String... subcommand) {
    // Options go after the subcommand's name: nix takes global flags there too, and extra
    // arguments such as --impure are only accepted there.
    List<String> cmd = new ArrayList<>();
    cmd.add(nix);
    cmd.add(subcommand[0]);
    cmd.addAll(commonArgs);
    cmd.addAll(List.of(subcommand).subList(1, subcommand.length));
    return cmd;
  }

  private String drvInstallable(String drvPath) {
    // nix >= 2.13 builds a derivation named as drv^*; older ones take the bare .drv path.
    return versionAtLeast(nixVersion, 2, 13) ? drvPath + "^*" : drvPath;
  }

  static boolean versionAtLeast(String version, int major, int minor) {
    Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(version);
    if (!m.find()) {
      return false;
    }
    int maj = Integer.parseInt(m.group(1));
    int min = Integer.parseInt(m.group(2));
    return maj > major || (maj == major && min >= minor);
  }

  private static String flakeAttribute(String flakeRef, String configuration) {
    if (flakeRef == null || flakeRef.isBlank()) {
      throw new FleetConfigException("flake reference is empty: give a path or a flake URL");
    }
    if (flakeRef.contains("#") || flakeRef.startsWith("-")) {
      throw new FleetConfigException(
          "flake reference "
              + Names.quote(flakeRef)
              + " must name the flake only (no '#attribute', not starting with '-');"
              + " the configuration is a separate argument");
    }
    if (configuration == null || !CONFIGURATION.matcher(configuration).matches()) {
      throw new FleetConfigException(
          "fleet configuration name "
              + Names.quote(String.valueOf(configuration))
              + " is invalid: use letters, digits, '-' and '_'");
    }
    return flakeRef + "#fleetConfigurations." + EvaluationResult.quoteAttr(configuration);
  }

  private static String requireStorePath(String path) {
    if (path == null || !path.startsWith("/") || path.contains("\0") || path.contains("/../")) {
      throw new FleetConfigException(
          "not an absolute nix store path: " + Names.quote(String.valueOf(path)));
    }
    return path;
  }

  /** The host named in the innermost "while evaluating fleet host" context of a trace. */
  static String innermostHost(String stderr) {
    return NixErrors.innermostHost(stderr);
  }

  private static String failedHost(
      String text, Map<String, String> installableOf, Map<String, String> drvOf) {
    Set<String> hosts = new LinkedHashSet<>();
    for (Map.Entry<String, String> e : drvOf.entrySet()) {
      if (text.contains(e.getValue())) {
        hosts.add(e.getKey());
      }
    }
    if (hosts.isEmpty()) {
      Matcher m = SYSTEM_DRV_NAME.matcher(text);
      while (m.find()) {
        if (installableOf.containsKey(m.group(1))) {
          hosts.add(m.group(1));
        }
      }
    }
    if (hosts.isEmpty()) {
      String host = innermostHost(text);
      if (host != null) {
        hosts.add(host);
      }
    }
    return hosts.size() == 1 ? hosts.iterator().next() : null;
  }

  private static EvaluationException failure(
      String what, List<String> cmd, int exit, String stderr, String host) {
    return NixErrors.failure(what, cmd, exit, stderr, host);
  }

  /** Nix's error without the warnings before it and the trace (see {@link NixErrors#summary}). */
  static String summary(String stderr) {
    return NixErrors.summary(stderr);
  }

  private static String sibling(String nix, String program) {
    Path p = Path.of(nix);
    return p.getParent() == null ? program : p.resolveSibling(program).toString();
  }

  /** Configures a {@link NixEvaluator}. */
  public static final class Builder {
    private String nix = "nix";
    private String nixStore;
    private final List<String> experimentalFeatures =
        new ArrayList<>(List.of("nix-command", "flakes"));
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> extraArgs = new ArrayList<>();
    private int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int chunkSize = DEFAULT_CHUNK_SIZE;
    private EvaluationListener listener = EvaluationListener.NONE;
    private String builders;
    private final Map<String, String> hostBuilders = new LinkedHashMap<>();
    private long memoryLimit;

    private Builder() {}

    /**
     * The remote builders of every {@link NixEvaluator#build} ({@code --option builders SPEC}), in
     * nix's own machine syntax: machines separated by {@code ;} or newlines, each {@code URI
     * [systems [ssh-key [max-jobs [speed-factor [supported-features [mandatory-features
     * [base64-host-key]]]]]]]} with {@code -} for a default, e.g. {@code
     * ssh-ng://root@builder?ssh-key=/root/.ssh/id_ed25519&base64-ssh-public-host-key=… x86_64-linux
     * - 2}, or {@code @/etc/nix/machines}. nix itself then sends each derivation to a builder that
     * can build it ({@code ssh://} runs {@code nix-store --serve} there, {@code ssh-ng://} {@code
     * nix-daemon --stdio}) and copies the outputs back; with {@code option("max-jobs", "0")}
     * nothing is built here. {@code ""} means no remote builders (whatever {@code nix.conf} says).
     * Wins over {@code option("builders", …)}; a host's {@link #hostBuilders} wins over it. Only
     * builds use it, not evaluations.
     *
     * @throws FleetConfigException if the spec is not valid machine syntax (naming the machine and
     *     the field, e.g. a host key that is not base64)
     */
    public Builder builders(String spec) {
      this.builders = BuilderSpec.check(spec, "builders");
      return this;
    }

    /**
     * The remote builders for {@code host}'s system only, in the syntax of {@link #builders}:
     * {@link NixEvaluator#build} builds hosts with different builders in separate {@code nix build}
     * runs, one after another, each with its own {@code --option builders}.
     *
     * @throws FleetConfigException if the host name is empty or the spec is not valid
     */
    public Builder hostBuilders(String host, String spec) {
      if (host == null || host.isBlank()) {
        throw new FleetConfigException("hostBuilders needs a host name");
      }
      hostBuilders.put(host, BuilderSpec.check(spec, "builders of host " + Names.quote(host)));
      return this;
    }

    /**
     * The most resident memory one {@code nix eval} process of {@link NixEvaluator#evaluate} may
     * use, in bytes; default: no limit. Memory is polled every 20 ms ({@code VmRSS} in {@code
     * /proc/PID/status}, so Linux only); a process past the limit is killed and replaced: the hosts
     * it had finished are kept (with a limit, each host's result is traced as soon as it is done),
     * and the rest of its chunk is evaluated in a fresh process; a process that finished no host
     * has its chunk split in halves instead. A single host that alone passes the limit fails with
     * an {@link io.fleet.api.EvaluationException} naming it and the limit (in a {@link
     * PartialEvaluationException} with the others' results); so does the fleet's own data. Real
     * NixOS hosts take about 60 to 80 MB each on top of some 200 to 400 MB for nixpkgs.
     *
     * @throws FleetConfigException if {@code bytes} is negative, or positive but under 16 MiB
     */
    public Builder evaluationMemoryLimit(long bytes) {
      if (bytes != 0 && bytes < 16L << 20) {
        throw new FleetConfigException(
            "evaluation memory limit must be at least 16 MiB (nix itself needs that much), or 0"
                + " for none, not "
                + bytes
                + " bytes");
      }
      this.memoryLimit = bytes;
      return this;
    }

    /**
     * How many {@code nix eval} processes {@link NixEvaluator#evaluate} runs at once for a fleet of
     * more than {@link #evaluationChunkSize} hosts; default: the machine's cores.
     *
     * @throws FleetConfigException if {@code workers} is less than 1
     */
    public Builder evaluationWorkers(int workers) {
      if (workers < 1) {
        throw new FleetConfigException(
            "evaluation workers must be at least 1, not "
                + workers
                + ": give how many nix"
                + " processes may evaluate at once");
      }
      this.workers = workers;
      return this;
    }

    /**
     * The most hosts one {@code nix eval} process evaluates (its memory grows with them, about 60
     * to 80 MB per real NixOS host); a fleet of at most this many is evaluated in one process.
     * Default {@value NixEvaluator#DEFAULT_CHUNK_SIZE}.
     *
     * @throws FleetConfigException if {@code hosts} is less than 1
     */
    public Builder evaluationChunkSize(int hosts) {
      if (hosts < 1) {
        throw new FleetConfigException(
            "evaluation chunk size must be at least 1 host, not " + hosts);
      }
      this.chunkSize = hosts;
      return this;
    }

    /** Where {@link NixEvaluator#evaluate} reports each host evaluated or failed; default none. */
    public Builder evaluationListener(EvaluationListener listener) {
      this.listener = listener == null ? EvaluationListener.NONE : listener;
      return this;
    }

    /** The {@code nix} program: a name looked up on {@code PATH} or a path. Default {@code nix}. */
    public Builder nixBinary(String nix) {
      if (nix == null || nix.isBlank()) {
        throw new FleetConfigException("nix binary is empty");
      }
      this.nix = nix;
      return this;
    }

    /**
     * The {@code nix-store} program used by {@link NixEvaluator#export}; default: beside the
     * configured {@code nix} when that is a path, otherwise {@code nix-store} from {@code PATH}.
     */
    public Builder nixStoreBinary(String nixStore) {
      this.nixStore = nixStore;
      return this;
    }

    /**
     * The experimental features passed as {@code --extra-experimental-features}; default {@code
     * nix-command flakes}. None: nix's own configuration decides.
     */
    public Builder experimentalFeatures(String... features) {
      experimentalFeatures.clear();
      experimentalFeatures.addAll(List.of(features));
      return this;
    }

    /** Adds {@code --option name value} to every nix command, e.g. {@code substituters ""}. */
    public Builder option(String name, String value) {
      if (name == null || name.isBlank() || value == null) {
        throw new FleetConfigException("nix option name and value must be given");
      }
      options.put(name, value);
      return this;
    }

    /**
     * Points a flake input at another flake for every command ({@code --override-input}), e.g.
     * {@code overrideInput("fleet/nixpkgs-lib", "path:/srv/nixpkgs-lib")} to evaluate without the
     * network. A reference with its {@code narHash} ({@code path:DIR?narHash=…}) spares nix hashing
     * the tree on every command.
     *
     * @throws FleetConfigException if the input path or the reference is empty or an option
     */
    public Builder overrideInput(String inputPath, String flakeRef) {
      if (inputPath == null
          || !inputPath.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")) {
        throw new FleetConfigException(
            "flake input path "
                + Names.quote(String.valueOf(inputPath))
                + " is invalid: give input names separated by '/', e.g. fleet/nixpkgs-lib");
      }
      if (flakeRef == null || flakeRef.isBlank() || flakeRef.startsWith("-")) {
        throw new FleetConfigException(
            "flake reference for input " + Names.quote(inputPath) + " is empty or an option");
      }
      extraArgs.addAll(List.of("--override-input", inputPath, flakeRef));
      return this;
    }

    /** Adds arguments to every nix command, after its subcommand (e.g. {@code --impure}). */
    public Builder extraArgs(String... args) {
      extraArgs.addAll(List.of(args));
      return this;
    }

    /** The evaluator. */
    public NixEvaluator build() {
      return new NixEvaluator(this);
    }
  }

  /** What this is: the nix it drives and the options it passes. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("NixEvaluator{").append(nix);
    for (String a : commonArgs) {
      sb.append(' ').append(a.isEmpty() ? "''" : a);
    }
    return sb.append(", ").append(known.size()).append(" systems known}").toString();
  }
}
