package io.fleet.secrets;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.util.List;
import java.util.SortedMap;
import org.immutables.value.Value;

/**
 * What {@link SecretRotation#execute(RotationPlan)} did: the steps carried out (each saved to the
 * fleet data as it finished), the host keys it fetched, and its warnings.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableRotationResult.class)
@JsonDeserialize(as = ImmutableRotationResult.class)
public abstract class RotationResult {
  RotationResult() {}

  /** The plan that was executed. */
  public abstract RotationPlan plan();

  /** The steps carried out and saved, in order (unchanged steps are not listed). */
  public abstract List<RotationStep> done();

  /** Host keys fetched from hosts that had none recorded, by host. */
  @Value.NaturalOrder
  public abstract SortedMap<String, String> fetchedHostKeys();

  /** Warnings, such as an owner removed without regeneration. */
  public abstract List<String> warnings();

  @Override
  public String toString() {
    return "RotationResult{done="
        + done().size()
        + ", fetchedHostKeys="
        + fetchedHostKeys().keySet()
        + ", warnings="
        + warnings().size()
        + "}";
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link RotationResult}. */
  public static class Builder extends ImmutableRotationResult.Builder {}
}
