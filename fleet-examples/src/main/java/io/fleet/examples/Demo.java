package io.fleet.examples;

import io.fleet.api.Fleet;
import io.fleet.api.FleetJson;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostReport;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import io.fleet.transport.Deployer;

/**
 * The main example: builds the seed's fleet with the DSL, validates it and prints it as JSON; then
 * deploys it to fake hosts (a canary first, then the rest), where one host's activation fails and
 * is rolled back, and prints the report. Everything runs in-process, on no real infrastructure.
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
    deploy(fleet);
    SecretsDemo.run();
  }

  private static void deploy(Fleet fleet) {
    try (FakeFleet fake = FakeFleet.of(fleet)) {
      // Script: worker-2's new system fails to activate.
      fake.host("worker-2").failNextActivation();
      Deployer deployer =
          Deployer.builder()
              .transport(fake.transport())
              .evaluator(fake.evaluator())
              .clock(fake.clock(), fake.clock()::sleep)
              .listener(
                  e -> {
                    if (e.kind() == DeploymentEvent.Kind.STEP_FAILED
                        || e.kind() == DeploymentEvent.Kind.HOST_FINISHED) {
                      System.out.println("   event: " + e);
                    }
                  })
              .build();
      DeploymentPlan plan =
          deployer
              .plan(fleet)
              .action(DeployAction.SWITCH)
              .canary(1)
              .parallelism(4)
              .keepGoing(true)
              .healthCheck(HealthCheck.command("systemctl", "is-system-running"))
              .build();
      System.out.println(
          "== deploying "
              + plan.hosts().size()
              + " hosts to fake hosts in "
              + plan.batches().size()
              + " batches (canary "
              + plan.batches().get(0)
              + ")");
      DeploymentReport report = deployer.execute(plan);
      System.out.println("== " + report.summary());
      System.out.printf(
          "   %-15s %-12s %-11s %-6s %s%n", "host", "outcome", "generation", "paths", "step");
      for (HostReport r : report.hosts()) {
        FakeHost h = fake.host(r.host());
        System.out.printf(
            "   %-15s %-12s %-11s %-6d %s%n",
            r.host(),
            r.outcome(),
            r.generationBefore().map(String::valueOf).orElse("?") + " -> " + h.generation(),
            r.copiedPaths().size(),
            r.failedStep().map(s -> "failed at " + s).orElse("confirmed"));
      }
      FakeHost failed = fake.host("worker-2");
      System.out.println(
          "== worker-2 after the rollback: generation "
              + failed.generation()
              + ", running its previous system: "
              + failed.currentSystem().equals(fake.initialSystem("worker-2"))
              + ", rollback marker: "
              + failed.rollbackMarker().isPresent()
              + ", rollbacks "
              + failed.rollbacks());
      System.out.println("== report of worker-2 as JSON");
      System.out.println(FleetJson.toJson(report.host("worker-2")));
    }
  }
}
