package io.fleet.api.deploy;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.FleetStyle;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.spi.StorePathInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * What a deployment will do, decided before anything runs: which hosts (in order), which action,
 * the system path per host, each system's closure (so the copy needs no further evaluation), the
 * batches, and the fleet policies. Make one with {@code Deployer.plan(fleet)}; run it with {@code
 * Deployer.execute(plan)}.
 *
 * <p>A plan is a value: {@link #toJson()} writes it (with {@link FleetJson}) and {@link #fromJson}
 * reads it back equal, so a plan can be reviewed, stored and executed later; {@link #summary()}
 * describes it for people, and {@link #toString()} is one short line (the closures are left out).
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableDeploymentPlan.class)
@JsonDeserialize(as = ImmutableDeploymentPlan.class)
public abstract class DeploymentPlan {
  private static final String NIX_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  DeploymentPlan() {}

  /** An id that names this deployment on the hosts (in the rollback marker) and in reports. */
  public abstract String id();

  /** The action. */
  public abstract DeployAction action();

  /** The hosts, in the order they were chosen. */
  public abstract List<Host> hosts();

  /** Host name to the store path of the system to deploy there. */
  public abstract Map<String, String> systems();

  /**
   * System path to its closure (every path it needs, each with its size and references); for a host
   * built on the target, its derivation's path to the derivation's closure instead (the {@code
   * .drv} files and sources, what {@code nix path-info --recursive --derivation} lists).
   */
  public abstract Map<String, List<StorePathInfo>> closures();

  /**
   * Host name to the store path of its system's derivation ({@code /nix/store/…-….drv}), for the
   * hosts that build their own system (made by {@code Planner.buildOnTarget}). For such a host the
   * deployer copies the derivation's closure ({@link #closureOf}, only what the host lacks), runs
   * {@code nix-store --realise} on the host ({@link DeployStep#BUILD}), checks the output is {@link
   * #systems()}' path, then arms and activates as for any host. Hosts not named here get their
   * built system's closure copied from the controller.
   */
  public abstract Map<String, String> derivations();

  /** Whether {@code host} builds its own system on the target (it is in {@link #derivations()}). */
  public boolean buildsOnTarget(String host) {
    return derivations().containsKey(host);
  }

  /**
   * Host names in batches, run one after another; the first is the canary when there are several.
   */
  public abstract List<List<String>> batches();

  /** How many hosts are deployed at the same time. */
  @Value.Default
  public int parallelism() {
    return 10;
  }

  /**
   * Whether to keep deploying other hosts after one fails. When false (the default) no new host
   * starts after a failure. Either way, a failed first batch of several stops the later ones: that
   * is what a canary is for.
   */
  @Value.Default
  public boolean keepGoing() {
    return false;
  }

  /**
   * Whether a host that fails after the copy returns to its previous generation (the default). When
   * false, as the original's {@code --disable-rollback}, the deployer arms and confirms at once (so
   * the host's lock and deployment id are checked as usual, but no watchdog stays armed and no
   * marker is left), and a failed activation or health check leaves the host on the new generation,
   * reported {@link HostOutcome#FAILED} with the activation's output.
   */
  @Value.Default
  public boolean rollback() {
    return true;
  }

  /** Whether to return already confirmed hosts to their previous generation when another fails. */
  @Value.Default
  public boolean rollbackSucceededOnFailure() {
    return false;
  }

  /** Whether to let each host fetch missing paths from its own binary caches before the copy. */
  @Value.Default
  public boolean substituteOnHost() {
    return false;
  }

  /**
   * Whether the copy is compressed with zstd on the wire (default false), for slow links. The
   * deployer compresses on the controller and the host decompresses with its {@code zstd} ({@link
   * HostProtocol#importCompressed}); a host whose preflight reports no {@code zstd} gets the
   * uncompressed stream, and the deployer says so in a progress event and in {@link
   * HostReport#compressed()}.
   */
  @Value.Default
  public boolean compress() {
    return false;
  }

  /** The most one host may take from preflight to confirmation; past it the host is rolled back. */
  @Value.Default
  public Duration hostTimeout() {
    return Duration.ofMinutes(30);
  }

  /** The most one command may take (the copy and activation have their own limits). */
  @Value.Default
  public Duration commandTimeout() {
    return Duration.ofMinutes(2);
  }

  /** The most {@code switch-to-configuration} may take. */
  @Value.Default
  public Duration activationTimeout() {
    return Duration.ofMinutes(5);
  }

  /**
   * How long after arming the watchdog waits before rolling an unconfirmed host back. Must cover
   * activation, health checks and confirmation.
   */
  @Value.Default
  public Duration rollbackWindow() {
    return Duration.ofMinutes(10);
  }

  /** How long to keep trying to reach a host again after its connection was lost. */
  @Value.Default
  public Duration reconnectTimeout() {
    return Duration.ofMinutes(1);
  }

  /** Checks run after activation and before confirmation, in order. */
  public abstract List<HealthCheck> healthChecks();

  /** The host named {@code name}. */
  public Host host(String name) {
    Host h = hostsByName().get(name);
    if (h != null) {
      return h;
    }
    throw new FleetConfigException("deployment plan " + id() + " has no host " + Names.quote(name));
  }

  @Value.Lazy
  @JsonIgnore
  Map<String, Host> hostsByName() {
    Map<String, Host> m = new java.util.HashMap<>();
    for (Host h : hosts()) {
      m.put(h.name(), h);
    }
    return m;
  }

  /**
   * What the deployer copies to {@code host}: the closure of its planned system, or of its system's
   * derivation when the host builds on the target.
   */
  public List<StorePathInfo> closureOf(String host) {
    String root = derivations().getOrDefault(host, systems().get(host));
    return root == null ? List.of() : closures().getOrDefault(root, List.of());
  }

  /**
   * Whether {@code path} is a syntactically valid Nix store path: {@code /nix/store/}, 32
   * characters of Nix's base-32 alphabet, {@code -}, and a name of {@code [A-Za-z0-9+-._?=]}.
   */
  public static boolean isStorePath(String path) {
    // Hand-written (not a regex): plans check every host's path, 10,000 at a time.
    final String prefix = "/nix/store/";
    if (path == null || path.length() < prefix.length() + 34 || !path.startsWith(prefix)) {
      return false;
    }
    int i = prefix.length();
    for (int k = 0; k < 32; k++, i++) {
      if (NIX_BASE32.indexOf(path.charAt(i)) < 0) {
        return false;
      }
    }
    if (path.charAt(i++) != '-') {
      return false;
    }
    for (; i < path.length(); i++) {
      char c = path.charAt(i);
      boolean ok =
          c >= 'a' && c <= 'z'
              || c >= 'A' && c <= 'Z'
              || c >= '0' && c <= '9'
              || "+-._?=".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  @Value.Check
  void check() {
    List<String> problems = new ArrayList<>();
    if (!ID.matcher(id()).matches()) {
      problems.add(
          "deployment id " + Names.quote(id()) + " is invalid: use letters, digits, '.', '_', '-'");
    }
    if (parallelism() < 1) {
      problems.add("parallelism " + parallelism() + " is less than 1");
    }
    if (!rollback() && rollbackSucceededOnFailure()) {
      problems.add(
          "rollback is disabled but succeeded hosts are to be rolled back when one fails: enable"
              + " rollback or drop rollbackSucceededOnFailure");
    }
    if (rollbackWindow().compareTo(Duration.ofSeconds(10)) < 0) {
      problems.add("rollback window " + rollbackWindow() + " is shorter than 10 seconds");
    }
    Set<String> names = new HashSet<>();
    for (Host h : hosts()) {
      if (!names.add(h.name())) {
        problems.add("host " + Names.quote(h.name()) + " is listed twice");
      }
      String system = systems().get(h.name());
      if (system == null) {
        problems.add("host " + Names.quote(h.name()) + " has no system path: build it or give one");
      } else if (!isStorePath(system)) {
        problems.add(
            "host "
                + Names.quote(h.name())
                + ": system "
                + Names.quote(system)
                + " is not a Nix store path (/nix/store/<32 base-32 chars>-<name>)");
      } else if (derivations().containsKey(h.name())) {
        String drv = derivations().get(h.name());
        if (!isStorePath(drv) || !drv.endsWith(".drv")) {
          problems.add(
              "host "
                  + Names.quote(h.name())
                  + ": derivation "
                  + Names.quote(drv)
                  + " is not the store path of a .drv file");
        } else if (!closures().containsKey(drv)) {
          problems.add(
              "host " + Names.quote(h.name()) + ": the closure of its derivation is unknown");
        }
      } else if (!closures().containsKey(system)) {
        problems.add("host " + Names.quote(h.name()) + ": the closure of its system is unknown");
      }
    }
    for (String host : derivations().keySet()) {
      if (!names.contains(host)) {
        problems.add("a derivation is given for " + Names.quote(host) + ", not a host of the plan");
      }
    }
    Set<String> batched = new HashSet<>();
    for (List<String> batch : batches()) {
      for (String name : batch) {
        if (!names.contains(name)) {
          problems.add("batch names " + Names.quote(name) + ", which is not a host of the plan");
        } else if (!batched.add(name)) {
          problems.add("host " + Names.quote(name) + " is in more than one batch");
        }
      }
    }
    if (!batched.equals(names)) {
      Set<String> missing = new HashSet<>(names);
      missing.removeAll(batched);
      if (!missing.isEmpty()) {
        problems.add("hosts " + missing + " are in no batch");
      }
    }
    if (!problems.isEmpty()) {
      throw new FleetConfigException("deployment plan is invalid:", problems);
    }
  }

  /** This plan as JSON; {@link #fromJson} reads it back. */
  public String toJson() {
    return FleetJson.toJson(this);
  }

  /**
   * Reads a plan written by {@link #toJson()}, checking it as a built plan is checked.
   *
   * @throws FleetConfigException if the text is not such a plan (with line and column), or the plan
   *     it describes is invalid
   */
  public static DeploymentPlan fromJson(String json) {
    try {
      return FleetJson.fromJson(json, DeploymentPlan.class);
    } catch (FleetConfigException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      throw new FleetConfigException(
          "DeploymentPlan JSON does not describe a complete plan: " + e.getMessage(), e);
    }
  }

  /**
   * A description for people, several lines: the action, hosts, batches and policies, then each
   * host's system with the size of its closure, then the health checks.
   */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append("deployment ")
        .append(id())
        .append(": ")
        .append(action())
        .append(" on ")
        .append(count(hosts().size(), "host"))
        .append(" in ")
        .append(count(batches().size(), "batch"))
        .append(", parallelism ")
        .append(parallelism())
        .append(keepGoing() ? ", keep going after a failure" : ", stop at the first failure");
    if (rollbackSucceededOnFailure()) {
      sb.append(", roll back succeeded hosts when one fails");
    }
    if (substituteOnHost()) {
      sb.append(", hosts substitute from their caches first");
    }
    if (compress()) {
      sb.append(", copies compressed with zstd where the host has it");
    }
    if (!derivations().isEmpty()) {
      sb.append(", ")
          .append(
              derivations().size() == hosts().size()
                  ? "every host"
                  : count(derivations().size(), "host"))
          .append(" built on the target");
    }
    if (rollback()) {
      sb.append(", rollback window ").append(rollbackWindow());
    } else {
      sb.append(", rollback disabled");
    }
    for (int i = 0; i < batches().size(); i++) {
      sb.append("\n  batch ").append(i + 1);
      if (i == 0 && batches().size() > 1) {
        sb.append(" (canary)");
      }
      sb.append(": ").append(String.join(", ", batches().get(i)));
    }
    for (Host h : hosts()) {
      String system = systems().get(h.name());
      List<StorePathInfo> closure = closureOf(h.name());
      long bytes = closure.stream().mapToLong(StorePathInfo::narSize).sum();
      sb.append("\n  ").append(h.name()).append(": ").append(system).append(" (");
      if (buildsOnTarget(h.name())) {
        sb.append("built on the host from ")
            .append(derivations().get(h.name()))
            .append("; derivation closure ");
      }
      sb.append(count(closure.size(), "path")).append(", ").append(humanBytes(bytes)).append(")");
    }
    if (healthChecks().isEmpty()) {
      sb.append("\n  no health checks");
    }
    for (HealthCheck c : healthChecks()) {
      sb.append("\n  health check: ").append(c.name());
      if (c.attempts() > 1) {
        sb.append(" (").append(c.attempts()).append(" attempts, ").append(c.interval()).append(")");
      }
    }
    return sb.toString();
  }

  /**
   * One line: id, action, hosts (the first few), batches, distinct systems and paths; never the
   * closures themselves.
   */
  @Override
  public String toString() {
    List<String> names = new ArrayList<>();
    for (Host h : hosts()) {
      if (names.size() == 5) {
        names.add("… " + (hosts().size() - 5) + " more");
        break;
      }
      names.add(h.name());
    }
    long paths =
        closures().values().stream()
            .flatMap(List::stream)
            .map(StorePathInfo::path)
            .distinct()
            .count();
    return "DeploymentPlan{"
        + id()
        + ", "
        + action()
        + ", "
        + count(hosts().size(), "host")
        + " "
        + names
        + ", "
        + count(batches().size(), "batch")
        + ", "
        + count(new HashSet<>(systems().values()).size(), "system")
        + ", "
        + count((int) paths, "path")
        + "}";
  }

  private static String count(int n, String noun) {
    String plural = noun.endsWith("ch") ? noun + "es" : noun + "s";
    return n + " " + (n == 1 ? noun : plural);
  }

  private static String humanBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** A builder; most users go through {@code Deployer.plan(fleet)} instead. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link DeploymentPlan}. */
  public static class Builder extends ImmutableDeploymentPlan.Builder {}
}
