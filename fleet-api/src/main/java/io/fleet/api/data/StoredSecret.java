package io.fleet.api.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.time.Instant;
import java.util.Optional;
import java.util.SortedMap;
import org.immutables.value.Value;

/**
 * A secret as kept in the fleet data: when it was made, when it expires, the data it was generated
 * from, and its named parts (typically {@code secret}, encrypted, and {@code public}, plaintext).
 * Fields the library does not know are kept in {@link #extraFields()}.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableStoredSecret.class)
@JsonDeserialize(as = ImmutableStoredSecret.class)
public abstract class StoredSecret {
  StoredSecret() {}

  /** When the secret was generated. */
  public abstract Instant createdAt();

  /** When it stops being valid, if it does. */
  public abstract Optional<Instant> expiresAt();

  /** The data it was generated from (any JSON value), compared with the declared expectation. */
  public abstract Optional<JsonNode> generationData();

  /** The parts, by name. */
  @Value.NaturalOrder
  public abstract SortedMap<String, SecretPart> parts();

  /** Fields of the data file the library does not know, kept as they are. */
  @Value.NaturalOrder
  public abstract SortedMap<String, JsonNode> extraFields();

  /** The part named {@code name}, if present. */
  public Optional<SecretPart> part(String name) {
    return Optional.ofNullable(parts().get(name));
  }

  /** Whether it has expired at {@code now}. */
  public boolean isExpiredAt(Instant now) {
    return expiresAt().map(e -> !now.isBefore(e)).orElse(false);
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link StoredSecret}; {@code createdAt} is required. */
  public static class Builder extends ImmutableStoredSecret.Builder {}
}
