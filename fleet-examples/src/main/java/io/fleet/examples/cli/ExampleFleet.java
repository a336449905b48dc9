package io.fleet.examples.cli;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Generators;
import io.fleet.examples.WireguardMesh;
import java.util.ArrayList;
import java.util.List;

/**
 * The fleet that {@code --fake N} runs on: {@code N} hosts, a third of them (at least one) {@code
 * db-*} tagged {@code db}, the rest {@code web-*} tagged {@code web}; all in a WireGuard mesh (a
 * key pair per host), and a shared {@code db-password} owned by the {@code db} hosts and the first
 * web host.
 */
public final class ExampleFleet {
  /** The most hosts {@code --fake} makes. */
  public static final int MAX_HOSTS = 500;

  private ExampleFleet() {}

  /**
   * The example fleet of {@code n} hosts.
   *
   * @throws FleetConfigException if {@code n} is not between 1 and {@value #MAX_HOSTS}
   */
  public static Fleet of(int n) {
    if (n < 1 || n > MAX_HOSTS) {
      throw new FleetConfigException(
          "--fake needs a number of hosts between 1 and " + MAX_HOSTS + ", not " + n);
    }
    int dbs = n == 1 ? 0 : Math.max(1, n / 3);
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= n - dbs; i++) {
      names.add("web-" + i);
    }
    for (int i = 1; i <= dbs; i++) {
      names.add("db-" + i);
    }
    Fleet.Builder b = Fleet.builder().name("example");
    List<String> dbOwners = new ArrayList<>();
    for (String h : names) {
      boolean db = h.startsWith("db-");
      b.host(h, x -> x.system("x86_64-linux").tags(db ? "db" : "web"));
      if (db || h.equals("web-1")) {
        dbOwners.add(h);
      }
    }
    return b.module(new WireguardMesh("wg0", names.toArray(String[]::new)))
        .sharedSecret(
            "db-password",
            s ->
                s.owners(dbOwners).regenerateOnOwnerAdded(false).generator(Generators.password(32)))
        .build()
        .validate();
  }
}
