package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostReport;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeEvaluator;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import io.fleet.transport.Deployer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Deployment benchmark (not a test): 1,000 fake hosts with 20 ms of real latency per command,
 * parallelism 100, a {@code SWITCH} — wall time against the ideal (commands per host × latency ×
 * hosts ÷ parallelism); and planning a 10,000-host fleet.
 *
 * <p>Run: {@code mvn -q -pl fleet-examples -am compile exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.DeployBenchmark} (arguments: hosts, latency ms,
 * parallelism, plan hosts).
 */
public final class DeployBenchmark {
  private DeployBenchmark() {}

  static Fleet fleet(int hosts) {
    Fleet.Builder b = Fleet.builder().name("bench");
    for (int i = 0; i < hosts; i++) {
      String name = String.format("node-%05d", i);
      int k = i;
      b.host(name, h -> h.tags(k % 10 == 0 ? "canary" : "worker"));
    }
    return b.build();
  }

  /** Runs the benchmark. */
  public static void main(String[] args) {
    int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int latencyMs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int parallelism = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int planHosts = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;

    System.out.println("== warm-up (3 x 300 hosts)");
    for (int i = 0; i < 3; i++) {
      deploy(300, latencyMs, parallelism);
    }
    System.out.printf(
        "== deploy: %d hosts, %d ms latency per command, parallelism %d%n",
        hosts, latencyMs, parallelism);
    deploy(hosts, latencyMs, parallelism);

    System.out.printf(
        "== baseline: the same sleeps without the deployer (%d threads, %d x 5 sleeps of %d ms)%n",
        parallelism, hosts / parallelism, latencyMs);
    baseline(hosts, latencyMs, parallelism);

    System.out.printf("== plan: %d hosts%n", planHosts);
    plan(planHosts);
  }

  private static void deploy(int hosts, int latencyMs, int parallelism) {
    Fleet fleet = fleet(hosts);
    try (FakeFleet fake =
        FakeFleet.builder().fleet(fleet).realLatency(Duration.ofMillis(latencyMs)).build()) {
      Deployer d =
          Deployer.builder().transport(fake.transport()).evaluator(fake.evaluator()).build();
      DeploymentPlan plan =
          d.plan(fleet).action(DeployAction.SWITCH).parallelism(parallelism).build();
      System.gc(); // the fake hosts' key generation leaves garbage; collect it before timing
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      DeploymentReport report = d.execute(plan);
      double wall = (System.nanoTime() - t0) / 1e9;
      double cpu = (processCpuNanos() - cpu0) / 1e9;
      if (!report.isSuccess()) {
        throw new IllegalStateException("benchmark deployment failed:\n" + report.summary());
      }
      int commands = 0;
      int roundTrips = 0;
      for (FakeHost h : fake.hosts()) {
        commands += h.commands().size();
        roundTrips += (int) h.commands().stream().filter(c -> c.op() != FakeHost.Op.IMPORT).count();
      }
      for (HostReport r : report.hosts()) {
        if (r.roundTrips() > 4) {
          throw new IllegalStateException(r.host() + " took " + r.roundTrips() + " round trips");
        }
      }
      double perHost = commands / (double) hosts;
      double ideal = perHost * latencyMs / 1000.0 * hosts / parallelism;
      System.out.printf(
          "   commands per host %.2f (round trips %.2f + copy), ideal %.3f s, wall %.3f s,"
              + " ratio %.3f (target <= 1.25); process CPU %.3f s (%.2f ms per host),"
              + " load average %.1f on %d cores%n",
          perHost,
          roundTrips / (double) hosts,
          ideal,
          wall,
          wall / ideal,
          cpu,
          cpu * 1000 / hosts,
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
          Runtime.getRuntime().availableProcessors());
      FakeCommand first = fake.hosts().get(0).commands().get(0);
      if (first.op() != FakeHost.Op.STATUS) {
        throw new IllegalStateException("unexpected first command " + first);
      }
    }
  }

  /** What the machine gives for the ideal schedule alone: the floor the deployer is held to. */
  private static void baseline(int hosts, int latencyMs, int parallelism) {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(parallelism);
    List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < hosts; i++) {
      fs.add(
          pool.submit(
              () -> {
                for (int k = 0; k < 5; k++) {
                  try {
                    Thread.sleep(latencyMs);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }
              }));
    }
    for (java.util.concurrent.Future<?> f : fs) {
      try {
        f.get();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    double ideal = 5.0 * latencyMs / 1000.0 * hosts / parallelism;
    System.out.printf("   ideal %.3f s, wall %.3f s, ratio %.3f%n", ideal, wall, wall / ideal);
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return 0;
  }

  private static void plan(int hosts) {
    Fleet fleet = fleet(hosts);
    FakeEvaluator evaluator = new FakeEvaluator(fleet);
    Deployer d =
        Deployer.builder()
            .transport(new io.fleet.testkit.FakeTransport(List.of()))
            .evaluator(evaluator)
            .build();
    List<Double> times = new ArrayList<>();
    DeploymentPlan plan = null;
    for (int i = 0; i < 7; i++) {
      long t0 = System.nanoTime();
      plan =
          d.plan(fleet)
              .select("node-*")
              .skip("node-0000[0-4]")
              .action(DeployAction.SWITCH)
              .canary(10)
              .batchSize(1000)
              .parallelism(100)
              .build();
      times.add((System.nanoTime() - t0) / 1e9);
    }
    double firstRun = times.get(0);
    List<Double> sorted = new ArrayList<>(times);
    Collections.sort(sorted);
    System.out.printf(
        "   %d hosts planned in %d batches; first run %.3f s (includes building the fake"
            + " systems), median %.3f s, best %.3f s (target < 1 s)%n",
        plan.hosts().size(), plan.batches().size(), firstRun, sorted.get(3), sorted.get(0));
  }
}
