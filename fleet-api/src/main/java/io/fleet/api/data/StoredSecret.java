package io.fleet.api.data;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import io.fleet.api.internal.JsonValues;
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
@JsonDeserialize(builder = StoredSecret.Builder.class)
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

  /**
   * Fields of the data file the library does not know, kept as they are (in JSON, beside the known
   * ones).
   */
  @Value.NaturalOrder
  @JsonAnyGetter
  public abstract SortedMap<String, JsonNode> extraFields();

  /** Puts the JSON values in canonical form, so that equality does not depend on their origin. */
  @Value.Check
  StoredSecret normalize() {
    if (JsonValues.isCanonical(extraFields())
        && generationData().map(JsonValues::isCanonical).orElse(true)) {
      return this;
    }
    return builder()
        .from(this)
        .extraFields(JsonValues.canonical(extraFields()))
        .generationData(JsonValues.canonical(generationData()))
        .build();
  }

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
  // Only the generated setters marked @JsonProperty and the any-setter are for Jackson: no
  // generated method starts with "set", so the overloads (addX(T), addX(T...)) do not conflict.
  @JsonPOJOBuilder(withPrefix = "set")
  public static class Builder extends ImmutableStoredSecret.Builder {
    /**
     * Keeps a field of a stored secret the library does not know in {@link
     * StoredSecret#extraFields()}.
     */
    @JsonAnySetter
    public Builder putExtraField(String name, JsonNode value) {
      putExtraFields(name, value);
      return this;
    }
  }
}
