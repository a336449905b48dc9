package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.pipeline.FailurePolicy;
import io.fleet.api.pipeline.PipelineEvent;
import io.fleet.api.pipeline.PipelineEvent.Kind;
import io.fleet.api.pipeline.PipelineHostReport;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.pipeline.PipelineStage;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.testkit.FakeEvaluator;
import io.fleet.testkit.FakeFleet;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link FleetPipeline} on fake hosts with a fake evaluator that takes real (short) time per host:
 * ordering across stages, shared builds, bounds, failure policies, canary, events, cancellation and
 * the report's JSON.
 */
@Timeout(60)
class FleetPipelineTest {
  @RegisterExtension final FakeFleet fake = FakeFleet.of(DeployerTest.fleet(6));

  final List<PipelineEvent> events = new CopyOnWriteArrayList<>();

  FleetPipeline pipeline() {
    return pipeline(fake.evaluator());
  }

  FleetPipeline pipeline(Evaluator evaluator) {
    return FleetPipeline.builder()
        .transport(fake.transport())
        .evaluator(evaluator)
        .clock(fake.clock(), fake.clock()::sleep)
        .listener(events::add)
        .build();
  }

  private List<String> stageEvents(String host) {
    List<String> out = new ArrayList<>();
    for (PipelineEvent e : events) {
      if (e.host().equals(host) && e.kind() != Kind.PROGRESS) {
        out.add(e.stage() + " " + e.kind());
      }
    }
    return out;
  }

  private int indexOf(String host, PipelineStage stage, Kind kind) {
    for (int i = 0; i < events.size(); i++) {
      PipelineEvent e = events.get(i);
      if (e.host().equals(host) && e.stage() == stage && e.kind() == kind) {
        return i;
      }
    }
    throw new AssertionError("no " + stage + " " + kind + " event for " + host + ": " + events);
  }

  private void assertOnNew(String... hosts) {
    for (String h : hosts) {
      assertThat(fake.host(h))
          .isOnGeneration(2)
          .isRunning(fake.newSystem(h))
          .hasNoRollbackMarker()
          .wasNotRolledBack();
    }
  }

  private void assertUntouched(String... hosts) {
    for (String h : hosts) {
      assertThat(fake.host(h).commands()).as(h + " got no command").isEmpty();
      assertThat(fake.host(h)).isOnGeneration(1).isRunning(fake.initialSystem(h));
    }
  }

  @Test
  void aHostIsDeployedBeforeTheLastHostIsEvaluated() {
    fake.evaluator().evaluationDelay(Duration.ofMillis(60));
    PipelineReport r = pipeline().on("path:/fleet", "default").deployParallelism(2).execute();

    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    assertOnNew("web-1", "web-2", "web-3", "web-4", "web-5", "web-6");
    // One evaluation worker: hosts arrive in name order, 60 ms apart; web-1 is confirmed while
    // web-6 is still being evaluated.
    assertThat(indexOf("web-1", PipelineStage.DEPLOY, Kind.FINISHED))
        .isLessThan(indexOf("web-6", PipelineStage.EVALUATE, Kind.FINISHED));
    assertThat(indexOf("web-1", PipelineStage.BUILD, Kind.STARTED))
        .isLessThan(indexOf("web-2", PipelineStage.EVALUATE, Kind.FINISHED));
    assertThat(r.host("web-1").hostReport().orElseThrow().outcome())
        .isEqualTo(HostOutcome.CONFIRMED);
    assertThat(r.firstConfirmedAt()).isPresent();
    assertThat(r.hosts()).extracting(PipelineHostReport::host).hasSize(6);
  }

  @Test
  void hostsWithTheSameSystemShareOneBuild() {
    FakeEvaluator ev = fake.evaluator().sameSystem("web-1", "web-2", "web-3");
    PipelineReport r = pipeline().on(fake.fleet()).execute();

    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    // web-1..3 are one build (of web-1's system); web-4..6 one build each.
    assertThat(ev.builds()).containsExactlyInAnyOrder("web-1", "web-4", "web-5", "web-6");
    String shared = fake.newSystem("web-1");
    for (String h : List.of("web-1", "web-2", "web-3")) {
      assertThat(fake.host(h)).isOnGeneration(2).isRunning(shared).hasNoRollbackMarker();
      assertThat(r.host(h).system()).contains(shared);
    }
    assertThat(r.host("web-2").sharedBuildWith()).containsExactly("web-1", "web-3");
    assertThat(r.host("web-4").sharedBuildWith()).isEmpty();
    assertOnNew("web-4", "web-5", "web-6");
  }

  @Test
  void buildOnTargetOnlyEvaluatesOnTheControllerAndEachHostBuildsItsOwnSystem() {
    FakeEvaluator ev = fake.evaluator();
    PipelineReport r =
        pipeline().on(fake.fleet()).select("web-1", "web-2").buildOnTarget(true).execute();

    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    assertOnNew("web-1", "web-2");
    assertThat(ev.builds()).as("nothing built on the controller").isEmpty();
    assertThat(ev.derivationRequests()).containsExactlyInAnyOrder("web-1", "web-2");
    for (String h : List.of("web-1", "web-2")) {
      assertThat(fake.host(h).builtPaths()).contains(fake.newSystem(h));
      HostReport hr = r.host(h).hostReport().orElseThrow();
      assertThat(hr.stepTimes()).containsKey(DeployStep.BUILD);
      assertThat(hr.copiedPaths())
          .allMatch(p -> p.endsWith(".drv") || p.endsWith("fake-builder.sh"));
      assertThat(r.host(h).build().message().orElse(""))
          .contains(ev.derivationPath(h, 2))
          .contains("built on the host");
    }
    assertUntouched("web-3", "web-4", "web-5", "web-6");
  }

  @Test
  void rollbackSucceededOnFailureRevertsTheConfirmedHostsOnceTheRunHasEnded() {
    fake.evaluator().failBuild("web-6");
    fake.host("web-3").failNextActivation();
    PipelineReport r = pipeline().on(fake.fleet()).rollbackSucceededOnFailure(true).execute();

    assertThat(r.isSuccess()).isFalse();
    assertThat(r.host("web-3").hostReport().orElseThrow().outcome())
        .isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(r.host("web-6").failedStage()).contains(PipelineStage.BUILD);
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.REVERTED))
        .containsExactlyInAnyOrder("web-1", "web-2", "web-4", "web-5");
    for (String h : List.of("web-1", "web-2", "web-4", "web-5")) {
      assertThat(r.host(h).hostReport().orElseThrow().outcome()).isEqualTo(HostOutcome.REVERTED);
      assertThat(r.host(h).deployment().message().orElseThrow())
          .contains("reverted because")
          .contains("web-3")
          .contains("web-6");
      assertThat(r.host(h).isSuccess()).isFalse();
      assertThat(fake.host(h)).isRunning(fake.initialSystem(h)).hasNoRollbackMarker();
    }
    assertThat(PipelineReport.fromJson(r.toJson())).isEqualTo(r);
    assertThat(events)
        .anyMatch(
            e ->
                e.host().equals("web-1")
                    && e.stage() == PipelineStage.DEPLOY
                    && e.message().startsWith("REVERTED"));
  }

  @Test
  void rollbackSucceededOnFailureRevertsNothingWhenEveryHostSucceeds() {
    PipelineReport r = pipeline().on(fake.fleet()).rollbackSucceededOnFailure(true).execute();
    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    assertOnNew("web-1", "web-2", "web-3", "web-4", "web-5", "web-6");
  }

  @Test
  void aHostWhoseSystemPathIsGivenIsNotBuilt() {
    String given = fake.newSystem("web-1");
    Fleet fleet =
        Fleet.builder()
            .name("test")
            .host("web-1", h -> h.tags("canary").systemPath(given))
            .host("web-2", h -> h.tags("web"))
            .build();
    PipelineReport r = pipeline().on(fleet).execute();
    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    assertThat(fake.evaluator().builds()).containsExactly("web-2");
    assertThat(r.host("web-1").build().message().orElseThrow()).contains("nothing to build");
    assertThat(r.host("web-1").system()).contains(given);
    assertOnNew("web-1", "web-2");
  }

  @Test
  void eachStageIsBounded() {
    FakeFleet slow =
        FakeFleet.builder().fleet(DeployerTest.fleet(8)).realLatency(Duration.ofMillis(5)).build();
    try (slow) {
      slow.evaluator().buildDelay(Duration.ofMillis(40));
      List<PipelineEvent> seen = new CopyOnWriteArrayList<>();
      PipelineReport r =
          FleetPipeline.builder()
              .transport(slow.transport())
              .evaluator(slow.evaluator())
              .clock(slow.clock(), slow.clock()::sleep)
              .listener(seen::add)
              .build()
              .on(slow.fleet())
              .buildParallelism(2)
              .deployParallelism(3)
              .execute();
      assertThat(r.isSuccess()).as(r.summary()).isTrue();
      assertThat(peak(seen, PipelineStage.BUILD)).isEqualTo(2);
      assertThat(slow.evaluator().peakConcurrentBuilds()).isEqualTo(2);
      int deploys = peak(seen, PipelineStage.DEPLOY);
      assertThat(deploys).isBetween(2, 3);
    }
  }

  /** The most hosts inside {@code stage} at once, from the events' order. */
  private static int peak(List<PipelineEvent> seen, PipelineStage stage) {
    int now = 0;
    int max = 0;
    for (PipelineEvent e : seen) {
      if (e.stage() != stage || e.host().isEmpty()) {
        continue;
      }
      if (e.kind() == Kind.STARTED) {
        max = Math.max(max, ++now);
      } else if (e.kind() == Kind.FINISHED || e.kind() == Kind.FAILED) {
        now--;
      }
    }
    return max;
  }

  @Test
  void aFailedHostStopsOnlyItsOwnLaterStages() {
    fake.evaluator().failEvaluation("web-2").failBuild("web-3");
    fake.host("web-4").failNextActivation();
    PipelineReport r = pipeline().on("path:/fleet", "default").execute();

    assertThat(r.isSuccess()).isFalse();
    assertThat(r.hostsWith(PipelineStage.EVALUATE, StageOutcome.FAILED)).containsExactly("web-2");
    assertThat(r.host("web-2").build().outcome()).isEqualTo(StageOutcome.SKIPPED);
    assertThat(r.host("web-2").deployment().outcome()).isEqualTo(StageOutcome.SKIPPED);
    assertThat(r.host("web-2").evaluation().message().orElseThrow()).contains("web-2");
    assertThat(r.hostsWith(PipelineStage.BUILD, StageOutcome.FAILED)).containsExactly("web-3");
    assertThat(r.host("web-3").deployment().outcome()).isEqualTo(StageOutcome.SKIPPED);
    assertThat(r.host("web-3").failedStage()).contains(PipelineStage.BUILD);
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.FAILED)).containsExactly("web-4");
    assertThat(r.host("web-4").hostReport().orElseThrow().outcome())
        .isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.SUCCEEDED))
        .containsExactly("web-1", "web-5", "web-6");
    assertOnNew("web-1", "web-5", "web-6");
    assertUntouched("web-2", "web-3");
    assertThat(fake.host("web-4")).rolledBack().isOnGeneration(1).hasNoRollbackMarker();
    assertThat(r.summary())
        .contains("web-2: EVALUATE FAILED")
        .contains("web-3: BUILD FAILED")
        .contains("web-4: DEPLOY FAILED (ROLLED_BACK)");
  }

  @Test
  void stopFleetStartsNothingNewAfterAFailureButLetsRunningHostsFinish() {
    // One at a time in name order: web-1 and web-2 are confirmed, web-3 fails and is rolled back,
    // web-4..6 never deploy.
    fake.host("web-3").failNextActivation();
    PipelineReport r =
        pipeline()
            .on(fake.fleet())
            .buildParallelism(1)
            .deployParallelism(1)
            .failurePolicy(FailurePolicy.STOP_FLEET)
            .execute();
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.SUCCEEDED))
        .containsExactly("web-1", "web-2");
    assertThat(r.host("web-3").hostReport().orElseThrow().outcome())
        .isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.SKIPPED))
        .containsExactly("web-4", "web-5", "web-6");
    assertThat(r.host("web-6").deployment().message().orElseThrow())
        .contains("deployment of web-3 failed and the policy stops the fleet");
    assertOnNew("web-1", "web-2");
    assertUntouched("web-4", "web-5", "web-6");

    // With a deployment running when another host's build fails, the deployment finishes.
    FakeFleet other =
        FakeFleet.builder().fleet(DeployerTest.fleet(3)).realLatency(Duration.ofMillis(20)).build();
    try (other) {
      other.evaluator().failBuild("web-2").buildDelay("web-2", Duration.ofMillis(30));
      PipelineReport r2 =
          FleetPipeline.builder()
              .transport(other.transport())
              .evaluator(other.evaluator())
              .build()
              .on(other.fleet())
              .buildParallelism(1)
              .failurePolicy(FailurePolicy.STOP_FLEET)
              .execute();
      // web-1 was deploying (20 ms a command) when web-2's build failed: it is confirmed.
      assertThat(r2.host("web-1").deployment().outcome()).isEqualTo(StageOutcome.SUCCEEDED);
      assertThat(r2.host("web-2").build().outcome()).isEqualTo(StageOutcome.FAILED);
      assertThat(r2.host("web-3").build().outcome()).isEqualTo(StageOutcome.SKIPPED);
      assertThat(r2.host("web-3").deployment().outcome()).isEqualTo(StageOutcome.SKIPPED);
      assertThat(other.host("web-1")).isOnGeneration(2).hasNoRollbackMarker();
      assertThat(other.host("web-3").commands()).isEmpty();
    }
  }

  @Test
  void aFailedCanaryStopsTheOthersDeployments() {
    fake.host("web-1").failNextActivation();
    PipelineReport r = pipeline().on(fake.fleet()).buildParallelism(1).canary(1).execute();
    assertThat(r.host("web-1").canary()).isTrue();
    assertThat(r.host("web-1").deployment().outcome()).isEqualTo(StageOutcome.FAILED);
    // The others were built (a canary gates deployments, not builds) but not deployed.
    assertThat(r.hostsWith(PipelineStage.BUILD, StageOutcome.SUCCEEDED)).hasSize(6);
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.SKIPPED))
        .containsExactly("web-2", "web-3", "web-4", "web-5", "web-6");
    assertThat(r.host("web-4").deployment().message().orElseThrow())
        .contains("canary web-1 failed");
    assertUntouched("web-2", "web-3", "web-4", "web-5", "web-6");
  }

  @Test
  void healthyCanariesAreConfirmedBeforeAnyOtherHostDeploys() {
    PipelineReport r = pipeline().on(fake.fleet()).buildParallelism(1).canary(2).execute();
    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    List<String> canaries =
        r.hosts().stream()
            .filter(PipelineHostReport::canary)
            .map(PipelineHostReport::host)
            .toList();
    assertThat(canaries).containsExactly("web-1", "web-2");
    int lastCanaryDone =
        Math.max(
            indexOf("web-1", PipelineStage.DEPLOY, Kind.FINISHED),
            indexOf("web-2", PipelineStage.DEPLOY, Kind.FINISHED));
    for (String h : List.of("web-3", "web-4", "web-5", "web-6")) {
      assertThat(indexOf(h, PipelineStage.DEPLOY, Kind.STARTED)).isGreaterThan(lastCanaryDone);
    }
    assertOnNew("web-1", "web-2", "web-3", "web-4", "web-5", "web-6");
  }

  @Test
  void everyStageHasItsEventsInOrderAndDeploymentEventsAreForwarded() {
    PipelineReport r = pipeline().on("path:/fleet", "default").select("web-1").execute();
    assertThat(r.hosts()).extracting(PipelineHostReport::host).containsExactly("web-1");
    assertThat(stageEvents("web-1"))
        .containsExactly(
            "EVALUATE FINISHED",
            "BUILD STARTED",
            "BUILD FINISHED",
            "DEPLOY STARTED",
            "DEPLOY FINISHED");
    assertThat(stageEvents("")).startsWith("EVALUATE STARTED").endsWith("EVALUATE FINISHED");
    List<String> forwarded = new ArrayList<>();
    for (PipelineEvent e : events) {
      e.deployment()
          .ifPresent(d -> forwarded.add(d.kind() + " " + d.step().map(Enum::name).orElse("")));
    }
    assertThat(forwarded).contains("STEP_STARTED COPY", "STEP_FINISHED CONFIRM", "HOST_FINISHED ");
    assertThat(indexOf("web-1", PipelineStage.DEPLOY, Kind.STARTED))
        .isLessThan(firstForwarded())
        .isLessThan(indexOf("web-1", PipelineStage.DEPLOY, Kind.FINISHED));
    // Events of hosts not chosen are not sent.
    assertThat(events).noneMatch(e -> e.host().equals("web-2"));
  }

  private int firstForwarded() {
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).deployment().isPresent()) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void interruptingTheCallerCancelsWhatHasNotStartedAndReturnsTheReport() throws Exception {
    fake.evaluator().evaluationDelay(Duration.ofMillis(150));
    CountDownLatch firstConfirmed = new CountDownLatch(1);
    FleetPipeline p =
        FleetPipeline.builder()
            .transport(fake.transport())
            .evaluator(fake.evaluator())
            .clock(fake.clock(), fake.clock()::sleep)
            .listener(
                e -> {
                  if (e.stage() == PipelineStage.DEPLOY && e.kind() == Kind.FINISHED) {
                    firstConfirmed.countDown();
                  }
                })
            .build();
    AtomicReference<PipelineReport> report = new AtomicReference<>();
    AtomicReference<Boolean> flagAfter = new AtomicReference<>();
    Thread caller =
        new Thread(
            () -> {
              report.set(p.on("path:/fleet", "default").execute());
              flagAfter.set(Thread.currentThread().isInterrupted());
            });
    caller.start();
    assertThat(firstConfirmed.await(10, TimeUnit.SECONDS)).isTrue();
    caller.interrupt();
    caller.join(10_000);
    assertThat(caller.isAlive()).isFalse();

    PipelineReport r = report.get();
    assertThat(r.cancelled()).isTrue();
    assertThat(flagAfter.get()).as("interrupt flag set again").isTrue();
    assertThat(r.host("web-1").deployment().outcome()).isEqualTo(StageOutcome.SUCCEEDED);
    // web-6 was still being evaluated (150 ms a host): its stages are cancelled.
    assertThat(r.host("web-6").evaluation().outcome()).isEqualTo(StageOutcome.CANCELLED);
    assertThat(r.host("web-6").deployment().outcome()).isEqualTo(StageOutcome.CANCELLED);
    assertUntouched("web-6");
    for (PipelineHostReport h : r.hosts()) {
      assertThat(fake.host(h.host())).hasNoRollbackMarker();
      if (h.deployment().outcome() == StageOutcome.SUCCEEDED) {
        assertThat(fake.host(h.host())).isOnGeneration(2);
      } else {
        assertThat(fake.host(h.host())).isOnGeneration(1);
      }
    }
  }

  @Test
  void theReportRoundTripsThroughJson() {
    fake.evaluator().failBuild("web-3");
    PipelineReport r =
        pipeline().on(fake.fleet()).id("roll-42").action(DeployAction.BOOT).execute();
    String json = r.toJson();
    assertThat(PipelineReport.fromJson(json)).isEqualTo(r);
    assertThat(json).contains("\"pipelineId\"").contains("roll-42");
    assertThat(r.host("web-1").hostReport().orElseThrow().outcome())
        .isEqualTo(HostOutcome.CONFIRMED);
    assertThat(fake.host("web-1").rollbackMarker()).isEmpty();
    assertThatThrownBy(() -> PipelineReport.fromJson("{\"pipelineId\": 3"))
        .isInstanceOf(FleetConfigException.class);
  }

  @Test
  void badInputIsAFleetConfigException() {
    assertThatThrownBy(() -> FleetPipeline.builder().transport(fake.transport()).build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("no evaluator");
    FleetPipeline p = pipeline();
    assertThatThrownBy(() -> p.on(fake.fleet()).deployParallelism(0).canary(-1).execute())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("deploy parallelism 0")
        .hasMessageContaining("canary -1");
    assertThatThrownBy(() -> p.on(fake.fleet()).select("web-9").execute())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("web-9");
    assertThatThrownBy(() -> p.on("path:/fleet", "default").select("web-9").execute())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("web-9");
    assertThatThrownBy(() -> p.on("path:/fleet", "default").select("@nothing").execute())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("no host");
    assertThatThrownBy(() -> p.on(" ", "default")).isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> p.on((Fleet) null)).isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> p.on(fake.fleet()).rollbackWindow(Duration.ofSeconds(1)).execute())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("rollback window");
    assertUntouched("web-1", "web-2", "web-3", "web-4", "web-5", "web-6");
  }

  @Test
  void aFakeFleetWiresAPipelineToItsHostsAndClock() {
    fake.host("web-2").httpEndpoint("/health", 503);
    fake.host("web-1").httpEndpoint("/health", 200);
    PipelineReport r =
        fake.wired(FleetPipeline.class)
            .on(fake.fleet())
            .select("web-1", "web-2")
            .healthCheck(io.fleet.api.deploy.HealthCheck.http("http://{host}/health"))
            .execute();
    assertThat(r.host("web-1").deployment().outcome()).isEqualTo(StageOutcome.SUCCEEDED);
    assertThat(r.host("web-2").hostReport().orElseThrow().outcome())
        .isEqualTo(HostOutcome.ROLLED_BACK);
    // Times are on the fake fleet's virtual clock, which starts at 2026-01-01.
    assertThat(r.startedAt()).isEqualTo(java.time.Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void aFleetLevelEvaluationFailureIsThrown() {
    Evaluator broken =
        new Delegating(fake.evaluator()) {
          @Override
          public Fleet evaluate(String flakeRef, String configuration) {
            throw new EvaluationException(
                "fleet assertion failed", List.of("nix", "eval"), 1, "error: assertion", null);
          }
        };
    assertThatThrownBy(() -> pipeline(broken).on("path:/fleet", "default").execute())
        .isInstanceOf(EvaluationException.class)
        .hasMessageContaining("fleet assertion failed");
    assertUntouched("web-1", "web-2", "web-3", "web-4", "web-5", "web-6");
  }

  @Test
  void anEvaluatorWithoutStreamingStillWorksThroughTheDefaultMethod() {
    // The SPI's default evaluates everything, then delivers: the pipeline still deploys it all.
    Evaluator plain = new Delegating(fake.evaluator());
    PipelineReport r = pipeline(plain).on("path:/fleet", "default").skip("@canary").execute();
    assertThat(r.hosts())
        .extracting(PipelineHostReport::host)
        .containsExactly("web-2", "web-3", "web-4", "web-5", "web-6");
    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    assertUntouched("web-1");
  }

  /** An evaluator that delegates all but the streaming evaluate (it keeps the SPI's default). */
  static class Delegating implements Evaluator {
    final Evaluator to;

    Delegating(Evaluator to) {
      this.to = to;
    }

    @Override
    public Fleet evaluate(String flakeRef, String configuration) {
      return to.evaluate(flakeRef, configuration);
    }

    @Override
    public Map<String, String> build(Fleet fleet, Collection<String> hosts, BuildListener l) {
      return to.build(fleet, hosts, l);
    }

    @Override
    public List<StorePathInfo> closure(Collection<String> storePaths) {
      return to.closure(storePaths);
    }

    @Override
    public void export(Collection<String> storePaths, OutputStream out) {
      to.export(storePaths, out);
    }
  }
}
