package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.testkit.FakeEvaluator;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code Planner.buildOnTarget}: the controller only evaluates, the plan carries each host's
 * derivation and its closure, and the host realises its own system ({@link DeployStep#BUILD})
 * before it is armed. On fake hosts, which "build" the outputs the fake evaluator knows for a
 * derivation.
 */
class BuildOnTargetTest {
  @RegisterExtension final FakeFleet fake = FakeFleet.of(DeployerTest.fleet(3));

  final List<DeploymentEvent> events = new CopyOnWriteArrayList<>();

  Deployer deployer() {
    return Deployer.builder()
        .transport(fake.transport())
        .evaluator(fake.evaluator())
        .clock(fake.clock(), fake.clock()::sleep)
        .listener(events::add)
        .build();
  }

  List<String> steps(String host) {
    return events.stream()
        .filter(e -> e.host().equals(host) && e.kind() == DeploymentEvent.Kind.STEP_STARTED)
        .map(e -> e.step().orElseThrow().name())
        .toList();
  }

  @Test
  void planCarriesTheDerivationAndItsClosureInsteadOfTheBuiltSystem() {
    Deployer d = deployer();
    DeploymentPlan plan = d.plan(fake.fleet()).select("web-1").buildOnTarget(true).build();

    FakeEvaluator ev = fake.evaluator();
    String drv = ev.derivationPath("web-1", 2);
    assertThat(plan.derivations()).containsExactlyEntriesOf(java.util.Map.of("web-1", drv));
    assertThat(plan.systems()).containsEntry("web-1", fake.newSystem("web-1"));
    assertThat(plan.closureOf("web-1"))
        .extracting(StorePathInfo::path)
        .allMatch(p -> !p.equals(fake.newSystem("web-1")));
    assertThat(plan.closureOf("web-1"))
        .extracting(StorePathInfo::path)
        .contains(drv)
        .last()
        .isEqualTo(drv);
    // nothing was built on the controller: only evaluated
    assertThat(ev.builds()).isEmpty();
    assertThat(ev.derivationRequests()).containsExactly("web-1");
    assertThat(plan.summary())
        .contains("built on the target")
        .contains("built on the host from " + drv);
    assertThat(DeploymentPlan.fromJson(plan.toJson())).isEqualTo(plan);
  }

  @Test
  void hostBuildsItsSystemAfterTheCopyAndBeforeArming() {
    Deployer d = deployer();
    DeploymentReport report =
        d.execute(d.plan(fake.fleet()).select("web-1").buildOnTarget(true).build());

    assertThat(report).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
    FakeHost h = fake.host("web-1");
    assertThat(h).isOnNewSystem().hasNoRollbackMarker().receivedOnlyKnownCommands();
    assertThat(steps("web-1"))
        .containsExactly("PREFLIGHT", "COPY", "BUILD", "ARM", "ACTIVATE", "CHECK", "CONFIRM");
    assertThat(h.commands().stream().map(c -> c.op()).filter(o -> o != FakeHost.Op.STATUS).toList())
        .containsSubsequence(FakeHost.Op.IMPORT, FakeHost.Op.BUILD, FakeHost.Op.ARM);
    HostReport r = report.host("web-1");
    // The copy sent derivations and the builder source only; the host built the system's paths.
    assertThat(r.copiedPaths()).allMatch(p -> p.endsWith(".drv") || p.endsWith("fake-builder.sh"));
    assertThat(h.builtPaths())
        .containsExactlyInAnyOrder(
            fake.newSystem("web-1"),
            FakeEvaluator.storePath("etc-web-1-2"),
            FakeEvaluator.storePath("system-units-web-1-2"));
    assertThat(r.stepTimes()).containsKey(DeployStep.BUILD);
    assertThat(r.buildOutput()).isEmpty();
  }

  @Test
  void secondBuildOnTargetCopiesOnlyTheDerivationsTheHostLacks() {
    Deployer d = deployer();
    HostReport first =
        d.execute(d.plan(fake.fleet()).select("web-2").buildOnTarget(true).build()).host("web-2");
    fake.evaluator().bumpSystem("web-2");
    HostReport second =
        d.execute(d.plan(fake.fleet()).select("web-2").buildOnTarget(true).build()).host("web-2");

    assertThat(first.outcome()).isEqualTo(HostOutcome.CONFIRMED);
    assertThat(second.outcome()).isEqualTo(HostOutcome.CONFIRMED);
    // first: 5 base derivations + builder source + etc, units, system; then only the three new
    assertThat(first.copiedPaths()).hasSize(9);
    assertThat(second.copiedPaths())
        .containsExactlyInAnyOrder(
            FakeEvaluator.storePath("etc-web-2-3.drv"),
            FakeEvaluator.storePath("system-units-web-2-3.drv"),
            FakeEvaluator.storePath("nixos-system-web-2-3.drv"));
    assertThat(fake.host("web-2")).isRunning(fake.newSystem("web-2"));
  }

  @Test
  void aHostThatAlreadyHasTheSystemGetsNoCopyAndNoBuild() {
    Deployer d = deployer();
    d.execute(d.plan(fake.fleet()).select("web-3").action(DeployAction.UPLOAD).build());
    FakeHost h = fake.host("web-3");
    assertThat(h.hasPath(fake.newSystem("web-3"))).isTrue();
    h.clearCommands();
    events.clear();

    HostReport r =
        d.execute(d.plan(fake.fleet()).select("web-3").buildOnTarget(true).build()).host("web-3");

    assertThat(r.outcome()).isEqualTo(HostOutcome.CONFIRMED);
    assertThat(r.copiedPaths()).isEmpty();
    assertThat(h.commands()).noneMatch(c -> c.op() == FakeHost.Op.BUILD);
    assertThat(h.commands()).noneMatch(c -> c.op() == FakeHost.Op.IMPORT);
    assertThat(steps("web-3")).doesNotContain("BUILD");
    assertThat(h).isOnNewSystem();
  }

  @Test
  void theDerivationClosureIsCompressedWhenAsked() {
    Deployer d = deployer();
    HostReport r =
        d.execute(d.plan(fake.fleet()).select("web-1").buildOnTarget(true).compress(true).build())
            .host("web-1");

    assertThat(r.outcome()).isEqualTo(HostOutcome.CONFIRMED);
    assertThat(r.compressed()).isTrue();
    assertThat(r.copiedPaths()).hasSize(9);
    assertThat(fake.host("web-1").builtPaths()).contains(fake.newSystem("web-1"));
  }

  @Test
  void failedBuildEndsTheHostFailedWithTheBuildOutputAndNothingArmed() {
    fake.host("web-1").failNextBuild("cc1: internal compiler error: Segmentation fault");
    Deployer d = deployer();
    DeploymentReport report =
        d.execute(d.plan(fake.fleet()).select("web-1", "web-2").buildOnTarget(true).build());

    String drv = fake.evaluator().derivationPath("web-1", 2);
    assertThat(report)
        .hasOutcome("web-1", HostOutcome.FAILED)
        .failedAt("web-1", DeployStep.BUILD)
        .hasErrorContaining("web-1", "building the system derivation " + drv + " on web-1 failed")
        .hasErrorContaining("web-1", "internal compiler error")
        .hasErrorContaining("web-1", "nothing was activated");
    HostReport r = report.host("web-1");
    assertThat(r.buildOutput()).get().asString().contains("builder for '" + drv + "' failed");
    FakeHost h = fake.host("web-1");
    assertThat(h).isOnInitialSystem().hasNoRollbackMarker().wasNotConfirmed();
    assertThat(h.commands()).noneMatch(c -> c.op() == FakeHost.Op.ARM);
    assertThat(h.builtPaths()).isEmpty();
    assertThat(steps("web-1")).containsExactly("PREFLIGHT", "COPY", "BUILD");
    assertThat(
            events.stream()
                .filter(e -> e.kind() == DeploymentEvent.Kind.STEP_FAILED)
                .map(e -> e.step().orElseThrow()))
        .containsExactly(DeployStep.BUILD);
    // stop at the first failure (the default): web-2 ran in parallel or was skipped, never armed
    // after the failure was known
    assertThat(report.host("web-2").outcome()).isIn(HostOutcome.CONFIRMED, HostOutcome.SKIPPED);
  }

  @Test
  void onlySelectedHostsBuildOnTargetAndUploadStopsAfterTheBuild() {
    Deployer d = deployer();
    DeploymentPlan plan =
        d.plan(fake.fleet())
            .select("web-1", "web-2")
            .buildOnTarget("web-2")
            .action(DeployAction.UPLOAD)
            .build();
    assertThat(plan.derivations().keySet()).containsExactly("web-2");
    assertThat(fake.evaluator().builds()).containsExactly("web-1");

    DeploymentReport report = d.execute(plan);

    assertThat(report).isSuccessful().allHostsEnded(HostOutcome.UPLOADED);
    assertThat(steps("web-1")).containsExactly("PREFLIGHT", "COPY");
    assertThat(steps("web-2")).containsExactly("PREFLIGHT", "COPY", "BUILD");
    assertThat(fake.host("web-2").hasPath(fake.newSystem("web-2"))).isTrue();
    assertThat(fake.host("web-2")).isOnInitialSystem();
    Set<String> built = fake.host("web-1").builtPaths().stream().collect(Collectors.toSet());
    assertThat(built).isEmpty();
  }

  @Test
  void aGivenSystemPathAndBuildOnTargetForOneHostIsAConfigError() {
    Deployer d = deployer();
    assertThatThrownBy(
            () ->
                d.plan(fake.fleet())
                    .select("web-1")
                    .system("web-1", fake.newSystem("web-1"))
                    .buildOnTarget(true)
                    .build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("web-1")
        .hasMessageContaining("built on the target");
  }

  @Test
  void planRejectsADerivationThatIsNotADrvPath() {
    DeploymentPlan plan = deployer().plan(fake.fleet()).select("web-1").buildOnTarget(true).build();
    assertThatThrownBy(
            () ->
                DeploymentPlan.builder()
                    .from(plan)
                    .derivations(java.util.Map.of("web-1", fake.newSystem("web-1")))
                    .build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("is not the store path of a .drv file");
  }
}
