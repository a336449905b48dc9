package io.fleet.secrets;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetJson;
import io.fleet.api.FleetStyle;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * What a rotation will do: one {@link RotationStep} for every declared and every stored secret,
 * shared or per host, in the order they run (a secret after the secrets it depends on). A value:
 * make it with {@link SecretRotation#plan()}, inspect it, serialise it with {@link #toJson()}, run
 * it with {@link SecretRotation#execute(RotationPlan)}.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableRotationPlan.class)
@JsonDeserialize(as = ImmutableRotationPlan.class)
public abstract class RotationPlan {
  RotationPlan() {}

  /** The time the plan was made for (expiry and renewal windows are judged at it). */
  public abstract Instant plannedAt();

  /** Every secret's step, in execution order. */
  public abstract List<RotationStep> steps();

  /** The warnings of all steps. */
  @JsonIgnore
  public List<String> warnings() {
    return steps().stream()
        .map(RotationStep::warning)
        .flatMap(Optional::stream)
        .collect(Collectors.toList());
  }

  /** The steps that do something (all but {@link RotationAction#UNCHANGED}). */
  @JsonIgnore
  public List<RotationStep> pending() {
    return steps().stream()
        .filter(s -> s.action() != RotationAction.UNCHANGED)
        .collect(Collectors.toList());
  }

  /** Whether there is nothing to do. */
  @JsonIgnore
  public boolean isEmpty() {
    return pending().isEmpty();
  }

  /** The step of shared secret {@code name}, if any. */
  public Optional<RotationStep> shared(String name) {
    return step("shared/" + name);
  }

  /** The step of host secret {@code host}/{@code name}, if any. */
  public Optional<RotationStep> hostSecret(String host, String name) {
    return step("host/" + host + "/" + name);
  }

  /** The step with {@link RotationStep#id()} {@code id}, if any. */
  public Optional<RotationStep> step(String id) {
    return steps().stream().filter(s -> s.id().equals(id)).findFirst();
  }

  /** How many steps have each action. */
  @JsonIgnore
  public Map<RotationAction, Integer> counts() {
    Map<RotationAction, Integer> m = new EnumMap<>(RotationAction.class);
    for (RotationAction a : RotationAction.values()) {
      m.put(a, 0);
    }
    steps().forEach(s -> m.merge(s.action(), 1, Integer::sum));
    return m;
  }

  /** The plan as JSON. */
  public String toJson() {
    return FleetJson.toJson(this);
  }

  /**
   * A plan read back from {@link #toJson()}.
   *
   * @throws io.fleet.api.FleetConfigException if {@code json} is not a plan
   */
  public static RotationPlan fromJson(String json) {
    return FleetJson.fromJson(json, RotationPlan.class);
  }

  @Override
  public String toString() {
    return "RotationPlan{plannedAt=" + plannedAt() + ", " + counts() + "}";
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link RotationPlan}. */
  public static class Builder extends ImmutableRotationPlan.Builder {}
}
