package io.fleet.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.internal.JsonValues;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * How a secret is generated: a generator {@link #kind()} (see {@link Generators} for the built-in
 * ones), its parameters, and optionally the host it must run on (the original fleet's {@code
 * impureOn}). The generator itself is found by kind through the {@code SecretGenerator} SPI.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableGeneratorSpec.class)
@JsonDeserialize(as = ImmutableGeneratorSpec.class)
public abstract class GeneratorSpec {
  GeneratorSpec() {}

  /** The generator's kind, such as {@code password} or {@code x509-ca}. */
  public abstract String kind();

  /** The generator's parameters, as JSON values. */
  public abstract Map<String, JsonNode> parameters();

  /** The host the generator must run on; empty to run where the library runs. */
  public abstract Optional<String> runOn();

  /** Puts the parameters in canonical JSON form, so that equality does not depend on origin. */
  @Value.Check
  GeneratorSpec normalize() {
    if (JsonValues.isCanonical(parameters())) {
      return this;
    }
    return builder().from(this).parameters(JsonValues.canonical(parameters())).build();
  }

  /** The text value of a parameter, if present. */
  public Optional<String> text(String parameter) {
    JsonNode node = parameters().get(parameter);
    return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
  }

  /** The integer value of a parameter, or {@code fallback}. */
  public long number(String parameter, long fallback) {
    JsonNode node = parameters().get(parameter);
    return node == null || !node.canConvertToLong() ? fallback : node.asLong();
  }

  /** This generator, run on {@code host}. */
  public GeneratorSpec onHost(String host) {
    return builder().from(this).runOn(host).build();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link GeneratorSpec}. */
  public static class Builder extends ImmutableGeneratorSpec.Builder {}
}
