package io.fleet.testkit;

import io.fleet.api.deploy.DeploymentReport;

/**
 * The entry point of the testkit's AssertJ assertions: {@code assertThat(fakeHost)} and {@code
 * assertThat(report)}.
 */
public final class FleetAssertions {
  private FleetAssertions() {}

  /** Assertions on a fake host: generation, running system, marker, rollbacks. */
  public static FakeHostAssert assertThat(FakeHost host) {
    return new FakeHostAssert(host);
  }

  /** Assertions on a deployment report: outcomes, failed steps, errors, generations. */
  public static DeploymentReportAssert assertThat(DeploymentReport report) {
    return new DeploymentReportAssert(report);
  }
}
