package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeEvaluator;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DeployerTest {
  static Fleet fleet(int n) {
    Fleet.Builder b = Fleet.builder().name("test");
    for (int i = 1; i <= n; i++) {
      int k = i;
      b.host("web-" + i, h -> h.tags(k == 1 ? "canary" : "web"));
    }
    return b.build();
  }

  @RegisterExtension final FakeFleet fake = FakeFleet.of(fleet(3));

  final List<DeploymentEvent> events = new CopyOnWriteArrayList<>();

  Deployer deployer() {
    return Deployer.builder()
        .transport(fake.transport())
        .evaluator(fake.evaluator())
        .clock(fake.clock(), fake.clock()::sleep)
        .listener(events::add)
        .build();
  }

  @Test
  void switchHappyPathTakesFourRoundTripsPlusTheCopy() {
    Deployer d = deployer();
    DeploymentReport report = d.execute(d.plan(fake.fleet()).action(DeployAction.SWITCH).build());

    assertThat(report).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
    for (FakeHost h : fake.hosts()) {
      assertThat(h)
          .isOnGeneration(2)
          .isRunning(fake.newSystem(h.name()))
          .boots(fake.newSystem(h.name()))
          .hasNoRollbackMarker()
          .wasNotRolledBack()
          .receivedOnlyKnownCommands();
      List<FakeHost.Op> ops =
          h.commands().stream().map(FakeCommand::op).collect(Collectors.toList());
      assertThat(ops)
          .containsExactly(
              FakeHost.Op.STATUS,
              FakeHost.Op.IMPORT,
              FakeHost.Op.ARM,
              FakeHost.Op.ACTIVATE,
              FakeHost.Op.CONFIRM);
      long roundTrips = ops.stream().filter(o -> o != FakeHost.Op.IMPORT).count();
      assertThat(roundTrips).isLessThanOrEqualTo(4);
      assertThat(report.host(h.name()).roundTrips()).isEqualTo(4);
      // confirmation came over a new connection
      assertThat(h.commands().get(4).connection()).isNotEqualTo(h.commands().get(0).connection());
      // only the host's own three new paths were copied, not the shared base packages
      assertThat(report.host(h.name()).copiedPaths()).hasSize(3);
      assertThat(report.host(h.name()).copiedPaths()).last().isEqualTo(fake.newSystem(h.name()));
      assertThat(report).hasGenerations(h.name(), 1, 2);
    }
    assertThat(events)
        .anyMatch(e -> e.kind() == DeploymentEvent.Kind.PROGRESS && e.total() > 0)
        .anyMatch(e -> e.step().orElse(null) == DeployStep.CONFIRM);
  }

  @Test
  void secondDeploymentOfTheSameSystemCopiesNothing() {
    Deployer d = deployer();
    d.execute(d.plan(fake.fleet()).select("web-1").action(DeployAction.SWITCH).build());
    DeploymentReport again =
        d.execute(d.plan(fake.fleet()).select("web-1").action(DeployAction.SWITCH).build());
    assertThat(again).isSuccessful();
    assertThat(again.host("web-1").copiedPaths()).isEmpty();
    assertThat(fake.host("web-1")).isOnGeneration(3).isRunning(fake.newSystem("web-1"));
  }

  @Test
  void uploadCopiesAndChangesNothingElse() {
    Deployer d = deployer();
    DeploymentReport r = d.execute(d.plan(fake.fleet()).action(DeployAction.UPLOAD).build());
    assertThat(r).allHostsEnded(HostOutcome.UPLOADED);
    FakeHost h = fake.host("web-2");
    assertThat(h).isOnGeneration(1).isRunning(fake.initialSystem("web-2")).hasNoRollbackMarker();
    assertThat(h.hasPath(fake.newSystem("web-2"))).isTrue();
  }

  @Test
  void testActivatesWithoutANewGenerationAndBootOnlySetsTheProfile() {
    Deployer d = deployer();
    d.execute(d.plan(fake.fleet()).select("web-1").action(DeployAction.TEST).build());
    assertThat(fake.host("web-1"))
        .isOnGeneration(1)
        .isRunning(fake.newSystem("web-1"))
        .hasNoRollbackMarker();
    d.execute(d.plan(fake.fleet()).select("web-2").action(DeployAction.BOOT).build());
    assertThat(fake.host("web-2"))
        .isOnGeneration(2)
        .isRunning(fake.initialSystem("web-2"))
        .boots(fake.newSystem("web-2"))
        .hasNoRollbackMarker();
  }

  @Test
  void selectionByTagGlobAndSkip() {
    Deployer d = deployer();
    DeploymentPlan p = d.plan(fake.fleet()).select("@web", "web-1").skip("web-3").build();
    assertThat(p.hosts()).extracting(h -> h.name()).containsExactly("web-1", "web-2");
    DeploymentPlan g = d.plan(fake.fleet()).select("web-[23]").build();
    assertThat(g.hosts()).extracting(h -> h.name()).containsExactly("web-2", "web-3");
    assertThatThrownBy(() -> d.plan(fake.fleet()).select("nope").build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> d.plan(fake.fleet()).select("@db").build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("no host");
  }

  @Test
  void reportRoundTripsThroughJson() {
    Deployer d = deployer();
    fake.host("web-2").failNextActivation();
    DeploymentReport r =
        d.execute(d.plan(fake.fleet()).keepGoing(true).action(DeployAction.SWITCH).build());
    String json = r.toJson();
    assertThat(json)
        .contains("\"outcome\" : \"ROLLED_BACK\"")
        .contains("\"failedStep\" : \"ACTIVATE\"");
    assertThat(DeploymentReport.fromJson(json)).isEqualTo(r);
  }

  @Test
  void fetchesTheHostKey() {
    String key = deployer().fetchHostKey(fake.fleet().host("web-1"));
    assertThat(key).isEqualTo(fake.host("web-1").publicKey()).startsWith("ssh-ed25519 AAAA");
  }

  @Test
  void commandHealthCheckRunsBeforeConfirmation() {
    Deployer d = deployer();
    DeploymentReport r =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1")
                .healthCheck(HealthCheck.command("systemctl", "is-system-running", "--wait"))
                .build());
    assertThat(r).isSuccessful();
    assertThat(fake.host("web-1").commands())
        .extracting(FakeCommand::op)
        .containsSubsequence(FakeHost.Op.ACTIVATE, FakeHost.Op.HEALTH, FakeHost.Op.CONFIRM);
  }

  @Test
  void largeClosuresStreamThroughAPipeAndAFullDiskDoesNotHangTheExporter() {
    // a 3 MiB package and a system that needs it: bigger than the in-memory limit
    String big = FakeEvaluator.storePath("big-data-1.0");
    fake.evaluator()
        .addPath(StorePathInfo.builder().path(big).narSize(3 << 20).addReferences(big).build());
    String system = FakeEvaluator.storePath("nixos-system-web-1-big");
    fake.evaluator()
        .addPath(
            StorePathInfo.builder()
                .path(system)
                .narSize(1024)
                .addReferences(big, fake.initialSystem("web-1"))
                .build());
    Deployer d = deployer();
    fake.host("web-2").diskFullOnNextCopy();
    DeploymentReport r =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1", "web-2")
                .system("web-1", system)
                .system("web-2", system)
                .keepGoing(true)
                .build());
    assertThat(r).hasOutcome("web-1", HostOutcome.CONFIRMED);
    assertThat(r.host("web-1").copiedBytes()).isEqualTo((3 << 20) + 1024);
    assertThat(r.host("web-1").copiedPaths()).containsExactly(big, system);
    assertThat(fake.host("web-1")).isRunning(system).isOnGeneration(2);
    assertThat(r)
        .hasOutcome("web-2", HostOutcome.FAILED)
        .failedAt("web-2", DeployStep.COPY)
        .hasErrorContaining("web-2", "No space left on device");
    assertThat(fake.host("web-2")).isOnGeneration(1).hasNoRollbackMarker();
    assertThat(events)
        .filteredOn(e -> e.host().equals("web-1") && e.kind() == DeploymentEvent.Kind.PROGRESS)
        .extracting(DeploymentEvent::done)
        .contains((long) (3 << 20) + 1024);
  }

  @Test
  void httpHealthCheckAgainstARealServer() throws Exception {
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    java.util.concurrent.atomic.AtomicInteger hits =
        new java.util.concurrent.atomic.AtomicInteger();
    server.createContext(
        "/health",
        ex -> {
          int n = hits.incrementAndGet();
          ex.sendResponseHeaders(n == 1 ? 503 : 200, -1);
          ex.close();
        });
    server.start();
    try {
      Deployer d = deployer();
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/health";
      DeploymentReport ok =
          d.execute(
              d.plan(fake.fleet())
                  .select("web-1")
                  .healthCheck(HealthCheck.builder().url(url).attempts(2).build())
                  .build());
      assertThat(ok).isSuccessful();
      assertThat(hits.get()).isEqualTo(2);
      DeploymentReport bad =
          d.execute(
              d.plan(fake.fleet())
                  .select("web-2")
                  .healthCheck(HealthCheck.http(url.replace("/health", "/nothing")))
                  .build());
      assertThat(bad)
          .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
          .failedAt("web-2", DeployStep.CHECK)
          .hasErrorContaining("web-2", "answered HTTP 404");
      assertThat(fake.host("web-2")).rolledBack().isOnGeneration(1).hasNoRollbackMarker();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void everyStepIsAnEventInOrder() {
    Deployer d = deployer();
    d.execute(
        d.plan(fake.fleet())
            .select("web-1")
            .healthCheck(HealthCheck.command("systemctl", "is-system-running"))
            .build());
    List<String> seen =
        events.stream()
            .filter(e -> e.host().equals("web-1") && e.kind() != DeploymentEvent.Kind.PROGRESS)
            .map(
                e ->
                    e.kind()
                        + " "
                        + e.step().map(Enum::name).orElse(e.outcome().map(Enum::name).orElse("?")))
            .collect(Collectors.toList());
    assertThat(seen)
        .containsExactly(
            "STEP_STARTED PREFLIGHT",
            "STEP_FINISHED PREFLIGHT",
            "STEP_STARTED COPY",
            "STEP_FINISHED COPY",
            "STEP_STARTED ARM",
            "STEP_FINISHED ARM",
            "STEP_STARTED ACTIVATE",
            "STEP_FINISHED ACTIVATE",
            "STEP_STARTED CHECK",
            "STEP_FINISHED CHECK",
            "STEP_STARTED CONFIRM",
            "STEP_FINISHED CONFIRM",
            "HOST_FINISHED CONFIRMED");
    // the copy reports progress per path, in bytes, up to the total
    List<DeploymentEvent> progress =
        events.stream()
            .filter(e -> e.host().equals("web-1") && e.kind() == DeploymentEvent.Kind.PROGRESS)
            .collect(Collectors.toList());
    assertThat(progress).hasSize(3);
    assertThat(progress.get(2).done()).isEqualTo(progress.get(2).total()).isPositive();
  }
}
