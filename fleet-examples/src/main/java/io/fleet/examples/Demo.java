package io.fleet.examples;

import io.fleet.api.Fleet;
import io.fleet.api.FleetJson;
import io.fleet.api.Host;
import java.io.PrintStream;
import java.util.stream.Collectors;

/**
 * The main example: builds the seed's fleet with the DSL, validates it and prints a summary and the
 * fleet as JSON. Everything runs in-process, on no real infrastructure.
 */
public final class Demo {
  private Demo() {}

  /** Runs the demo, printing to standard output. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the demo, printing to {@code out}; returns the validated fleet. */
  public static Fleet run(PrintStream out) {
    Fleet fleet = SeedFleet.build().validate();
    out.println(
        "== fleet "
            + fleet.name()
            + ": "
            + fleet.hosts().size()
            + " hosts, "
            + fleet.sharedSecrets().size()
            + " shared secrets, modules "
            + fleet.modules());
    for (Host h : fleet.hosts().values()) {
      out.println(
          "   "
              + h.name()
              + " ("
              + h.system()
              + ") tags "
              + h.tags()
              + ", secrets "
              + h.secrets().keySet()
              + ", shared "
              + fleet.sharedSecrets().values().stream()
                  .filter(s -> s.owners().contains(h.name()))
                  .map(s -> s.name())
                  .collect(Collectors.toList()));
    }
    out.println("== as JSON");
    out.println(FleetJson.toJson(fleet));
    return fleet;
  }
}
