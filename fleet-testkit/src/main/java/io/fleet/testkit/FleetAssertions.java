package io.fleet.testkit;

import io.fleet.api.deploy.DeploymentReport;

/**
 * The entry point of the testkit's AssertJ assertions: {@code assertThat(fakeHost)}, {@code
 * assertThat(fakeFleet)} and {@code assertThat(report)}.
 */
public final class FleetAssertions {
  private FleetAssertions() {}

  /** Assertions on a fake host: generation, running system, marker, rollbacks. */
  public static FakeHostAssert assertThat(FakeHost host) {
    return new FakeHostAssert(host);
  }

  /** Assertions on every host of a fake fleet at once: new systems, confirmations, rollbacks. */
  public static FakeFleetAssert assertThat(FakeFleet fleet) {
    return new FakeFleetAssert(fleet);
  }

  /** Assertions on a deployment report: outcomes, failed steps, errors, generations. */
  public static DeploymentReportAssert assertThat(DeploymentReport report) {
    return new DeploymentReportAssert(report);
  }
}
