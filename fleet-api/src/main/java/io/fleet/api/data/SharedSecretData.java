package io.fleet.api.data;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.util.SortedSet;
import org.immutables.value.Value;

/** A stored shared secret: the hosts it is currently encrypted to, and the secret. */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableSharedSecretData.class)
@JsonDeserialize(as = ImmutableSharedSecretData.class)
public abstract class SharedSecretData {
  SharedSecretData() {}

  /** The hosts whose keys the encrypted parts are encrypted to. */
  @Value.NaturalOrder
  public abstract SortedSet<String> owners();

  /** The secret. */
  public abstract StoredSecret secret();

  /** A shared secret encrypted to {@code owners}. */
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
