package io.fleet.api.spi;

/**
 * Makes a ready library component (a {@code Deployer}, a {@code SecretRotation}) from the parts of
 * a {@link WiringContext}. fleet-transport registers the one for {@code
 * io.fleet.transport.Deployer} and fleet-secrets the one for {@code
 * io.fleet.secrets.SecretRotation} in {@code META-INF/services/io.fleet.api.spi.ComponentWiring};
 * the testkit's {@code FakeFleet}, which depends on fleet-api only (so that those modules can use
 * it in their own tests), finds them with {@link java.util.ServiceLoader} to hand out components
 * already wired to its fake hosts.
 *
 * @param <T> the component's type
 */
public interface ComponentWiring<T> {
  /** The component's type, such as {@code io.fleet.transport.Deployer}. */
  Class<T> type();

  /**
   * A new component wired to {@code context}.
   *
   * @throws io.fleet.api.FleetConfigException if {@code context} lacks a part the component needs
   *     (the message says which)
   */
  T wire(WiringContext context);
}
