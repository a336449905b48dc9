package io.fleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.EvaluationSink;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The fake evaluator's optional delays and injected failures: instant and unchanged by default,
 * hosts delivered one by one when evaluation takes time, builds bounded by the build jobs.
 */
class FakeEvaluatorTest {
  static Fleet fleet(int n) {
    Fleet.Builder b = Fleet.builder().name("fake").sharedSecret("s", s -> s.expectedOwners("h1"));
    for (int i = 1; i <= n; i++) {
      b.host("h" + i, h -> h.tags("t"));
    }
    return b.build();
  }

  /** A sink that records what it got, in order. */
  static final class Recorder implements EvaluationSink {
    final List<String> got = new CopyOnWriteArrayList<>();
    final List<Long> at = new CopyOnWriteArrayList<>();

    @Override
    public void fleetEvaluated(Fleet fleetLevel, List<String> hostNames) {
      got.add(
          "fleet "
              + fleetLevel.hosts().size()
              + " "
              + fleetLevel.sharedSecrets().keySet()
              + " "
              + hostNames);
    }

    @Override
    public void hostEvaluated(Host host) {
      got.add("ok " + host.name());
      at.add(System.nanoTime());
    }

    @Override
    public void hostFailed(String host, EvaluationException failure) {
      got.add("failed " + host + " " + failure.host().orElse("?"));
    }
  }

  @Test
  void byDefaultEverythingIsInstantAndAsBefore() {
    Fleet f = fleet(3);
    FakeEvaluator ev = new FakeEvaluator(f);
    assertThat(ev.evaluate("any", "default")).isSameAs(f);
    Recorder r = new Recorder();
    assertThat(ev.evaluate("any", "default", r)).isSameAs(f);
    assertThat(r.got).containsExactly("fleet 0 [s] [h1, h2, h3]", "ok h1", "ok h2", "ok h3");
    Map<String, String> built = ev.build(f, List.of("h1", "h2"), BuildListener.NONE);
    assertThat(built).containsEntry("h1", ev.systemPath("h1", 2)).hasSize(2);
    assertThat(ev.builds()).containsExactly("h1,h2");
    assertThat(ev.systemDerivation(f.host("h1"))).isNotEqualTo(ev.systemDerivation(f.host("h2")));
  }

  @Test
  void evaluationTakesItsDelayPerHostAndDeliversEachHostWhenDone() {
    Fleet f = fleet(4);
    FakeEvaluator ev = new FakeEvaluator(f).evaluationDelay(Duration.ofMillis(40));
    Recorder r = new Recorder();
    long t0 = System.nanoTime();
    ev.evaluate("any", "default", r);
    long took = System.nanoTime() - t0;
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(160).toNanos());
    // One worker: each host arrives 40 ms after the one before.
    assertThat((r.at.get(0) - t0) / 1_000_000).isBetween(35L, 1000L);
    assertThat((r.at.get(3) - r.at.get(0)) / 1_000_000).isGreaterThanOrEqualTo(115L);

    FakeEvaluator two =
        new FakeEvaluator(f).evaluationDelay(Duration.ofMillis(200)).evaluationWorkers(2);
    long t1 = System.nanoTime();
    two.evaluate("any", "default");
    long tookTwo = System.nanoTime() - t1;
    // Two at a time: 400 ms, where one worker would take 800.
    assertThat(tookTwo)
        .isBetween(Duration.ofMillis(395).toNanos(), Duration.ofMillis(750).toNanos());
  }

  @Test
  void injectedEvaluationFailuresReachTheSinkThenAreThrown() {
    Fleet f = fleet(3);
    FakeEvaluator ev = new FakeEvaluator(f).failEvaluation("h2");
    Recorder r = new Recorder();
    assertThatThrownBy(() -> ev.evaluate("any", "default", r))
        .isInstanceOfSatisfying(
            EvaluationException.class, e -> assertThat(e.host()).contains("h2"));
    assertThat(r.got).containsExactly("fleet 0 [s] [h1, h2, h3]", "ok h1", "failed h2 h2", "ok h3");
    assertThatThrownBy(() -> ev.evaluate("any", "default"))
        .isInstanceOf(EvaluationException.class)
        .hasMessageContaining("h2");
  }

  @Test
  void buildsTakeTheirDelayBoundedByTheBuildJobsAndCanFail() throws Exception {
    Fleet f = fleet(6);
    FakeEvaluator ev = new FakeEvaluator(f).buildDelay(Duration.ofMillis(50)).buildJobs(2);
    long t0 = System.nanoTime();
    ev.build(f, List.of("h1", "h2", "h3", "h4", "h5", "h6"), BuildListener.NONE);
    // 6 systems, 2 at a time, 50 ms each: at least 150 ms, and never more than 2 at once.
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(150).toNanos());
    assertThat(ev.peakConcurrentBuilds()).isEqualTo(2);
    // Concurrent calls share the two jobs.
    Thread a = new Thread(() -> ev.build(f, List.of("h1", "h2"), BuildListener.NONE));
    Thread b = new Thread(() -> ev.build(f, List.of("h3", "h4"), BuildListener.NONE));
    a.start();
    b.start();
    a.join();
    b.join();
    assertThat(ev.peakConcurrentBuilds()).isEqualTo(2);

    ev.failBuild("h3");
    assertThatThrownBy(() -> ev.build(f, List.of("h1", "h3"), BuildListener.NONE))
        .isInstanceOfSatisfying(
            EvaluationException.class, e -> assertThat(e.host()).contains("h3"));
    assertThat(ev.build(f, List.of("h1"), BuildListener.NONE)).containsKey("h1");
  }

  @Test
  void hostsWithTheSameSystemBuildOnePath() {
    Fleet f = fleet(3);
    FakeEvaluator ev = new FakeEvaluator(f).sameSystem("h1", "h3");
    assertThat(ev.systemDerivation(f.host("h3"))).isEqualTo(ev.systemDerivation(f.host("h1")));
    assertThat(ev.systemDerivation(f.host("h2"))).isNotEqualTo(ev.systemDerivation(f.host("h1")));
    Map<String, String> built = ev.build(f, List.of("h1", "h2", "h3"), BuildListener.NONE);
    assertThat(built.get("h3")).isEqualTo(built.get("h1")).isNotEqualTo(built.get("h2"));
  }

  @Test
  void exportTakesTheTimeOfItsBytesAtTheBandwidth() {
    Fleet f = fleet(1);
    FakeEvaluator ev = new FakeEvaluator(f);
    String system = ev.systemPath("h1", 2);
    long bytes =
        ev.closure(List.of(system)).stream()
            .filter(i -> i.path().equals(system))
            .mapToLong(i -> i.narSize())
            .sum();
    ev.exportBandwidth(bytes * 10); // 100 ms for the system path alone
    long t0 = System.nanoTime();
    ev.export(List.of(system), new ByteArrayOutputStream());
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(95).toNanos());
  }

  @Test
  void badSettingsAreFleetConfigExceptions() {
    FakeEvaluator ev = new FakeEvaluator(fleet(2));
    assertThatThrownBy(() -> ev.evaluationDelay(Duration.ofMillis(-1)))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> ev.buildJobs(0)).isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> ev.evaluationWorkers(0)).isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> ev.failBuild("nope"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> ev.sameSystem("h1")).isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> ev.evaluate("any", "default", null))
        .isInstanceOf(FleetConfigException.class);
  }
}
