package io.fleet.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.internal.JsonValues;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.SortedSet;
import org.immutables.value.Value;

/**
 * A declared secret: its name, who owns it, how it is generated and when it must be regenerated,
 * and how it is installed on the owner hosts ({@code /run/secrets/<name>/<part>} with {@link
 * #fileOwner()}, {@link #fileGroup()}, {@link #fileMode()}).
 *
 * <p>For a shared secret, {@link #owners()} are the hosts that should have it (the original's
 * {@code expectedOwners}); a host secret leaves it empty and is owned by its host.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableSecretSpec.class)
@JsonDeserialize(as = ImmutableSecretSpec.class)
public abstract class SecretSpec {
  SecretSpec() {}

  /** The secret's name, unique among the secrets a host can see. */
  public abstract String name();

  /** The hosts that should have the secret (shared secrets only). */
  @Value.NaturalOrder
  public abstract SortedSet<String> owners();

  /** Regenerate the secret when an owner is added (otherwise re-encrypt it). Default true. */
  @Value.Default
  public boolean regenerateOnOwnerAdded() {
    return true;
  }

  /**
   * Regenerate the secret when an owner is removed; empty means the same as {@link
   * #regenerateOnOwnerAdded()}. Use {@link #regeneratesOnOwnerRemoved()} for the effective value.
   */
  public abstract Optional<Boolean> regenerateOnOwnerRemoved();

  /** The effective rule for removed owners. */
  @JsonIgnore
  public boolean regeneratesOnOwnerRemoved() {
    return regenerateOnOwnerRemoved().orElse(regenerateOnOwnerAdded());
  }

  /** How to generate the secret; empty for a secret that is only ever stored by hand. */
  public abstract Optional<GeneratorSpec> generator();

  /**
   * The generation data the stored secret must have; when it differs from what is stored, the
   * secret is regenerated (for example the SANs of a certificate).
   */
  public abstract Optional<JsonNode> expectedGenerationData();

  /**
   * Regenerate this long before the stored secret's {@code expiresAt}; empty: only once expired.
   */
  public abstract Optional<Duration> renewBefore();

  /** The secrets this one is derived from; it is regenerated whenever one of them is. */
  @Value.NaturalOrder
  public abstract SortedSet<String> dependsOn();

  /** The owner of the installed files on the host. Default {@code root}. */
  @Value.Default
  public String fileOwner() {
    return "root";
  }

  /** The group of the installed files on the host. Default {@code root}. */
  @Value.Default
  public String fileGroup() {
    return "root";
  }

  /** The octal mode of the installed files on the host. Default {@code 0400}. */
  @Value.Default
  public String fileMode() {
    return "0400";
  }

  /** Puts the expected generation data in canonical JSON form (see {@link JsonValues}). */
  @Value.Check
  SecretSpec normalize() {
    if (expectedGenerationData().map(JsonValues::isCanonical).orElse(true)) {
      return this;
    }
    return builder()
        .from(this)
        .expectedGenerationData(JsonValues.canonical(expectedGenerationData()))
        .build();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link SecretSpec}; {@code name} is required.
   *
   * <p>Merging, as Nix modules merge: owners and {@code dependsOn} <em>add up</em> whichever method
   * sets them ({@link #expectedOwners(String...)}, {@link #expectedOwners(Collection)}, {@link
   * #owners(Collection)}, {@code addOwners}, {@link #dependsOn(String...)}), so two modules that
   * each add an owner to one secret both count; every single value ({@code generator}, {@code
   * fileMode}, {@code regenerateOnOwnerAdded} …) is replaced by a later call. To drop owners, call
   * {@link #replaceOwners(Collection)}.
   */
  public static class Builder extends ImmutableSecretSpec.Builder {
    /** Adds hosts that should have this shared secret (to those already declared). */
    public Builder expectedOwners(String... hosts) {
      return addOwners(hosts);
    }

    /** Adds hosts that should have this shared secret (to those already declared). */
    public Builder expectedOwners(Collection<String> hosts) {
      return addAllOwners(hosts);
    }

    /**
     * Adds hosts that should have this shared secret, as {@link #expectedOwners(Collection)} does
     * (an owner list given as a {@code List} or {@code Set} adds, like the varargs form).
     */
    public Builder owners(Collection<String> hosts) {
      return addAllOwners(hosts);
    }

    /** Sets the owners to exactly {@code hosts}, dropping every owner declared before. */
    public Builder replaceOwners(Collection<String> hosts) {
      return owners((Iterable<String>) hosts);
    }

    /** Adds secrets this one is derived from. */
    public Builder dependsOn(String... secrets) {
      return addDependsOn(secrets);
    }
  }
}
