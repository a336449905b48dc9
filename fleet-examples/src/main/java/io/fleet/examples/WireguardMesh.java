package io.fleet.examples;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetModule;
import io.fleet.api.Generators;
import java.util.List;

/**
 * A multi-host module that wires hosts into a WireGuard mesh: each host gets a tag and its own key
 * pair as a host secret.
 */
public final class WireguardMesh implements FleetModule {
  private final String iface;
  private final List<String> hosts;

  /**
   * A mesh on interface {@code iface} between {@code hosts}.
   *
   * @throws FleetConfigException if the interface or a host is missing
   */
  public WireguardMesh(String iface, String... hosts) {
    if (iface == null || hosts == null || java.util.Arrays.asList(hosts).contains(null)) {
      throw new FleetConfigException("a WireGuard mesh needs an interface name and host names");
    }
    this.iface = iface;
    this.hosts = List.of(hosts);
  }

  /** Tags each host {@code wg-<iface>} and gives it a WireGuard key pair as a host secret. */
  @Override
  public void configure(Fleet.Builder fleet) {
    for (String host : hosts) {
      fleet.host(
          host,
          h ->
              h.tags("wg-" + iface)
                  .secret(
                      "wireguard-" + iface,
                      s -> s.generator(Generators.wireguard()).fileOwner("systemd-network")));
    }
  }

  /** {@code wireguard(<iface>)}. */
  @Override
  public String name() {
    return "wireguard(" + iface + ")";
  }
}
