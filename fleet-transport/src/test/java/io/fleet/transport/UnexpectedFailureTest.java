package io.fleet.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.testkit.FakeEvaluator;
import io.fleet.testkit.FakeFleet;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An unexpected exception inside a host's run (here: the evaluator's export breaking during the
 * copy, before anything is armed) ends that host FAILED in the report; it never escapes {@link
 * Deployer#execute}, and the other hosts are deployed.
 */
class UnexpectedFailureTest {
  @RegisterExtension final FakeFleet fake = FakeFleet.of(DeployerTest.fleet(2));

  /** The fake evaluator, whose export fails with a bug-like exception for web-1's paths. */
  private static final class BrokenExport implements Evaluator {
    private final FakeEvaluator inner;

    BrokenExport(FakeEvaluator inner) {
      this.inner = inner;
    }

    @Override
    public Fleet evaluate(String flakeRef, String configuration) {
      return inner.evaluate(flakeRef, configuration);
    }

    @Override
    public Map<String, String> build(Fleet fleet, Collection<String> hosts, BuildListener l) {
      return inner.build(fleet, hosts, l);
    }

    @Override
    public List<StorePathInfo> closure(Collection<String> storePaths) {
      return inner.closure(storePaths);
    }

    @Override
    public void export(Collection<String> storePaths, OutputStream out) {
      if (storePaths.stream().anyMatch(p -> p.contains("web-1"))) {
        throw new IllegalStateException("export broke");
      }
      inner.export(storePaths, out);
    }
  }

  @Test
  void aHostWhoseRunThrowsIsReportedFailedAndTheOthersGoOn() {
    Deployer d =
        Deployer.builder()
            .transport(fake.transport())
            .evaluator(new BrokenExport(fake.evaluator()))
            .clock(fake.clock(), fake.clock()::sleep)
            .build();
    DeploymentReport report = d.execute(d.plan(fake.fleet()).keepGoing(true).build());

    HostReport web1 = report.host("web-1");
    assertThat(web1.outcome()).isEqualTo(HostOutcome.FAILED);
    assertThat(web1.failedStep()).hasValue(DeployStep.COPY);
    assertThat(web1.error())
        .hasValueSatisfying(
            e ->
                assertThat(e)
                    .contains("IllegalStateException", "export broke", "nothing was armed"));
    assertThat(fake.host("web-1").rollbackMarker()).isEmpty();
    assertThat(fake.host("web-1").generation()).isEqualTo(1L);
    assertThat(report.host("web-2").outcome()).isEqualTo(HostOutcome.CONFIRMED);
  }
}
