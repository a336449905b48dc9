package io.fleet.api.spi;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.util.SortedSet;
import org.immutables.value.Value;

/** One path of a Nix store closure: its size as a NAR and the paths it references. */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableStorePathInfo.class)
@JsonDeserialize(as = ImmutableStorePathInfo.class)
public abstract class StorePathInfo {
  StorePathInfo() {}

  /** The store path, such as {@code /nix/store/…-nixos-system-web-1}. */
  public abstract String path();

  /** The size of its NAR serialisation in bytes. */
  public abstract long narSize();

  /** The store paths it references (may include itself). */
  @Value.NaturalOrder
  public abstract SortedSet<String> references();

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link StorePathInfo}. */
  public static class Builder extends ImmutableStorePathInfo.Builder {}
}
