package io.fleet.nix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.nix.internal.EvaluationResult;
import io.fleet.nix.internal.FleetFlakeSources;
import io.fleet.nix.internal.NixLog;
import io.fleet.nix.internal.NixProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
 * fleet-nix/flake.nix}.
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
 * <p>Failures are {@link EvaluationException}s carrying the command, its exit code and nix's own
 * error text, and the host where the failure is in one host. Instances are thread-safe.
 */
public final class NixEvaluator implements Evaluator {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CONFIGURATION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");
  private static final Pattern HOST_CONTEXT =
      Pattern.compile("while evaluating fleet host \"([^\"]+)\"");
  private static final Pattern SECRET_CONTEXT =
      Pattern.compile("while evaluating fleet shared secret \"([^\"]+)\"");
  private static final Pattern SYSTEM_DRV_NAME =
      Pattern.compile(
          "/[0-9a-z]{32}-(?:nixos|fleet)-system-([A-Za-z0-9_-]+?)(?:-[0-9][^/'\"]*)?\\.drv");
  private static final String EVALUATE_NIX = loadResource("evaluate.nix");

  private final String nix;
  private final String nixStore;
  private final List<String> commonArgs;
  private final List<String> storeOptions;

  /** Systems known from earlier evaluations, by their flake attribute. */
  private final Map<String, EvaluationResult.SystemDerivation> known = new ConcurrentHashMap<>();

  private volatile String nixVersion = "";

  private NixEvaluator(Builder b) {
    this.nix = b.nix;
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
   * flakeRef} (a path, {@code path:…}, {@code git+file:…}, {@code github:…}…) in one {@code nix
   * eval}. Each host's {@link Host#systemAttribute()} is the installable that builds its system.
   *
   * @throws EvaluationException if nix fails (naming the host when the failure is in one host)
   * @throws FleetConfigException if {@code configuration} is not a plain name or {@code flakeRef}
   *     contains {@code #}
   */
  @Override
  public Fleet evaluate(String flakeRef, String configuration) {
    String prefix = flakeAttribute(flakeRef, configuration);
    List<String> cmd = command("eval", "--json", "--show-trace", prefix, "--apply", EVALUATE_NIX);
    NixLog log = new NixLog(BuildListener.NONE);
    NixProcess.Outcome out = NixProcess.run(cmd, null, log);
    if (out.exitCode() != 0) {
      String text = log.text();
      String host = innermostHost(text);
      Matcher secret = SECRET_CONTEXT.matcher(text);
      String where =
          host != null
              ? " in host " + Names.quote(host)
              : secret.find() ? " in shared secret " + Names.quote(secret.group(1)) : "";
      throw failure(
          "evaluating fleet configuration "
              + Names.quote(configuration)
              + " of "
              + flakeRef
              + " failed"
              + where,
          cmd,
          out.exitCode(),
          text,
          host);
    }
    JsonNode root;
    try {
      root = JSON.readTree(out.stdout());
    } catch (IOException e) {
      throw new EvaluationException(
          "nix eval printed something that is not JSON: " + e.getMessage(), cmd, e);
    }
    EvaluationResult result = EvaluationResult.parse(root, configuration, prefix, cmd);
    nixVersion = result.nixVersion();
    for (EvaluationResult.SystemDerivation s : result.systems().values()) {
      if (s.drvPath() != null) {
        known.put(s.attribute(), s);
      }
    }
    return result.fleet();
  }

  /**
   * Builds the systems of {@code hosts} in one {@code nix build --json --no-link}, reporting
   * progress to {@code listener}. Hosts evaluated by this evaluator are built from the derivations
   * evaluation produced (no second evaluation); others from their {@link Host#systemAttribute()},
   * or, with only a {@link Host#systemPath()}, from that path.
   *
   * @return host name to the output path of its system, in the order of {@code hosts}
   * @throws FleetConfigException if a host is unknown or has nothing to build
   * @throws EvaluationException if nix fails (naming the host when one host's build failed)
   */
  @Override
  public Map<String, String> build(Fleet fleet, Collection<String> hosts, BuildListener listener) {
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
      return buildOnce(installableOf, drvOf, listener);
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
      return buildOnce(installableOf, drvOf, listener);
    }
  }

  private Map<String, String> buildOnce(
      Map<String, String> installableOf, Map<String, String> drvOf, BuildListener listener) {
    List<String> args = new ArrayList<>(List.of("build", "--json", "--no-link"));
    args.addAll(List.of("--log-format", "internal-json"));
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
    if (storePaths.isEmpty()) {
      return List.of();
    }
    List<String> args = new ArrayList<>(List.of("path-info", "--json", "--recursive"));
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
    Matcher m = HOST_CONTEXT.matcher(stderr);
    return m.find() ? m.group(1) : null;
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
    return new EvaluationException(
        what + " (nix exited with " + exit + "):\n" + summary(stderr), cmd, exit, stderr, host);
  }

  /** Nix's error without the long trace that --show-trace adds (the field keeps all of it). */
  private static String summary(String stderr) {
    int trace = stderr.indexOf("\n       … ");
    String s = trace > 0 ? stderr.substring(0, trace) : stderr;
    return s.length() > 4000 ? s.substring(0, 4000) + "\n…" : s;
  }

  private static String sibling(String nix, String program) {
    Path p = Path.of(nix);
    return p.getParent() == null ? program : p.resolveSibling(program).toString();
  }

  private static String loadResource(String name) {
    try (InputStream in = NixEvaluator.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource io/fleet/nix/" + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Configures a {@link NixEvaluator}. */
  public static final class Builder {
    private String nix = "nix";
    private String nixStore;
    private final List<String> experimentalFeatures =
        new ArrayList<>(List.of("nix-command", "flakes"));
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> extraArgs = new ArrayList<>();

    private Builder() {}

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
