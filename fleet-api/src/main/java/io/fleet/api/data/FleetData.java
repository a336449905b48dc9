package io.fleet.api.data;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.google.common.collect.ImmutableSortedMap;
import io.fleet.api.FleetStyle;
import io.fleet.api.Names;
import io.fleet.api.internal.JsonValues;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * The fleet's state kept in git, as the original fleet keeps it in {@code fleet.nix}: the data
 * format version, the GC root prefix, the hosts' keys, and every stored secret (shared and per
 * host). Fields the library does not know are kept in {@link #extraFields()}.
 *
 * <p>An immutable value; the {@code with…}/{@code without…} methods return changed copies.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableFleetData.class)
@JsonDeserialize(builder = FleetData.Builder.class)
public abstract class FleetData {
  /** The only data format version this library reads and writes. */
  public static final String VERSION = "0.1.0";

  FleetData() {}

  /** The data format version; {@value #VERSION}. */
  @Value.Default
  public String version() {
    return VERSION;
  }

  /** The prefix of the GC roots the original creates for built systems. */
  public abstract Optional<String> gcRootPrefix();

  /** The original's {@code managerKeys}, kept as they are. */
  public abstract List<JsonNode> managerKeys();

  /** The hosts, by name. */
  @Value.NaturalOrder
  public abstract SortedMap<String, HostData> hosts();

  /** The shared secrets, by name. */
  @Value.NaturalOrder
  public abstract SortedMap<String, SharedSecretData> sharedSecrets();

  /** The host secrets, by host, then by secret name. */
  @Value.NaturalOrder
  public abstract SortedMap<String, Map<String, StoredSecret>> hostSecrets();

  /**
   * Top-level fields the library does not know, kept as they are. In JSON they sit beside the known
   * fields (not under an {@code extraFields} key), so a file written by a newer tool keeps them
   * through a load and save.
   */
  @Value.NaturalOrder
  @JsonAnyGetter
  public abstract SortedMap<String, JsonNode> extraFields();

  /**
   * Makes the value deeply immutable (the per-host maps of {@link #hostSecrets()} are copied into
   * immutable sorted maps) and its JSON values canonical (see {@link JsonValues}).
   */
  @Value.Check
  FleetData normalize() {
    boolean innerImmutable =
        hostSecrets().values().stream().allMatch(m -> m instanceof ImmutableSortedMap);
    boolean canonical =
        JsonValues.isCanonical(extraFields())
            && managerKeys().stream().allMatch(JsonValues::isCanonical);
    if (innerImmutable && canonical) {
      return this;
    }
    SortedMap<String, Map<String, StoredSecret>> outer = new TreeMap<>();
    hostSecrets().forEach((h, m) -> outer.put(h, ImmutableSortedMap.copyOf(m)));
    return ImmutableFleetData.builder()
        .from(this)
        .hostSecrets(outer)
        .extraFields(JsonValues.canonical(extraFields()))
        .managerKeys(managerKeys().stream().map(JsonValues::canonical).collect(Collectors.toList()))
        .build();
  }

  /** Empty data of the current version. */
  public static FleetData empty() {
    return builder().build();
  }

  /** The recorded key of {@code host}, if any. */
  public Optional<String> hostKey(String host) {
    HostData h = hosts().get(host);
    return h == null ? Optional.empty() : h.encryptionKey();
  }

  /** The stored host secret, if any. */
  public Optional<StoredSecret> hostSecret(String host, String name) {
    Map<String, StoredSecret> m = hostSecrets().get(host);
    return m == null ? Optional.empty() : Optional.ofNullable(m.get(name));
  }

  /** The stored shared secret, if any. */
  public Optional<SharedSecretData> sharedSecret(String name) {
    return Optional.ofNullable(sharedSecrets().get(name));
  }

  /** A copy with {@code host}'s key set to {@code key} (added or replaced). */
  public FleetData withHostKey(String host, String key) {
    HostData old = hosts().get(host);
    HostData updated =
        old == null
            ? HostData.withKey(key)
            : HostData.builder().from(old).encryptionKey(key).build();
    SortedMap<String, HostData> m = new TreeMap<>(hosts());
    m.put(host, updated);
    return builder().from(this).hosts(m).build();
  }

  /** A copy with shared secret {@code name} set (added or replaced). */
  public FleetData withSharedSecret(String name, SharedSecretData secret) {
    SortedMap<String, SharedSecretData> m = new TreeMap<>(sharedSecrets());
    m.put(name, secret);
    return builder().from(this).sharedSecrets(m).build();
  }

  /** A copy without shared secret {@code name}. */
  public FleetData withoutSharedSecret(String name) {
    SortedMap<String, SharedSecretData> m = new TreeMap<>(sharedSecrets());
    m.remove(name);
    return builder().from(this).sharedSecrets(m).build();
  }

  /** A copy with host secret {@code host}/{@code name} set (added or replaced). */
  public FleetData withHostSecret(String host, String name, StoredSecret secret) {
    SortedMap<String, StoredSecret> inner =
        new TreeMap<>(hostSecrets().getOrDefault(host, Map.of()));
    inner.put(name, secret);
    SortedMap<String, Map<String, StoredSecret>> outer = new TreeMap<>(hostSecrets());
    outer.put(host, inner);
    return builder().from(this).hostSecrets(outer).build();
  }

  /**
   * A copy without host secret {@code host}/{@code name} (and without the host's entry if empty).
   */
  public FleetData withoutHostSecret(String host, String name) {
    SortedMap<String, Map<String, StoredSecret>> outer = new TreeMap<>(hostSecrets());
    SortedMap<String, StoredSecret> inner = new TreeMap<>(outer.getOrDefault(host, Map.of()));
    inner.remove(name);
    if (inner.isEmpty()) {
      outer.remove(host);
    } else {
      outer.put(host, inner);
    }
    return builder().from(this).hostSecrets(outer).build();
  }

  /**
   * Every host, secret, owner and part name that {@link io.fleet.api.Names} does not allow, as
   * messages; empty when all are valid. Stores refuse to write data with such a name (it could not
   * be read back, and on a host it would become a path outside {@code /run/secrets}).
   */
  public List<String> nameProblems() {
    List<String> problems = new java.util.ArrayList<>();
    hosts()
        .keySet()
        .forEach(h -> Names.hostNameProblem(h).ifPresent(p -> problems.add("hosts: " + p)));
    sharedSecrets()
        .forEach(
            (name, s) -> {
              String where = "shared secret " + Names.quote(name);
              Names.secretNameProblem(name).ifPresent(p -> problems.add("sharedSecrets: " + p));
              s.owners()
                  .forEach(
                      o ->
                          Names.hostNameProblem(o)
                              .ifPresent(p -> problems.add(where + ": owner " + p)));
              s.secret()
                  .parts()
                  .keySet()
                  .forEach(
                      n -> Names.partNameProblem(n).ifPresent(p -> problems.add(where + ": " + p)));
            });
    hostSecrets()
        .forEach(
            (host, m) -> {
              Names.hostNameProblem(host).ifPresent(p -> problems.add("hostSecrets: " + p));
              m.forEach(
                  (name, s) -> {
                    String where = "host " + Names.quote(host) + " secret " + Names.quote(name);
                    Names.secretNameProblem(name)
                        .ifPresent(p -> problems.add("host " + Names.quote(host) + ": " + p));
                    s.parts()
                        .keySet()
                        .forEach(
                            n ->
                                Names.partNameProblem(n)
                                    .ifPresent(p -> problems.add(where + ": " + p)));
                  });
            });
    return problems;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link FleetData}. Each {@code put…} of a key already present makes {@link #build()}
   * fail; use the {@code with…} methods of {@link FleetData} to replace entries.
   */
  // Only the generated setters marked @JsonProperty and the any-setter are for Jackson: no
  // generated method starts with "set", so the overloads (addX(T), addX(T...)) do not conflict.
  @JsonPOJOBuilder(withPrefix = "set")
  public static class Builder extends ImmutableFleetData.Builder {
    /** Keeps a top-level field the library does not know in {@link FleetData#extraFields()}. */
    @JsonAnySetter
    public Builder putExtraField(String name, JsonNode value) {
      putExtraFields(name, value);
      return this;
    }
  }
}
