package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.data.FleetData;
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
import io.fleet.api.spi.CommandResult;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.SharedNixTrees;
import io.fleet.transport.FleetPipeline;
import io.fleet.transport.SshTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FleetPipeline} end to end on three real systemd hosts ({@link SystemdHost}, each with its
 * own nix store) over {@link SshTransport}: the controller's real nix evaluates a fleet flake one
 * host per {@code nix eval} process ({@code evaluationChunkSize(1)}), builds (or, with {@code
 * buildOnTarget}, only evaluates the derivation the host then realises) and the pipeline deploys.
 *
 * <p>The fleet flake has four configurations ({@code built}, {@code ontarget}, {@code stophost},
 * {@code stopfleet}) of the same hosts, whose systems are the test flake's ({@link SystemFlake})
 * under names new to every run, so each configuration's systems are new to both stores. The hosts
 * start on v1 (generation 1) and the tests run in order, each from the state the one before left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdPipelineTest {
  private static final List<String> NAMES = List.of("p1", "p2", "p3");
  private static final List<String> CONFIGURATIONS =
      List.of("built", "ontarget", "stophost", "stopfleet");
  private static final String NONCE =
      UUID.randomUUID().toString().replace("-", "").substring(0, 12);

  @TempDir static Path tmp;

  private static final Map<String, SystemdHost> hosts = new LinkedHashMap<>();
  private static Path systemsFlake;
  private static Path fleetFlake;
  private static Path trees;
  private static SshTransport ssh;

  @BeforeAll
  static void setUp() throws Exception {
    long t0 = System.nanoTime();
    SystemdHost.rootTree();
    trees = SharedNixTrees.inTarget().root();
    systemsFlake = writeSystemsFlake();
    String v1 = SystemFlake.build(systemsFlake, "v1").get("v1");
    ExecutorService pool = Executors.newFixedThreadPool(NAMES.size());
    List<Future<SystemdHost>> started = new ArrayList<>();
    for (String n : NAMES) {
      started.add(
          pool.submit(
              () -> {
                SystemdHost h = SystemdHost.start(n);
                h.installSystem(v1);
                h.control("build-marker", "built-on-" + n + "-" + NONCE);
                return h;
              }));
    }
    FleetData data = FleetData.empty();
    try {
      for (Future<SystemdHost> f : started) {
        SystemdHost h = f.get();
        hosts.put(h.name(), h);
        data = data.withHostKey(h.name(), h.hostKeyLine());
      }
    } finally {
      pool.shutdown();
    }
    fleetFlake = writeFleetFlake();
    ssh =
        SshTransport.builder()
            .pinnedHostKeys(data)
            .identityFile(SshdHost.clientKey())
            .noSshAgent()
            .connectTimeout(Duration.ofSeconds(3))
            .build();
    System.out.printf(
        "e2e figures: pipeline test setup (three systemd hosts on v1) %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);
  }

  @AfterAll
  static void tearDown() {
    if (ssh != null) {
      ssh.close();
    }
    hosts.values().forEach(SystemdHost::close);
  }

  /**
   * The test flake with a system per configuration and host ({@code <configuration>-<host>}) under
   * names new to this run; every system records in {@code built-on} the build marker of the machine
   * that built it (only the containers have one).
   */
  private static Path writeSystemsFlake() throws Exception {
    Path base = SystemFlake.write(tmp);
    String text = Files.readString(base.resolve("flake.nix"));
    StringBuilder extra = new StringBuilder("          v3 = version \"v3\" 768;\n");
    for (String c : CONFIGURATIONS) {
      for (String h : NAMES) {
        extra.append(
            String.format(
                "          \"%s-%s\" = version \"pipeline-%s-%s-%s\" 16;%n", c, h, c, h, NONCE));
      }
    }
    String changed =
        text.replace("          v3 = version \"v3\" 768;\n", extra.toString())
            .replace(
                "echo ${v} > $out/version\n",
                "echo ${v} > $out/version\n"
                    + "                /bin/cat /var/lib/fleet-test/build-marker > $out/built-on"
                    + " 2>/dev/null || true\n");
    assertThat(changed).contains("\"stopfleet-p3\"").contains("$out/built-on 2>/dev/null");
    Path dir = Files.createDirectories(tmp.resolve("pipeline-systems"));
    Files.writeString(dir.resolve("flake.nix"), changed);
    return dir;
  }

  /**
   * The fleet flake: each configuration a {@code fleet.lib.fleetConfiguration} of the three hosts
   * (deploy targets {@code root@127.0.0.1:<port>}) whose {@code mkSystem} takes the host's system
   * from the systems flake.
   */
  private static Path writeFleetFlake() throws Exception {
    Path fleetNix = NixEvaluator.writeFleetFlake(tmp.resolve("fleet-nix"));
    StringBuilder hostAttrs = new StringBuilder();
    for (SystemdHost h : hosts.values()) {
      hostAttrs.append(
          String.format(
              "        %s = { system = \"%s\"; deployTarget = \"root@127.0.0.1:%d\"; };%n",
              h.name(), SystemFlake.nixSystem(), h.port()));
    }
    StringBuilder configs = new StringBuilder();
    for (String c : CONFIGURATIONS) {
      configs.append(String.format("      %s = configuration \"%s\";%n", c, c));
    }
    String text =
        String.join(
            "\n",
            "{",
            "  inputs.fleet.url = \"path:" + fleetNix + "\";",
            "  inputs.systems.url = \"path:" + systemsFlake + "\";",
            "  outputs = { self, fleet, systems }:",
            "    let",
            "      configuration = prefix: fleet.lib.fleetConfiguration {",
            "        mkSystem = { name, system, ... }:",
            "          { toplevel = systems.systems.${system}.\"${prefix}-${name}\"; };",
            "        modules = [ { hosts = {",
            hostAttrs + "      }; } ];",
            "      };",
            "    in {",
            "    fleetConfigurations = {",
            configs + "    };",
            "  };",
            "}",
            "");
    Path dir = Files.createDirectories(tmp.resolve("pipeline-fleet"));
    Files.writeString(dir.resolve("flake.nix"), text);
    return dir;
  }

  /** The controller's nix: one host per {@code nix eval} process, {@code workers} at a time. */
  private static NixEvaluator nix(int workers) {
    return NixEvaluator.builder()
        .option("substituters", "")
        .option("flake-registry", "")
        .overrideInput("fleet/nixpkgs-lib", "path:" + trees.resolve("nixpkgs-lib"))
        .evaluationChunkSize(1)
        .evaluationWorkers(workers)
        .build();
  }

  /** The store path of the systems flake's {@code <configuration>-<host>}. */
  private static String systemOf(String configuration, String host) {
    List<String> argv = new ArrayList<>(List.of("nix"));
    argv.addAll(SystemFlake.NIX_FLAGS);
    argv.addAll(
        List.of(
            "eval",
            "--raw",
            "path:"
                + systemsFlake
                + "#"
                + SystemFlake.attribute(configuration + "-" + host)
                + ".outPath"));
    CommandResult r = SshdHost.runProcess(argv, null);
    assertThat(r.isSuccess()).as(r.stderrText()).isTrue();
    return r.stdoutText().trim();
  }

  private static boolean validHere(String path) {
    return SshdHost.runProcess(List.of("nix-store", "--check-validity", path), null).isSuccess();
  }

  private static PipelineReport roundTripped(PipelineReport r) {
    assertThat(PipelineReport.fromJson(r.toJson())).isEqualTo(r);
    return r;
  }

  /** The host runs {@code system} on {@code generation}, confirmed (no marker). */
  private static void assertSettledOn(SystemdHost h, String system, int generation) {
    assertThat(h.systemProfile()).as(h.name() + " profile").contains(system);
    assertThat(h.systemGeneration()).as(h.name() + " generation").isEqualTo(generation);
    assertThat(h.currentSystem()).as(h.name() + " /run/current-system").contains(system);
    assertThat(h.hasMarker()).as(h.name() + " marker").isFalse();
  }

  /** The host's pipeline report says CONFIRMED on {@code system}, generation {@code generation}. */
  private static void assertConfirmed(PipelineReport r, String host, String system, long gen) {
    PipelineHostReport p = r.host(host);
    assertThat(p.evaluation().outcome()).as(r.summary()).isEqualTo(StageOutcome.SUCCEEDED);
    assertThat(p.build().outcome()).as(r.summary()).isEqualTo(StageOutcome.SUCCEEDED);
    assertThat(p.deployment().outcome()).as(r.summary()).isEqualTo(StageOutcome.SUCCEEDED);
    assertThat(p.system()).contains(system);
    HostReport hr = p.hostReport().orElseThrow();
    assertThat(hr.outcome()).isEqualTo(HostOutcome.CONFIRMED);
    assertThat(hr.systemAfter()).contains(system);
    assertThat(hr.generationAfter()).contains(gen);
    assertThat(hr.system()).isEqualTo(system);
  }

  private static int index(List<PipelineEvent> events, String host, PipelineStage s, Kind k) {
    for (int i = 0; i < events.size(); i++) {
      PipelineEvent e = events.get(i);
      if (e.host().equals(host) && e.stage() == s && e.kind() == k) {
        return i;
      }
    }
    throw new AssertionError("no " + s + " " + k + " of " + host + " in " + events);
  }

  @Test
  @Order(1)
  void theControllersNixEvaluatesAndBuildsAndThePipelineDeploysEveryHost() {
    // From: every host on v1 (generation 1).
    Map<String, String> systems = new LinkedHashMap<>();
    NAMES.forEach(n -> systems.put(n, systemOf("built", n)));
    List<PipelineEvent> events = new CopyOnWriteArrayList<>();
    long t0 = System.nanoTime();
    PipelineReport r;
    try (NixEvaluator nix = nix(2)) {
      r =
          FleetPipeline.builder()
              .transport(ssh)
              .evaluator(nix)
              .listener(events::add)
              .build()
              .on("path:" + fleetFlake, "built")
              .id("e2e-pipeline-built-" + NONCE)
              .buildParallelism(2)
              .deployParallelism(3)
              .execute();
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    roundTripped(r);
    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    assertThat(r.pipelineId()).isEqualTo("e2e-pipeline-built-" + NONCE);
    for (String n : NAMES) {
      String system = systems.get(n);
      assertConfirmed(r, n, system, 2);
      assertSettledOn(hosts.get(n), system, 2);
      // Built here (by the controller's nix), then copied: the host's marker is not in it.
      assertThat(validHere(system)).as("built here").isTrue();
      assertThat(Path.of(system, "built-on")).isEmptyFile();
      assertThat(r.host(n).hostReport().orElseThrow().copiedPaths()).contains(system);
      // Each host's stages in order, as the events tell them.
      assertThat(index(events, n, PipelineStage.EVALUATE, Kind.FINISHED))
          .isLessThan(index(events, n, PipelineStage.BUILD, Kind.STARTED));
      assertThat(index(events, n, PipelineStage.BUILD, Kind.FINISHED))
          .isLessThan(index(events, n, PipelineStage.DEPLOY, Kind.STARTED));
      assertThat(index(events, n, PipelineStage.DEPLOY, Kind.STARTED))
          .isLessThan(index(events, n, PipelineStage.DEPLOY, Kind.FINISHED));
    }
    System.out.printf(
        "e2e figures: pipeline on three systemd hosts (evaluate, build here, deploy) %d ms%n", ms);
  }

  @Test
  @Order(2)
  void withBuildOnTargetEachHostRealisesItsOwnSystem() {
    // From: every host on built-<host> (generation 2).
    Map<String, String> systems = new LinkedHashMap<>();
    NAMES.forEach(n -> systems.put(n, systemOf("ontarget", n)));
    systems.values().forEach(s -> assertThat(validHere(s)).as(s + " here before").isFalse());
    long t0 = System.nanoTime();
    PipelineReport r;
    try (NixEvaluator nix = nix(2)) {
      r =
          FleetPipeline.builder()
              .transport(ssh)
              .evaluator(nix)
              .build()
              .on("path:" + fleetFlake, "ontarget")
              .buildOnTarget(true)
              .buildParallelism(2)
              .deployParallelism(3)
              .execute();
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    roundTripped(r);
    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    for (String n : NAMES) {
      SystemdHost h = hosts.get(n);
      String system = systems.get(n);
      assertConfirmed(r, n, system, 3);
      assertSettledOn(h, system, 3);
      assertThat(r.host(n).build().message())
          .hasValueSatisfying(m -> assertThat(m).contains(".drv: built on the host when deployed"));
      HostReport hr = r.host(n).hostReport().orElseThrow();
      assertThat(hr.stepTimes()).containsKey(DeployStep.BUILD);
      // The derivation was copied, not the system.
      assertThat(hr.copiedPaths()).anyMatch(p -> p.endsWith(".drv")).doesNotContain(system);
      // Realised there: valid in the host's store, with the host's own marker; absent here.
      CommandResult valid = h.exec("nix-store", "--check-validity", system);
      assertThat(valid.isSuccess()).as(valid.stderrText()).isTrue();
      assertThat(h.exec("cat", system + "/built-on").stdoutText().trim())
          .isEqualTo("built-on-" + n + "-" + NONCE);
      assertThat(validHere(system)).as(system + " here after").isFalse();
    }
    System.out.printf(
        "e2e figures: pipeline on three systemd hosts with build on target %d ms%n", ms);
  }

  @Test
  @Order(3)
  void aHostWhoseActivationFailsIsRolledBackAndOnlyItStops() {
    // From: every host on ontarget-<host> (generation 3).
    String before2 = hosts.get("p2").systemProfile().orElseThrow();
    String failing = systemOf("stophost", "p2");
    hosts.get("p2").control("fail-activation", failing + "\n");
    PipelineReport r;
    try (NixEvaluator nix = nix(2)) {
      r =
          FleetPipeline.builder()
              .transport(ssh)
              .evaluator(nix)
              .build()
              .on("path:" + fleetFlake, "stophost")
              .buildParallelism(2)
              .deployParallelism(3)
              .execute();
    } finally {
      hosts.get("p2").clearControl("fail-activation");
    }
    roundTripped(r);
    assertThat(r.isSuccess()).isFalse();
    assertThat(r.failurePolicy()).isEqualTo(FailurePolicy.STOP_HOST);
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.FAILED)).containsExactly("p2");
    PipelineHostReport p2 = r.host("p2");
    assertThat(p2.system()).contains(failing);
    assertThat(p2.failedStage()).contains(PipelineStage.DEPLOY);
    HostReport hr = p2.hostReport().orElseThrow();
    assertThat(hr.outcome()).as(r.summary()).isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(hr.rolledBackBy()).contains("deployer");
    assertThat(hr.error())
        .hasValueSatisfying(
            e -> assertThat(e).contains("activating " + failing + " failed (test)"));
    assertThat(p2.deployment().message())
        .hasValueSatisfying(m -> assertThat(m).contains("ROLLED_BACK"));
    assertSettledOn(hosts.get("p2"), before2, 3);
    for (String n : List.of("p1", "p3")) {
      String system = systemOf("stophost", n);
      assertConfirmed(r, n, system, 4);
      assertSettledOn(hosts.get(n), system, 4);
    }
  }

  @Test
  @Order(4)
  void underStopFleetTheHostsAfterAFailedOneAreSkipped() {
    // From: p1, p3 on stophost-<host> (generation 4), p2 on ontarget-p2 (generation 3). One
    // evaluation process, one build and one deployment at a time: p1, p2, p3 in that order.
    SystemdHost p3 = hosts.get("p3");
    String before2 = hosts.get("p2").systemProfile().orElseThrow();
    String before3 = p3.systemProfile().orElseThrow();
    int logins3 = p3.acceptedLogins();
    String failing = systemOf("stopfleet", "p2");
    hosts.get("p2").control("fail-activation", failing + "\n");
    PipelineReport r;
    try (NixEvaluator nix = nix(1)) {
      r =
          FleetPipeline.builder()
              .transport(ssh)
              .evaluator(nix)
              .build()
              .on("path:" + fleetFlake, "stopfleet")
              .failurePolicy(FailurePolicy.STOP_FLEET)
              .buildParallelism(1)
              .deployParallelism(1)
              .execute();
    } finally {
      hosts.get("p2").clearControl("fail-activation");
    }
    roundTripped(r);
    assertThat(r.isSuccess()).isFalse();
    assertThat(r.failurePolicy()).isEqualTo(FailurePolicy.STOP_FLEET);
    String p1 = systemOf("stopfleet", "p1");
    assertConfirmed(r, "p1", p1, 5);
    assertSettledOn(hosts.get("p1"), p1, 5);
    assertThat(r.host("p2").hostReport().orElseThrow().outcome())
        .as(r.summary())
        .isEqualTo(HostOutcome.ROLLED_BACK);
    assertSettledOn(hosts.get("p2"), before2, 3);
    PipelineHostReport s3 = r.host("p3");
    assertThat(s3.deployment().outcome()).as(r.summary()).isEqualTo(StageOutcome.SKIPPED);
    assertThat(s3.deployment().message())
        .hasValueSatisfying(
            m -> assertThat(m).contains("p2 failed").contains("the policy stops the fleet"));
    assertThat(s3.hostReport()).isEmpty();
    assertThat(r.hostsWith(PipelineStage.DEPLOY, StageOutcome.SKIPPED)).containsExactly("p3");
    // p3 was not touched: no login, same system and generation.
    assertThat(p3.acceptedLogins()).isEqualTo(logins3);
    assertSettledOn(p3, before3, 4);
  }
}
