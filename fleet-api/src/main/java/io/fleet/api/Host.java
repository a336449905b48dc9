package io.fleet.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.function.Consumer;
import org.immutables.value.Value;

/**
 * A host of the fleet: its name, Nix system, tags (every host has {@code all}), how to reach it,
 * what system to deploy (a flake attribute or a store path), and its own secrets.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableHost.class)
@JsonDeserialize(as = ImmutableHost.class)
public abstract class Host {
  /** The tag every host has. */
  public static final String ALL = "all";

  Host() {}

  /** The host's name; see {@link Names#isValidHostName}. */
  public abstract String name();

  /** The Nix system, such as {@code x86_64-linux}. Default {@code x86_64-linux}. */
  @Value.Default
  public String system() {
    return "x86_64-linux";
  }

  /** The host's tags, always including {@code all}. */
  @Value.NaturalOrder
  public abstract SortedSet<String> tags();

  /** How to reach the host; empty means {@code root@<name>:22}. */
  public abstract Optional<DeployTarget> target();

  /** The flake attribute that builds the host's system (from an evaluator), if known. */
  public abstract Optional<String> systemAttribute();

  /** The store path of the host's system, once built or when given directly. */
  public abstract Optional<String> systemPath();

  /** The host's own secrets, by name. */
  public abstract Map<String, SecretSpec> secrets();

  /** Where to deploy: {@link #target()} or {@code root@<name>:22}. */
  @JsonIgnore
  public DeployTarget deployTarget() {
    return target().orElseGet(() -> DeployTarget.of(name()));
  }

  /** Whether the host has {@code tag}. */
  public boolean hasTag(String tag) {
    return tags().contains(tag);
  }

  @Value.Check
  Host normalize() {
    if (!tags().contains(ALL)) {
      return ImmutableHost.builder().from(this).addTags(ALL).build();
    }
    return this;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link Host}; {@code name} is required.
   *
   * <p>Merging, as Nix modules merge: tags <em>add up</em> whichever method sets them ({@link
   * #tags(String...)}, {@link #tags(Collection)}, {@code addTags}), {@link #secret} declares a
   * secret or configures it further (see {@link SecretSpec.Builder} for how a secret merges), and
   * every single value ({@code system}, {@code target}, {@code systemPath} …) is replaced by a
   * later call. To drop tags, call {@link #replaceTags(Collection)}.
   */
  public static class Builder extends ImmutableHost.Builder {
    /** Secrets declared with {@link #secret}, by name, still open to further configuration. */
    private final Map<String, SecretSpec.Builder> declared = new LinkedHashMap<>();

    /** Adds tags (every host also has {@value Host#ALL}). */
    public Builder tags(String... tags) {
      return addTags(tags);
    }

    /** Adds tags, as {@link #tags(String...)} does (a {@code List} or {@code Set} adds too). */
    public Builder tags(Collection<String> tags) {
      return addAllTags(tags);
    }

    /** Sets the tags to exactly {@code tags} (plus {@value Host#ALL}), dropping earlier ones. */
    public Builder replaceTags(Collection<String> tags) {
      return tags((Iterable<String>) tags);
    }

    /**
     * Sets the deploy target from {@code [user@]address[:port]}; see {@link DeployTarget#parse}.
     *
     * @throws FleetConfigException if {@code spec} is not of that form
     */
    public Builder target(String spec) {
      return target(DeployTarget.parse(spec));
    }

    /**
     * Declares host secret {@code name} and configures it with {@code spec}; when this builder
     * already declares it (through an earlier call or a host it was copied from), {@code spec}
     * configures it further, as Nix modules merge. The secret is built with the host.
     *
     * @throws FleetConfigException if {@code name} or {@code spec} is null, or {@code spec} sets a
     *     null value
     */
    public Builder secret(String name, Consumer<SecretSpec.Builder> spec) {
      if (name == null || spec == null) {
        throw new FleetConfigException(
            "host secret " + Names.quote(name) + ": secret(name, spec) needs a name and a spec");
      }
      SecretSpec.Builder b = declared.get(name);
      if (b == null) {
        b = SecretSpec.builder();
        b.name(name);
        declared.put(name, b);
      }
      try {
        spec.accept(b);
      } catch (NullPointerException e) {
        throw new FleetConfigException(
            "host secret "
                + Names.quote(name)
                + ": a value is null ("
                + e.getMessage()
                + "); give every value or leave it unset",
            e);
      }
      return this;
    }

    /**
     * Builds the host, with the secrets declared by {@link #secret} (which replace secrets of the
     * same name given by {@code putSecrets}).
     *
     * @throws IllegalStateException if {@code name} was not set
     */
    @Override
    public Host build() {
      Host base = super.build();
      if (declared.isEmpty()) {
        return base;
      }
      Map<String, SecretSpec> secrets = new LinkedHashMap<>(base.secrets());
      for (Map.Entry<String, SecretSpec.Builder> e : declared.entrySet()) {
        secrets.put(e.getKey(), e.getValue().build());
      }
      return new Builder().from(base).secrets(secrets).build();
    }

    /** Copies {@code host} into this builder, its secrets declared as by {@link #secret}. */
    Builder fromDeclaringSecrets(Host host) {
      from(withoutSecrets(host));
      host.secrets().forEach((n, s) -> secret(n, b -> b.from(s)));
      return this;
    }

    private static Host withoutSecrets(Host host) {
      return new Builder().from(host).secrets(Map.of()).build();
    }
  }
}
