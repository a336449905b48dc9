package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetJson;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeEvaluator;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code Planner.compress(true)}: the copy compressed with zstd on the wire, on fake hosts. */
class CompressedCopyTest {
  @RegisterExtension final FakeFleet fake = FakeFleet.of(DeployerTest.fleet(2));

  final List<DeploymentEvent> events = new CopyOnWriteArrayList<>();

  Deployer deployer() {
    return Deployer.builder()
        .transport(fake.transport())
        .evaluator(fake.evaluator())
        .clock(fake.clock(), fake.clock()::sleep)
        .listener(events::add)
        .build();
  }

  /** The import commands the host received. */
  static List<FakeCommand> imports(FakeHost h) {
    return h.commands().stream().filter(c -> c.op() == FakeHost.Op.IMPORT).toList();
  }

  /** Gives {@code host}'s new system a further path of {@code bytes} (so the copy streams). */
  void addBigPath(String host, long bytes) {
    FakeEvaluator ev = fake.evaluator();
    String sys = ev.systemPath(host, ev.version(host));
    List<StorePathInfo> closure = ev.closure(List.of(sys));
    StorePathInfo info = closure.get(closure.size() - 1);
    String big = FakeEvaluator.storePath("big-data-" + host);
    ev.addPath(
        StorePathInfo.builder()
            .path(big)
            .narSize(bytes)
            .addReferences(closure.get(0).path())
            .build());
    ev.addPath(StorePathInfo.builder().from(info).addReferences(big).build());
  }

  @Test
  void compressedCopyLandsAndPutsFewerBytesOnTheWire() {
    addBigPath("web-1", 4 << 20);
    addBigPath("web-2", 4 << 20);
    Deployer d = deployer();
    DeploymentReport plain =
        d.execute(d.plan(fake.fleet()).select("web-2").action(DeployAction.SWITCH).build());
    DeploymentReport packed =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1")
                .action(DeployAction.SWITCH)
                .compress(true)
                .build());

    assertThat(plain).isSuccessful();
    assertThat(packed).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
    FakeHost h1 = fake.host("web-1");
    FakeHost h2 = fake.host("web-2");
    assertThat(h1).isRunning(fake.newSystem("web-1")).receivedOnlyKnownCommands();
    for (String p : packed.host("web-1").copiedPaths()) {
      assertThat(h1.hasPath(p)).as(p).isTrue();
    }
    assertThat(imports(h1)).hasSize(1);
    assertThat(imports(h1).get(0).argv())
        .containsExactly("sh", "-c", HostProtocol.IMPORT_ZSTD_SCRIPT, "sh");
    assertThat(imports(h2).get(0).argv()).containsExactly("nix-store", "--import");

    HostReport r1 = packed.host("web-1");
    HostReport r2 = plain.host("web-2");
    assertThat(r1.compressed()).isTrue();
    assertThat(r2.compressed()).isFalse();
    // same paths and NAR bytes; the compressed stream is what went over, and is far smaller
    assertThat(r1.copiedBytes()).isEqualTo(r2.copiedBytes()).isGreaterThan(4 << 20);
    assertThat(r1.wireBytes()).isEqualTo(h1.importBytesReceived());
    assertThat(r2.wireBytes()).isEqualTo(h2.importBytesReceived());
    assertThat(r2.wireBytes()).isGreaterThan(r2.copiedBytes());
    assertThat(r1.wireBytes()).isPositive().isLessThan(r2.wireBytes() / 10);
    assertThat(events)
        .anyMatch(
            e ->
                e.host().equals("web-1")
                    && e.kind() == DeploymentEvent.Kind.STEP_FINISHED
                    && e.message().contains("bytes on the wire with zstd"));
  }

  @Test
  void smallCompressedCopyFromMemoryAlsoLands() {
    Deployer d = deployer();
    DeploymentReport r =
        d.execute(d.plan(fake.fleet()).action(DeployAction.SWITCH).compress(true).build());
    assertThat(r).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
    for (FakeHost h : fake.hosts()) {
      assertThat(h).isRunning(fake.newSystem(h.name()));
      HostReport hr = r.host(h.name());
      assertThat(hr.compressed()).isTrue();
      assertThat(hr.copiedPaths()).hasSize(3);
      assertThat(hr.wireBytes()).isEqualTo(h.importBytesReceived()).isLessThan(hr.copiedBytes());
    }
  }

  @Test
  void hostWithoutZstdGetsTheUncompressedStreamAndTheEventSaysSo() {
    FakeHost h = fake.host("web-1").zstd(false);
    Deployer d = deployer();
    DeploymentReport r =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1")
                .action(DeployAction.SWITCH)
                .compress(true)
                .build());
    assertThat(r).isSuccessful();
    assertThat(h).isRunning(fake.newSystem("web-1"));
    assertThat(r.host("web-1").compressed()).isFalse();
    assertThat(r.host("web-1").wireBytes()).isEqualTo(h.importBytesReceived()).isPositive();
    assertThat(imports(h).get(0).argv()).containsExactly("nix-store", "--import");
    assertThat(events)
        .anyMatch(
            e ->
                e.host().equals("web-1")
                    && e.step().orElse(null) == DeployStep.COPY
                    && e.message().contains("copying uncompressed: the host has no zstd"));
  }

  @Test
  void aCompressedImportOnAHostWithoutZstdFailsAsShWould() {
    // The deployer never sends it (see above); the fake answers it as sh on such a host does.
    FakeHost h = fake.host("web-2").zstd(false);
    var r =
        fake.transport()
            .connect(fake.fleet().host(h.name()))
            .run(
                HostProtocol.importCompressed(false, null),
                new java.io.ByteArrayInputStream(new byte[0]),
                new java.io.ByteArrayOutputStream());
    assertThat(r.exitCode()).isEqualTo(127);
    assertThat(r.stderrText()).contains("zstd: not found");
  }

  @Test
  void aDamagedCompressedStreamFailsTheCopyAndNothingIsActivated() {
    FakeHost h = fake.host("web-2");
    var r =
        fake.transport()
            .connect(fake.fleet().host(h.name()))
            .run(
                HostProtocol.importCompressed(false, null),
                new java.io.ByteArrayInputStream("not zstd at all".getBytes()),
                new java.io.ByteArrayOutputStream());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrText()).contains("fleet: zstd -d failed");
  }

  @Test
  void planCarriesTheOptionInJsonAndOldJsonReadsAsUncompressed() throws Exception {
    Deployer d = deployer();
    assertThat(d.plan(fake.fleet()).build().compress()).isFalse();
    DeploymentPlan plan = d.plan(fake.fleet()).action(DeployAction.TEST).compress(true).build();
    assertThat(plan.compress()).isTrue();
    assertThat(plan.summary()).contains("compressed with zstd");
    String json = plan.toJson();
    assertThat(DeploymentPlan.fromJson(json)).isEqualTo(plan);

    ObjectNode old = (ObjectNode) FleetJson.mapper().readTree(json);
    assertThat(old.remove("compress").asBoolean()).isTrue();
    DeploymentPlan read = DeploymentPlan.fromJson(FleetJson.mapper().writeValueAsString(old));
    assertThat(read.compress()).isFalse();
    assertThat(read.id()).isEqualTo(plan.id());

    // and the report's new fields read back from JSON, with defaults for old reports
    DeploymentReport report = d.execute(plan);
    HostReport hr = report.hosts().get(0);
    String rj = FleetJson.toJson(hr);
    assertThat(FleetJson.fromJson(rj, HostReport.class)).isEqualTo(hr);
    ObjectNode oldReport = (ObjectNode) FleetJson.mapper().readTree(rj);
    oldReport.remove("wireBytes");
    oldReport.remove("compressed");
    HostReport oldRead =
        FleetJson.fromJson(FleetJson.mapper().writeValueAsString(oldReport), HostReport.class);
    assertThat(oldRead.compressed()).isFalse();
    assertThat(oldRead.wireBytes()).isZero();
  }
}
