package io.fleet.api.data;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import io.fleet.api.internal.JsonValues;
import java.util.Optional;
import java.util.SortedMap;
import org.immutables.value.Value;

/**
 * What the fleet data records about a host: its SSH host key ({@code ssh-ed25519 AAAA…}), which
 * secrets are encrypted to and which the SSH transport pins.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableHostData.class)
@JsonDeserialize(builder = HostData.Builder.class)
public abstract class HostData {
  HostData() {}

  /** The host's {@code ssh-ed25519} public key line, once known. */
  public abstract Optional<String> encryptionKey();

  /** Fields the library does not know, kept as they are (in JSON, beside the known ones). */
  @Value.NaturalOrder
  @JsonAnyGetter
  public abstract SortedMap<String, JsonNode> extraFields();

  @Value.Check
  HostData normalize() {
    if (JsonValues.isCanonical(extraFields())) {
      return this;
    }
    return builder().from(this).extraFields(JsonValues.canonical(extraFields())).build();
  }

  /** A host with key {@code encryptionKey}. */
  public static HostData withKey(String encryptionKey) {
    return builder().encryptionKey(encryptionKey).build();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link HostData}. */
  // Only the generated setters marked @JsonProperty and the any-setter are for Jackson: no
  // generated method starts with "set", so the overloads (addX(T), addX(T...)) do not conflict.
  @JsonPOJOBuilder(withPrefix = "set")
  public static class Builder extends ImmutableHostData.Builder {
    /** Keeps a field of a host the library does not know in {@link HostData#extraFields()}. */
    @JsonAnySetter
    public Builder putExtraField(String name, JsonNode value) {
      putExtraFields(name, value);
      return this;
    }
  }
}
