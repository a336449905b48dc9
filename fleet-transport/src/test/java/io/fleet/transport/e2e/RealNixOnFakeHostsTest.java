package io.fleet.transport.e2e;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import io.fleet.transport.Deployer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A system built by the real {@code nix} (the test flake's v2: directories, an executable script,
 * symlinks, a random payload) deployed to fake hosts: the fake hosts read the real {@code nix-store
 * --export} stream, record each path with the NAR size and references nix reports, and activate.
 */
class RealNixOnFakeHostsTest {
  @TempDir Path tmp;

  @Test
  void aSystemBuiltByTheRealNixDeploysToFakeHosts() {
    Path flake = SystemFlake.write(tmp);
    Fleet fleet =
        Fleet.builder()
            .name("real-nix")
            .host("web-1", h -> system(h, flake))
            .host("web-2", h -> system(h, flake))
            .build();
    NixEvaluator nix =
        NixEvaluator.builder().option("substituters", "").option("flake-registry", "").build();
    try (nix;
        FakeFleet fake = FakeFleet.builder().fleet(fleet).evaluator(nix).build()) {
      Deployer deployer = fake.deployer();
      DeploymentPlan plan = deployer.plan(fleet).build();
      String system = plan.systems().get("web-1");
      assertThat(system).endsWith("-fleet-test-system-v2");
      assertThat(plan.systems()).containsEntry("web-2", system);
      List<StorePathInfo> closure = plan.closureOf("web-1");
      assertThat(closure).hasSizeGreaterThanOrEqualTo(3);
      long freeBefore = fake.host("web-1").freeBytes();

      DeploymentReport report = deployer.execute(plan);

      assertThat(report).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
      assertThat(fake).allOnNewSystem().allConfirmed().receivedOnlyKnownCommands();
      FakeHost web1 = fake.host("web-1");
      assertThat(web1).isRunning(system).boots(system).isOnGeneration(2);
      for (StorePathInfo p : closure) {
        assertThat(web1.hasPath(p.path())).as(p.path()).isTrue();
      }
      // The NAR sizes parsed from the real stream are the ones nix reports.
      long copied = closure.stream().mapToLong(StorePathInfo::narSize).sum();
      assertThat(freeBefore - web1.freeBytes()).isEqualTo(copied);
      assertThat(report.host("web-1").copiedPaths()).hasSize(closure.size());

      // A second deployment of the same system copies nothing.
      DeploymentReport again = deployer.execute(deployer.plan(fleet).build());
      assertThat(again).isSuccessful();
      assertThat(again.host("web-2").copiedPaths()).isEmpty();
    }
  }

  private static void system(io.fleet.api.Host.Builder h, Path flake) {
    h.system(SystemFlake.nixSystem())
        .systemAttribute("path:" + flake + "#" + SystemFlake.attribute("v2"));
  }
}
