package io.fleet.api.spi;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import org.immutables.value.Value;

/**
 * A host's system as a derivation, before anything is built: the {@code .drv} store path and the
 * output path building it gives. {@link Evaluator#derivations} returns these for building on the
 * target, where the controller only evaluates.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableSystemDerivation.class)
@JsonDeserialize(as = ImmutableSystemDerivation.class)
public abstract class SystemDerivation {
  SystemDerivation() {}

  /** The derivation's store path, {@code /nix/store/…-nixos-system-….drv}. */
  public abstract String drvPath();

  /** The store path of its {@code out} output: the system a deployment installs. */
  public abstract String outPath();

  /** A derivation and its output. */
  public static SystemDerivation of(String drvPath, String outPath) {
    return builder().drvPath(drvPath).outPath(outPath).build();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link SystemDerivation}. */
  public static class Builder extends ImmutableSystemDerivation.Builder {}
}
