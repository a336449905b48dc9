package io.fleet.secrets;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.immutables.value.Value;

/**
 * One secret's entry in a {@link RotationPlan}: which secret (shared, or a host's), what to do,
 * why, and the owners before and after. Holds no secret material.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableRotationStep.class)
@JsonDeserialize(as = ImmutableRotationStep.class)
public abstract class RotationStep {
  RotationStep() {}

  /** The host of a host secret; empty for a shared secret. */
  public abstract Optional<String> host();

  /** The secret's name. */
  public abstract String name();

  /** What to do. */
  public abstract RotationAction action();

  /** Why, most important first; never empty. */
  public abstract List<RotationReason> reasons();

  /** The reasons in words, naming owners, dates and dependencies. */
  public abstract String description();

  /** The owners the stored secret is encrypted to; empty when it is not stored. */
  @Value.NaturalOrder
  public abstract SortedSet<String> ownersBefore();

  /** The owners it will be encrypted to; empty when it is removed. */
  @Value.NaturalOrder
  public abstract SortedSet<String> ownersAfter();

  /** A warning for the operator, such as an owner removed who may still hold the value. */
  public abstract Optional<String> warning();

  /** {@code shared/<name>} or {@code host/<host>/<name>}: unique within a plan. */
  @JsonIgnore
  public String id() {
    return host().map(h -> "host/" + h + "/" + name()).orElse("shared/" + name());
  }

  /** Owners in {@link #ownersAfter()} but not in {@link #ownersBefore()}. */
  @JsonIgnore
  public SortedSet<String> addedOwners() {
    SortedSet<String> s = new TreeSet<>(ownersAfter());
    s.removeAll(ownersBefore());
    return s;
  }

  /** Owners in {@link #ownersBefore()} but not in {@link #ownersAfter()}. */
  @JsonIgnore
  public SortedSet<String> removedOwners() {
    SortedSet<String> s = new TreeSet<>(ownersBefore());
    s.removeAll(ownersAfter());
    return s;
  }

  @Value.Check
  void check() {
    if (reasons().isEmpty()) {
      throw new IllegalStateException("a rotation step needs at least one reason");
    }
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link RotationStep}. */
  public static class Builder extends ImmutableRotationStep.Builder {}
}
