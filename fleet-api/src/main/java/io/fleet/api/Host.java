package io.fleet.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
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
   * Builds a {@link Host}; {@code name} is required. Calling a setter again replaces the value;
   * {@link #tags(String...)} and {@link #secret} add.
   */
  public static class Builder extends ImmutableHost.Builder {
    /** Adds tags. */
    public Builder tags(String... tags) {
      return addTags(tags);
    }

    /**
     * Sets the deploy target from {@code [user@]address[:port]}; see {@link DeployTarget#parse}.
     */
    public Builder target(String spec) {
      return target(DeployTarget.parse(spec));
    }

    /** Declares (or replaces) a host secret named {@code name}, configured by {@code spec}. */
    public Builder secret(String name, Consumer<SecretSpec.Builder> spec) {
      SecretSpec.Builder b = SecretSpec.builder();
      b.name(name);
      spec.accept(b);
      return putSecrets(name, b.build());
    }
  }
}
