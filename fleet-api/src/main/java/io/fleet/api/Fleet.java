package io.fleet.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.fleet.api.internal.JsonValues;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * A fleet: its hosts, the secrets shared between them, the multi-host modules applied to it and
 * fleet-wide settings. Build one with the fluent DSL:
 *
 * <pre>{@code
 * Fleet fleet = Fleet.builder()
 *     .host("cp-1", h -> h.system("x86_64-linux").tags("cp").target("root@10.0.0.1"))
 *     .host("worker-1", h -> h.system("aarch64-linux"))
 *     .module(new WireguardMesh("wg0", "cp-1", "worker-1"))
 *     .sharedSecret("ca.pem", s -> s
 *         .expectedOwners("cp-1", "worker-1")
 *         .regenerateOnOwnerAdded(false)
 *         .generator(Generators.x509Ca("kubernetes-ca", Duration.ofDays(365))))
 *     .build();
 * fleet.validate();
 * }</pre>
 *
 * <p>A {@code Fleet} is an immutable value: building it checks nothing across objects, {@link
 * #validate()} does, reporting every problem at once.
 */
@Value.Immutable(builder = false)
@FleetStyle
@JsonDeserialize(builder = Fleet.Builder.class)
public abstract class Fleet {
  private static final Pattern SYSTEM = Pattern.compile("[a-z0-9_]+-[a-z0-9_]+");
  private static final Pattern MODE = Pattern.compile("0?[0-7]{3}");
  private static final Pattern STORE_PATH =
      Pattern.compile("/nix/store/[0-9a-z]{32}-[A-Za-z0-9+._?=-]+(?:/[A-Za-z0-9+._?=-]+)*");
  private static final Pattern ACCOUNT =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?|[0-9]{1,10}");

  Fleet() {}

  /** The fleet configuration's name; {@code default} unless set. */
  @Value.Parameter
  @JsonProperty("name")
  public abstract String name();

  /** The hosts, by name. */
  @Value.Parameter
  @JsonProperty("hosts")
  public abstract SortedMap<String, Host> hosts();

  /** The secrets shared between hosts, by name. */
  @Value.Parameter
  @JsonProperty("sharedSecrets")
  public abstract SortedMap<String, SecretSpec> sharedSecrets();

  /** The names of the modules that configured this fleet, in the order they were applied. */
  @Value.Parameter
  @JsonProperty("modules")
  public abstract List<String> modules();

  /** Fleet-wide settings, as JSON values. */
  @Value.Parameter
  @JsonProperty("settings")
  public abstract SortedMap<String, JsonNode> settings();

  /** A builder for the fluent DSL. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder that starts from this fleet: its name, hosts, shared secrets, settings and the names
   * of the modules already applied (their effects are in the hosts and secrets; they do not run
   * again). Calls on it merge into what is there, as described at {@link Builder}; {@code build()}
   * leaves this fleet unchanged.
   */
  public Builder toBuilder() {
    Builder b = new Builder().name(name());
    hosts().values().forEach(b::host);
    sharedSecrets().values().forEach(b::sharedSecret);
    b.moduleNames.addAll(modules());
    settings().forEach(b::setting);
    return b;
  }

  /**
   * The fleet-level part of this fleet: its name, shared secrets, settings and module names, with
   * no hosts (what {@link io.fleet.api.spi.EvaluationSink#fleetEvaluated} receives). Not valid by
   * itself when shared secrets name owners.
   */
  public Fleet withoutHosts() {
    return ImmutableFleet.of(
        name(), new java.util.TreeMap<>(), sharedSecrets(), modules(), settings());
  }

  /**
   * The host named {@code name}.
   *
   * @throws FleetConfigException if there is none
   */
  public Host host(String name) {
    Host host = hosts().get(name);
    if (host == null) {
      throw new FleetConfigException(
          "fleet "
              + Names.quote(name())
              + " has no host "
              + Names.quote(name)
              + "; it has "
              + hosts().keySet());
    }
    return host;
  }

  /** The owners of a declared secret: the host for a host secret, the owners for a shared one. */
  public Set<String> ownersOf(String host, SecretSpec secret) {
    return host == null ? secret.owners() : Set.of(host);
  }

  /**
   * The hosts chosen by {@code selectors} (names, {@code @tag}s or globs; none means every host),
   * minus those chosen by {@code skips}, in name order.
   *
   * @throws FleetConfigException if a plain host name matches no host (the message lists the hosts,
   *     and suggests {@code @name} when {@code name} is a tag)
   */
  public List<Host> select(Collection<String> selectors, Collection<String> skips) {
    if (selectors == null || skips == null) {
      throw new FleetConfigException(
          "host selectors or skips are null: pass an empty list to select every host");
    }
    List<HostSelector> include =
        selectors.stream().map(HostSelector::parse).collect(Collectors.toList());
    List<HostSelector> exclude =
        skips.stream().map(HostSelector::parse).collect(Collectors.toList());
    List<String> unknown = new ArrayList<>();
    for (HostSelector s : include) {
      if (s.isExactName() && !hosts().containsKey(s.toString())) {
        unknown.add(s.toString());
      }
    }
    if (!unknown.isEmpty()) {
      List<String> tags = new ArrayList<>();
      for (String u : unknown) {
        if (hosts().values().stream().anyMatch(h -> h.hasTag(u))) {
          tags.add("@" + u);
        }
      }
      throw new FleetConfigException(
          "no such host(s) "
              + unknown
              + " in fleet "
              + Names.quote(name())
              + (tags.isEmpty()
                  ? ""
                  : "; " + String.join(", ", tags) + " would choose the hosts with that tag")
              + "; it has "
              + hosts().keySet());
    }
    return hosts().values().stream()
        .filter(h -> include.isEmpty() || include.stream().anyMatch(s -> s.matches(h)))
        .filter(h -> exclude.stream().noneMatch(s -> s.matches(h)))
        .collect(Collectors.toList());
  }

  /** Every cross-object problem of this fleet; empty when it is valid. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (!Names.isValidHostName(name())) {
      problems.add(
          "fleet name " + Names.quote(name()) + " is invalid: use letters, digits, '-' and '_'");
    }
    Map<String, String> lowerCase = new HashMap<>();
    for (Map.Entry<String, Host> e : hosts().entrySet()) {
      checkHost(e.getKey(), e.getValue(), problems);
      String other =
          lowerCase.putIfAbsent(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getKey());
      if (other != null) {
        problems.add(
            "duplicate host names "
                + Names.quote(other)
                + " and "
                + Names.quote(e.getKey())
                + ": host names are compared without case (DNS, file names); rename one");
      }
    }
    for (Map.Entry<String, SecretSpec> e : sharedSecrets().entrySet()) {
      checkSecret("shared secret", e.getKey(), e.getValue(), null, problems);
      SecretSpec s = e.getValue();
      if (s.owners().isEmpty()) {
        problems.add(
            "shared secret " + Names.quote(e.getKey()) + " has no owners: set expectedOwners");
      }
      for (String owner : s.owners()) {
        if (!hosts().containsKey(owner)) {
          problems.add(
              "shared secret "
                  + Names.quote(e.getKey())
                  + " names owner "
                  + Names.quote(owner)
                  + ", which is not a host of the fleet: declare the host or remove the owner");
        }
      }
    }
    checkDependencies(problems);
    return problems;
  }

  /**
   * Checks every rule across the fleet's objects: valid names, owners that are hosts, no two
   * secrets of one name on a host, dependencies that exist and have no cycle, generators that run
   * on existing hosts.
   *
   * @return this fleet, for chaining
   * @throws FleetConfigException listing every problem found
   */
  public Fleet validate() {
    List<String> problems = problems();
    if (!problems.isEmpty()) {
      throw new FleetConfigException(
          "fleet "
              + Names.quote(name())
              + " is invalid ("
              + problems.size()
              + " problem"
              + (problems.size() == 1 ? "" : "s")
              + "):",
          problems);
    }
    return this;
  }

  private void checkHost(String key, Host host, List<String> problems) {
    String q = Names.quote(key);
    if (!key.equals(host.name())) {
      problems.add(
          "host "
              + q
              + " is stored under a different name "
              + Names.quote(host.name())
              + ": do not set the name inside host(name, spec); declare a host of that name instead");
    }
    if (!Names.isValidHostName(key)) {
      problems.add(
          "host name "
              + q
              + " is invalid: use letters, digits, '-' and '_', at most 63, starting with a letter or digit");
    }
    if (!SYSTEM.matcher(host.system()).matches()) {
      problems.add(
          "host "
              + q
              + ": system "
              + Names.quote(host.system())
              + " is not of the form arch-os, such as x86_64-linux");
    }
    for (String tag : host.tags()) {
      if (!Names.isValidTag(tag)) {
        problems.add(
            "host "
                + q
                + ": tag "
                + Names.quote(tag)
                + " is invalid: use letters, digits, '-' and '_'");
      }
    }
    host.target().ifPresent(t -> problems.addAll(t.problems(key)));
    host.systemPath()
        .ifPresent(
            p -> {
              if (!STORE_PATH.matcher(p).matches()) {
                problems.add(
                    "host "
                        + q
                        + ": system path "
                        + Names.quote(p)
                        + " is not a Nix store path: give /nix/store/<hash>-<name>");
              }
            });
    for (Map.Entry<String, SecretSpec> e : host.secrets().entrySet()) {
      checkSecret("host " + q + " secret", e.getKey(), e.getValue(), key, problems);
      if (!e.getValue().owners().isEmpty() && !e.getValue().owners().equals(Set.of(key))) {
        problems.add(
            "host "
                + q
                + " secret "
                + Names.quote(e.getKey())
                + " lists owners "
                + e.getValue().owners()
                + ": a host secret is owned by its host only; declare a shared secret instead");
      }
      SecretSpec shared = sharedSecrets().get(e.getKey());
      if (shared != null && shared.owners().contains(key)) {
        problems.add(
            "duplicate secret name "
                + Names.quote(e.getKey())
                + " on host "
                + q
                + ": it is both a host secret and a shared secret the host owns; rename one");
      }
    }
  }

  private void checkSecret(
      String what, String key, SecretSpec s, String host, List<String> problems) {
    String q = what + " " + Names.quote(key);
    if (!key.equals(s.name())) {
      problems.add(q + " is stored under a different name " + Names.quote(s.name()));
    }
    if (!Names.isValidSecretName(key)) {
      problems.add(
          q
              + ": the name is invalid: use letters, digits and '.', '_', '+', '@', '-', not starting with '.'");
    }
    if (!MODE.matcher(s.fileMode()).matches()) {
      problems.add(
          q + ": file mode " + Names.quote(s.fileMode()) + " is not an octal mode such as 0400");
    }
    if (!ACCOUNT.matcher(s.fileOwner()).matches()) {
      problems.add(
          q
              + ": file owner "
              + Names.quote(s.fileOwner())
              + " is not a user name or uid: use letters, digits, '_', '.' and '-'");
    }
    if (!ACCOUNT.matcher(s.fileGroup()).matches()) {
      problems.add(
          q
              + ": file group "
              + Names.quote(s.fileGroup())
              + " is not a group name or gid: use letters, digits, '_', '.' and '-'");
    }
    s.generator()
        .ifPresent(
            g -> {
              g.runOn()
                  .ifPresent(
                      on -> {
                        if (!hosts().containsKey(on)) {
                          problems.add(
                              q
                                  + ": its generator runs on "
                                  + Names.quote(on)
                                  + ", which is not a host of the fleet: name a declared host");
                        }
                      });
              if (Generators.X509_LEAF.equals(g.kind())) {
                g.text("ca")
                    .ifPresent(
                        ca -> {
                          if (!s.dependsOn().contains(ca)) {
                            problems.add(
                                q
                                    + ": it is signed by "
                                    + Names.quote(ca)
                                    + " but does not list it in dependsOn: add dependsOn("
                                    + Names.quote(ca)
                                    + ") so it is regenerated with its CA");
                          }
                        });
              }
            });
  }

  /** Node ids: "shared/NAME" or "host/HOST/NAME". */
  private void checkDependencies(List<String> problems) {
    Map<String, List<String>> edges = new LinkedHashMap<>();
    for (SecretSpec s : sharedSecrets().values()) {
      List<String> to = new ArrayList<>();
      for (String d : s.dependsOn()) {
        if (sharedSecrets().containsKey(d)) {
          to.add("shared/" + d);
        } else {
          problems.add(
              "shared secret "
                  + Names.quote(s.name())
                  + " depends on "
                  + Names.quote(d)
                  + ", which is not a shared secret: declare it or remove it from dependsOn");
        }
      }
      edges.put("shared/" + s.name(), to);
    }
    for (Host h : hosts().values()) {
      for (SecretSpec s : h.secrets().values()) {
        List<String> to = new ArrayList<>();
        for (String d : s.dependsOn()) {
          if (h.secrets().containsKey(d)) {
            to.add("host/" + h.name() + "/" + d);
          } else if (sharedSecrets().containsKey(d)) {
            to.add("shared/" + d);
          } else {
            problems.add(
                "host "
                    + Names.quote(h.name())
                    + " secret "
                    + Names.quote(s.name())
                    + " depends on "
                    + Names.quote(d)
                    + ", which is neither a secret of that host nor a shared secret: declare it or remove it from dependsOn");
          }
        }
        edges.put("host/" + h.name() + "/" + s.name(), to);
      }
    }
    // Depth-first search; a back edge is a cycle, reported once with its path.
    Map<String, Integer> state = new HashMap<>();
    Set<String> reported = new HashSet<>();
    for (String start : edges.keySet()) {
      findCycles(start, edges, state, new ArrayList<>(), reported, problems);
    }
  }

  /** "shared/NAME" as {@code 'NAME'}, "host/HOST/NAME" as {@code 'NAME' (host 'HOST')}. */
  private static String describeNode(String node) {
    if (node.startsWith("shared/")) {
      return Names.quote(node.substring("shared/".length()));
    }
    String rest = node.substring("host/".length());
    int slash = rest.indexOf('/');
    return Names.quote(rest.substring(slash + 1))
        + " (host "
        + Names.quote(rest.substring(0, slash))
        + ")";
  }

  private static void findCycles(
      String node,
      Map<String, List<String>> edges,
      Map<String, Integer> state,
      List<String> path,
      Set<String> reported,
      List<String> problems) {
    Integer st = state.get(node);
    if (st != null && st == 2) {
      return;
    }
    if (st != null && st == 1) {
      List<String> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
      cycle.add(node);
      if (reported.add(
          new TreeMap<>(cycle.stream().collect(Collectors.toMap(c -> c, c -> c, (a, b) -> a)))
              .keySet()
              .toString())) {
        problems.add(
            "secrets depend on each other in a cycle: "
                + cycle.stream().map(Fleet::describeNode).collect(Collectors.joining(" -> "))
                + "; remove one of these dependsOn");
      }
      return;
    }
    state.put(node, 1);
    path.add(node);
    for (String next : edges.getOrDefault(node, List.of())) {
      findCycles(next, edges, state, path, reported, problems);
    }
    path.remove(path.size() - 1);
    state.put(node, 2);
  }

  /**
   * The fluent DSL. Hosts and secrets may be configured several times, by the user and by modules;
   * the calls merge as Nix modules do:
   *
   * <ul>
   *   <li>{@link #host(String, Consumer)} and {@link #sharedSecret(String, Consumer)} configure the
   *       host or secret further when it is already declared;
   *   <li>sets add up: a host's tags and secrets, a secret's owners and {@code dependsOn},
   *       whichever method sets them ({@code tags("a")}, {@code tags(List.of("a"))}, {@code
   *       expectedOwners("b")}, {@code owners(List.of("b"))} all add);
   *   <li>single values (a host's {@code system}, {@code target}, {@code systemPath}; a secret's
   *       {@code generator}, file owner, group and mode, {@code regenerateOn…}) are replaced by the
   *       later call; {@link #setting} replaces the setting of that key;
   *   <li>{@link #host(Host)} and {@link #sharedSecret(SecretSpec)} replace the whole host or
   *       secret; to remove tags or owners, use {@code replaceTags} or {@code replaceOwners}.
   * </ul>
   *
   * Modules run at {@link #build()}, in order, after everything else, so "later" for a module means
   * after every direct call.
   */
  @JsonPOJOBuilder(withPrefix = "")
  public static final class Builder {
    private String name = "default";
    private final Map<String, Host.Builder> hosts = new LinkedHashMap<>();
    private final Map<String, Host> builtHosts = new LinkedHashMap<>();
    private final Map<String, SecretSpec.Builder> sharedSecrets = new LinkedHashMap<>();
    private final Map<String, SecretSpec> builtSecrets = new LinkedHashMap<>();
    private final List<FleetModule> modules = new ArrayList<>();
    private final List<String> moduleNames = new ArrayList<>();
    private final Map<String, JsonNode> settings = new LinkedHashMap<>();
    private boolean building;

    Builder() {}

    /** Sets the configuration's name; {@code default} unless set. */
    public Builder name(String name) {
      this.name = requireArg(name, "fleet name");
      return this;
    }

    /**
     * Declares host {@code name}, or configures it further if already declared (in this builder or
     * by a module), with {@code spec}. Calling it twice for one host merges: tags and secrets add
     * up, single values set later win.
     *
     * @throws FleetConfigException if {@code name} or {@code spec} is null, or {@code spec} sets a
     *     null value (the message names the host and the attribute)
     */
    public Builder host(String name, Consumer<Host.Builder> spec) {
      requireArg(name, "host name");
      requireArg(spec, "the spec of host " + Names.quote(name));
      Host.Builder b = hosts.get(name);
      if (b == null) {
        b = Host.builder();
        Host existing = builtHosts.remove(name);
        if (existing != null) {
          b.fromDeclaringSecrets(existing);
        } else {
          b.name(name);
        }
        hosts.put(name, b);
      }
      Host.Builder target = b;
      configure("host " + Names.quote(name), () -> spec.accept(target));
      return this;
    }

    /**
     * Adds (or replaces) a host built elsewhere; a later {@link #host(String, Consumer)} of the
     * same name configures it further.
     */
    public Builder host(Host host) {
      requireArg(host, "host");
      hosts.remove(host.name());
      builtHosts.put(host.name(), host);
      return this;
    }

    /**
     * Declares shared secret {@code name}, or configures it further if already declared, with
     * {@code spec}.
     *
     * @throws FleetConfigException if {@code name} or {@code spec} is null, or {@code spec} sets a
     *     null value (the message names the secret and the attribute)
     */
    public Builder sharedSecret(String name, Consumer<SecretSpec.Builder> spec) {
      requireArg(name, "secret name");
      requireArg(spec, "the spec of shared secret " + Names.quote(name));
      SecretSpec.Builder b = sharedSecrets.get(name);
      if (b == null) {
        b = SecretSpec.builder();
        SecretSpec existing = builtSecrets.remove(name);
        if (existing != null) {
          b.from(existing);
        } else {
          b.name(name);
        }
        sharedSecrets.put(name, b);
      }
      SecretSpec.Builder target = b;
      configure("shared secret " + Names.quote(name), () -> spec.accept(target));
      return this;
    }

    /**
     * Adds (or replaces) a shared secret built elsewhere; a later {@link #sharedSecret(String,
     * Consumer)} of the same name configures it further.
     */
    public Builder sharedSecret(SecretSpec secret) {
      requireArg(secret, "secret");
      sharedSecrets.remove(secret.name());
      builtSecrets.put(secret.name(), secret);
      return this;
    }

    /**
     * Adds a multi-host module; it runs at {@link #build()}, after everything given directly, so it
     * may configure hosts declared after it. A module added by a module runs at once.
     *
     * @throws FleetConfigException if {@code module} is null
     */
    public Builder module(FleetModule module) {
      requireArg(module, "module");
      if (building) {
        apply(module);
      } else {
        modules.add(module);
      }
      return this;
    }

    private void apply(FleetModule module) {
      String name = module.name();
      configure("module " + Names.quote(name), () -> module.configure(this));
      moduleNames.add(name);
    }

    /**
     * Sets a fleet-wide setting (such as the configuration every host's system imports, the
     * original's {@code nixos} option); a later call for the same key replaces it.
     *
     * @throws FleetConfigException if {@code key} or {@code value} is null
     */
    public Builder setting(String key, JsonNode value) {
      requireArg(key, "setting name");
      settings.put(key, JsonValues.canonical(requireArg(value, "setting " + Names.quote(key))));
      return this;
    }

    @JsonProperty("hosts")
    Builder hosts(Map<String, Host> hosts) {
      hosts.values().forEach(this::host);
      return this;
    }

    @JsonProperty("sharedSecrets")
    Builder sharedSecrets(Map<String, SecretSpec> secrets) {
      secrets.values().forEach(this::sharedSecret);
      return this;
    }

    @JsonProperty("modules")
    Builder modules(List<String> names) {
      moduleNames.addAll(names);
      return this;
    }

    @JsonProperty("settings")
    Builder settings(Map<String, JsonNode> settings) {
      settings.forEach(this::setting);
      return this;
    }

    /**
     * Applies the modules, then builds the fleet. Does not validate; call {@link Fleet#validate()}.
     *
     * @throws FleetConfigException if a host or secret lacks a required value
     */
    public Fleet build() {
      building = true;
      try {
        List<FleetModule> pending = new ArrayList<>(modules);
        modules.clear();
        for (FleetModule m : pending) {
          apply(m);
        }
      } finally {
        building = false;
      }
      SortedMap<String, Host> allHosts = new TreeMap<>(builtHosts);
      for (Map.Entry<String, Host.Builder> e : hosts.entrySet()) {
        allHosts.put(
            e.getKey(), buildValue(e.getValue()::build, "host " + Names.quote(e.getKey())));
      }
      SortedMap<String, SecretSpec> allSecrets = new TreeMap<>(builtSecrets);
      for (Map.Entry<String, SecretSpec.Builder> e : sharedSecrets.entrySet()) {
        allSecrets.put(
            e.getKey(),
            buildValue(e.getValue()::build, "shared secret " + Names.quote(e.getKey())));
      }
      return ImmutableFleet.of(name, allHosts, allSecrets, moduleNames, new TreeMap<>(settings));
    }

    private static <T> T buildValue(java.util.function.Supplier<T> build, String what) {
      try {
        return build.get();
      } catch (IllegalStateException | NullPointerException | IllegalArgumentException e) {
        throw new FleetConfigException(
            what + " is incomplete or inconsistent: " + e.getMessage() + "; set it in its spec", e);
      }
    }

    /** Runs {@code action}, turning the builders' null checks into a message naming the thing. */
    private static void configure(String what, Runnable action) {
      try {
        action.run();
      } catch (NullPointerException e) {
        throw new FleetConfigException(
            what
                + ": a value is null"
                + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")")
                + "; give every value or leave it unset",
            e);
      } catch (FleetConfigException e) {
        throw e.getMessage().startsWith(what)
            ? e
            : new FleetConfigException(what + ": " + e.getMessage(), e);
      }
    }

    private static <T> T requireArg(T value, String what) {
      if (value == null) {
        throw new FleetConfigException(what + " is null; give one");
      }
      return value;
    }
  }

  /** The shared secret named {@code name}, if declared. */
  public Optional<SecretSpec> sharedSecret(String name) {
    return Optional.ofNullable(sharedSecrets().get(name));
  }
}
