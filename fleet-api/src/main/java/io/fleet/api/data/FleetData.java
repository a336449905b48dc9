package io.fleet.api.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
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
@JsonDeserialize(as = ImmutableFleetData.class)
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

  /** Top-level fields the library does not know, kept as they are. */
  @Value.NaturalOrder
  public abstract SortedMap<String, JsonNode> extraFields();

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

  /** A copy with {@code host}'s key set to {@code key}. */
  public FleetData withHostKey(String host, String key) {
    HostData old = hosts().get(host);
    HostData updated =
        old == null
            ? HostData.withKey(key)
            : HostData.builder().from(old).encryptionKey(key).build();
    // A copy of the map: the builder refuses a second put of a key it already holds.
    SortedMap<String, HostData> m = new TreeMap<>(hosts());
    m.put(host, updated);
    return builder().from(this).hosts(m).build();
  }

  /** A copy with shared secret {@code name} set. */
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

  /** A copy with host secret {@code host}/{@code name} set. */
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

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link FleetData}. */
  public static class Builder extends ImmutableFleetData.Builder {}
}
