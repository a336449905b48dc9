package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.pipeline.PipelineStage;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.testkit.FakeEvaluator;
import io.fleet.testkit.FakeFleet;
import io.fleet.transport.Deployer;
import io.fleet.transport.FleetPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streaming pipeline benchmark (not a test): 100 fake hosts, each with a realistic evaluation and
 * build time (scaled down) and real per-command latency and copy bandwidth, deployed by {@link
 * FleetPipeline} and by the staged flow (evaluate all, then one batched build of all, then {@link
 * Deployer#execute} of all) side by side, in alternating rounds: time to the first host confirmed
 * and to the last.
 *
 * <p>Defaults, about 1/20 of real NixOS figures: evaluation 80 ms a host on 2 workers (a real host
 * takes ~1.6 s of {@code nix eval} on one core), build 150 ms a system with 4 build jobs, 10 ms a
 * command, copies at 72 KB/s (each host's ~7 KB of new paths: ~100 ms), deploy parallelism 10; the
 * pipeline builds 4 at a time (the same build capacity).
 *
 * <p>Run: {@code mvn -q -pl fleet-examples -am compile exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.PipelineBenchmark} (arguments: hosts, eval ms, eval
 * workers, build ms, build jobs, latency ms, copy bytes/s, deploy parallelism, rounds).
 */
public final class PipelineBenchmark {
  private PipelineBenchmark() {}

  private record Settings(
      int hosts,
      int evalMs,
      int evalWorkers,
      int buildMs,
      int buildJobs,
      int latencyMs,
      long bandwidth,
      int deployParallelism) {}

  private record Result(String mode, int round, double firstSeconds, double lastSeconds, int ok) {}

  /** Runs the benchmark. */
  public static void main(String[] args) {
    Settings s =
        new Settings(
            arg(args, 0, 100),
            arg(args, 1, 80),
            arg(args, 2, 2),
            arg(args, 3, 150),
            arg(args, 4, 4),
            arg(args, 5, 10),
            arg(args, 6, 72_000),
            arg(args, 7, 10));
    int rounds = arg(args, 8, 3);
    System.out.printf(
        Locale.ROOT,
        "== %d fake hosts: eval %d ms/host on %d workers, build %d ms/system with %d jobs,"
            + " %d ms/command, copies at %d B/s, deploy parallelism %d; %d rounds%n",
        s.hosts,
        s.evalMs,
        s.evalWorkers,
        s.buildMs,
        s.buildJobs,
        s.latencyMs,
        s.bandwidth,
        s.deployParallelism,
        rounds);
    System.out.println("load average before: " + loadAverage());
    System.out.printf(
        Locale.ROOT,
        "ideal stages: eval-all %.2f s, build-all %.2f s%n",
        s.hosts * s.evalMs / 1000.0 / s.evalWorkers,
        s.hosts * s.buildMs / 1000.0 / s.buildJobs);
    // Warm-up: one small run of each, so class loading and JIT are not in round 1.
    Settings warm = new Settings(10, 5, s.evalWorkers, 5, s.buildJobs, 1, 0, s.deployParallelism);
    pipeline(warm, 0);
    staged(warm, 0);

    List<Result> results = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      if (round % 2 == 1) {
        results.add(pipeline(s, round));
        results.add(staged(s, round));
      } else {
        results.add(staged(s, round));
        results.add(pipeline(s, round));
      }
    }
    System.out.println();
    System.out.println("| round | mode | first confirmed (s) | last confirmed (s) | confirmed |");
    System.out.println("| --- | --- | --- | --- | --- |");
    for (Result r : results) {
      System.out.printf(
          Locale.ROOT,
          "| %d | %s | %.2f | %.2f | %d/%d |%n",
          r.round,
          r.mode,
          r.firstSeconds,
          r.lastSeconds,
          r.ok,
          s.hosts);
    }
    double pf = median(results, "pipeline", true);
    double pl = median(results, "pipeline", false);
    double sf = median(results, "staged", true);
    double sl = median(results, "staged", false);
    System.out.printf(
        Locale.ROOT,
        "%nmedian: pipeline first %.2f s, last %.2f s; staged first %.2f s, last %.2f s;"
            + " first %.1fx sooner, last %.2fx sooner%n",
        pf,
        pl,
        sf,
        sl,
        sf / pf,
        sl / pl);
    System.out.println("load average after: " + loadAverage());
  }

  private static FakeFleet fakeFleet(Settings s) {
    FakeFleet fake =
        FakeFleet.builder()
            .fleet(DeployBenchmark.fleet(s.hosts))
            .realLatency(Duration.ofMillis(s.latencyMs))
            .build();
    FakeEvaluator ev = fake.evaluator();
    ev.evaluationDelay(Duration.ofMillis(s.evalMs))
        .evaluationWorkers(s.evalWorkers)
        .buildDelay(Duration.ofMillis(s.buildMs))
        .buildJobs(s.buildJobs)
        .exportBandwidth(s.bandwidth);
    return fake;
  }

  /** The pipeline: each host built when evaluated, deployed when built. */
  private static Result pipeline(Settings s, int round) {
    try (FakeFleet fake = fakeFleet(s)) {
      FleetPipeline p =
          FleetPipeline.builder().transport(fake.transport()).evaluator(fake.evaluator()).build();
      Instant t0 = Instant.now();
      PipelineReport r =
          p.on("path:/bench", "default")
              .buildParallelism(s.buildJobs)
              .deployParallelism(s.deployParallelism)
              .execute();
      int ok = r.hostsWith(PipelineStage.DEPLOY, StageOutcome.SUCCEEDED).size();
      return new Result(
          "pipeline",
          round,
          seconds(t0, r.firstConfirmedAt().orElse(t0)),
          seconds(t0, r.lastConfirmedAt().orElse(t0)),
          ok);
    }
  }

  /** Evaluate all, then build all (one batched build), then deploy all with the Deployer. */
  private static Result staged(Settings s, int round) {
    try (FakeFleet fake = fakeFleet(s)) {
      AtomicReference<Instant> first = new AtomicReference<>();
      AtomicReference<Instant> last = new AtomicReference<>();
      Deployer d =
          Deployer.builder()
              .transport(fake.transport())
              .evaluator(fake.evaluator())
              .listener(
                  e -> {
                    if (e.kind() == DeploymentEvent.Kind.HOST_FINISHED
                        && e.outcome().orElse(null) == HostOutcome.CONFIRMED) {
                      first.compareAndSet(null, e.time());
                      last.accumulateAndGet(e.time(), (a, b) -> a == null || b.isAfter(a) ? b : a);
                    }
                  })
              .build();
      Instant t0 = Instant.now();
      Fleet fleet = fake.evaluator().evaluate("path:/bench", "default");
      DeploymentPlan plan = d.plan(fleet).parallelism(s.deployParallelism).keepGoing(true).build();
      DeploymentReport r = d.execute(plan);
      return new Result(
          "staged",
          round,
          seconds(t0, first.get() == null ? t0 : first.get()),
          seconds(t0, last.get() == null ? t0 : last.get()),
          r.hostsWith(HostOutcome.CONFIRMED).size());
    }
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toNanos() / 1e9;
  }

  private static double median(List<Result> results, String mode, boolean first) {
    List<Double> v = new ArrayList<>();
    for (Result r : results) {
      if (r.mode.equals(mode)) {
        v.add(first ? r.firstSeconds : r.lastSeconds);
      }
    }
    Collections.sort(v);
    return v.isEmpty() ? Double.NaN : v.get(v.size() / 2);
  }

  private static int arg(String[] args, int i, int dflt) {
    return args.length > i ? Integer.parseInt(args[i]) : dflt;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }
}
