package io.fleet.examples;

import io.fleet.api.Fleet;
import io.fleet.api.FleetJson;

/**
 * The main example: builds the seed's fleet with the DSL, validates it and prints it as JSON.
 * Everything runs in-process, on no real infrastructure.
 */
public final class Demo {
  private Demo() {}

  /** Runs the demo. */
  public static void main(String[] args) {
    Fleet fleet = SeedFleet.build().validate();
    System.out.println(
        "== fleet "
            + fleet.name()
            + ": "
            + fleet.hosts().size()
            + " hosts, "
            + fleet.sharedSecrets().size()
            + " shared secrets, modules "
            + fleet.modules());
    System.out.println(FleetJson.toJson(fleet));
  }
}
