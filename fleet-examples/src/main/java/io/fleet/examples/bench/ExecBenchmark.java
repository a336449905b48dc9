package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.FakeFleet;
import io.fleet.transport.FleetExec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@link FleetExec} benchmark (not a test): a command on 1,000 fake hosts that each take 20 ms of
 * real latency per command, parallelism 100 — wall time against the ideal (hosts ÷ parallelism ×
 * latency: one command round trip per host). Goal: at most 1.25× the ideal.
 *
 * <p>Run: {@code mvn -q -pl fleet-examples -am compile exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.ExecBenchmark} (arguments: hosts, latency ms,
 * parallelism, rounds).
 */
public final class ExecBenchmark {
  private ExecBenchmark() {}

  /** Runs the benchmark and prints its figures. */
  public static void main(String[] args) throws Exception {
    int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int latencyMs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int parallelism = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    System.out.printf(
        "exec benchmark: %d fake hosts, %d ms real latency per command, parallelism %d, %d cores,"
            + " load average %s%n",
        hosts, latencyMs, parallelism, Runtime.getRuntime().availableProcessors(), loadAverage());
    Fleet.Builder b = Fleet.builder().name("bench");
    for (int i = 0; i < hosts; i++) {
      int k = i;
      b.host(String.format("node-%05d", i), h -> h.tags(k % 2 == 0 ? "even" : "odd"));
    }
    Fleet fleet = b.build();
    double ideal = Math.ceil((double) hosts / parallelism) * latencyMs;
    try (FakeFleet fake =
        FakeFleet.builder()
            .fleet(fleet)
            .realLatency(Duration.ofMillis(latencyMs))
            .handler(
                (host, c) ->
                    c.argv().get(c.argv().size() - 1).equals("uptime")
                        ? Optional.of(CommandResult.of(0, host.name() + " up 1 day\n", ""))
                        : Optional.empty())
            .build()) {
      FleetExec exec =
          FleetExec.builder().transport(fake.transport()).parallelism(parallelism).build();
      for (int i = 0; i < 3; i++) { // warm-up
        exec.on(fleet).command("uptime").run();
      }
      double[] walls = new double[rounds];
      long cpu0 = processCpuNanos();
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        ExecReport r = exec.on(fleet).command("uptime").run();
        walls[i] = (System.nanoTime() - t0) / 1e6;
        if (r.hostsWith(ExecOutcome.SUCCESS).size() != hosts) {
          throw new IllegalStateException("not every host succeeded: " + r.summary());
        }
      }
      double cpuMs = (processCpuNanos() - cpu0) / 1e6 / rounds;
      Arrays.sort(walls);
      System.out.printf(
          "  wall per run: min %.0f ms, median %.0f ms, max %.0f ms; ideal %.0f ms%n",
          walls[0], walls[rounds / 2], walls[rounds - 1], ideal);
      System.out.printf(
          "  wall / ideal: min %.2fx, median %.2fx (goal <= 1.25x)%n",
          walls[0] / ideal, walls[rounds / 2] / ideal);
      System.out.printf(
          "  CPU time of this process per run: %.0f ms (%.3f ms per host); a busy machine adds"
              + " waiting for a core to the wall time%n",
          cpuMs, cpuMs / hosts);
      long t0 = System.nanoTime();
      ExecReport half = exec.on(fleet).select("@even").skip("node-0000*").command("uptime").run();
      System.out.printf(
          "  @even minus node-0000*: %d hosts in %.0f ms; JSON report %d KB%n",
          half.hosts().size(), (System.nanoTime() - t0) / 1e6, half.toJson().length() / 1024);
    }
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean
        ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime()
        : 0;
  }

  private static String loadAverage() {
    try {
      List<String> f = Arrays.asList(Files.readString(Path.of("/proc/loadavg")).split(" "));
      return String.join(" ", f.subList(0, 3));
    } catch (Exception e) {
      return "unknown";
    }
  }
}
