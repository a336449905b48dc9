package io.fleet.secrets.internal;

import io.fleet.api.FleetConfigException;
import io.fleet.api.spi.ComponentWiring;
import io.fleet.api.spi.WiringContext;
import io.fleet.secrets.SecretRotation;

/**
 * Wires a {@link SecretRotation} to a {@link WiringContext}: its fleet, store, transport (to fetch
 * host keys, run generators and re-encrypt on the hosts) and clock. {@code FakeFleet.rotation} uses
 * it.
 */
public final class RotationWiring implements ComponentWiring<SecretRotation> {
  /** For {@code ServiceLoader}. */
  public RotationWiring() {}

  @Override
  public Class<SecretRotation> type() {
    return SecretRotation.class;
  }

  @Override
  public SecretRotation wire(WiringContext context) {
    return SecretRotation.builder()
        .fleet(context.fleet())
        .store(
            context
                .store()
                .orElseThrow(
                    () ->
                        new FleetConfigException(
                            "a secret rotation needs the store of the fleet data: use"
                                + " fakeFleet.rotation(store) rather than"
                                + " wired(SecretRotation.class)")))
        .transport(context.transport())
        .clock(context.clock())
        .build();
  }
}
