package io.fleet.api.data;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetStyle;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.immutables.value.Value;

/** A stored shared secret: the hosts it is currently encrypted to, and the secret. */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableSharedSecretData.class)
@JsonDeserialize(as = ImmutableSharedSecretData.class)
public abstract class SharedSecretData {
  SharedSecretData() {}

  /**
   * The hosts whose keys the encrypted parts are encrypted to, in the order the data file lists
   * them (the original fleet stores a list, and a load and save must not reorder it). Each host at
   * most once; compare owners with {@link #ownerSet()}.
   */
  public abstract List<String> owners();

  /** The owners as a set, for comparisons that must not depend on the stored order. */
  public SortedSet<String> ownerSet() {
    return new TreeSet<>(owners());
  }

  /** Each owner at most once. */
  @Value.Check
  void checkOwners() {
    Set<String> seen = new HashSet<>();
    for (String o : owners()) {
      if (!seen.add(o)) {
        throw new FleetConfigException(
            "a shared secret lists owner " + o + " twice; list each host once");
      }
    }
  }

  /** The secret. */
  public abstract StoredSecret secret();

  /** A shared secret encrypted to {@code owners}, kept in their iteration order. */
  public static SharedSecretData of(Iterable<String> owners, StoredSecret secret) {
    return builder().owners(owners).secret(secret).build();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link SharedSecretData}. */
  public static class Builder extends ImmutableSharedSecretData.Builder {}
}
