package io.fleet.testkit;

import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on a {@link DeploymentReport}; get one with {@link
 * FleetAssertions#assertThat(DeploymentReport)}.
 */
public final class DeploymentReportAssert
    extends AbstractAssert<DeploymentReportAssert, DeploymentReport> {
  DeploymentReportAssert(DeploymentReport actual) {
    super(actual, DeploymentReportAssert.class);
  }

  /** Every host ended as planned. */
  public DeploymentReportAssert isSuccessful() {
    isNotNull();
    if (!actual.isSuccess()) {
      failWithMessage("Expected deployment to succeed but:%n%s", actual.summary());
    }
    return this;
  }

  /** Host {@code host} ended with {@code outcome}. */
  public DeploymentReportAssert hasOutcome(String host, HostOutcome outcome) {
    isNotNull();
    HostReport r = actual.host(host);
    if (r.outcome() != outcome) {
      failWithMessage(
          "Expected host <%s> to end <%s> but it ended <%s>%s",
          host,
          outcome,
          r.outcome(),
          r.error()
              .map(e -> " (" + r.failedStep().map(s -> s + ": ").orElse("") + e + ")")
              .orElse(""));
    }
    return this;
  }

  /** Host {@code host} failed at {@code step}. */
  public DeploymentReportAssert failedAt(String host, DeployStep step) {
    isNotNull();
    HostReport r = actual.host(host);
    if (r.failedStep().orElse(null) != step) {
      failWithMessage(
          "Expected host <%s> to fail at <%s> but its failed step is <%s> (outcome %s, error %s)",
          host, step, r.failedStep().orElse(null), r.outcome(), r.error().orElse("none"));
    }
    return this;
  }

  /** Host {@code host}'s error mentions {@code text}. */
  public DeploymentReportAssert hasErrorContaining(String host, String text) {
    isNotNull();
    HostReport r = actual.host(host);
    if (r.error().isEmpty() || !r.error().get().contains(text)) {
      failWithMessage(
          "Expected the error of host <%s> to contain <%s> but it is <%s>",
          host, text, r.error().orElse("none"));
    }
    return this;
  }

  /** Every host ended with {@code outcome}. */
  public DeploymentReportAssert allHostsEnded(HostOutcome outcome) {
    isNotNull();
    for (HostReport r : actual.hosts()) {
      hasOutcome(r.host(), outcome);
    }
    return this;
  }

  /** Host {@code host} went from generation {@code before} to {@code after}. */
  public DeploymentReportAssert hasGenerations(String host, long before, long after) {
    isNotNull();
    HostReport r = actual.host(host);
    if (r.generationBefore().orElse(-1L) != before || r.generationAfter().orElse(-1L) != after) {
      failWithMessage(
          "Expected host <%s> to go from generation <%s> to <%s> but the report says <%s> to <%s>",
          host, before, after, r.generationBefore().orElse(null), r.generationAfter().orElse(null));
    }
    return this;
  }

  /** The deployment was cancelled part way. */
  public DeploymentReportAssert wasCancelled() {
    isNotNull();
    if (!actual.cancelled()) {
      failWithMessage("Expected deployment to have been cancelled but it was not");
    }
    return this;
  }
}
