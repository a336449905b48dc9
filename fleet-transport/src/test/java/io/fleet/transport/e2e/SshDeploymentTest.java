package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.Host;
import io.fleet.api.TransportException;
import io.fleet.api.data.FleetData;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.nix.NixEvaluator;
import io.fleet.transport.Deployer;
import io.fleet.transport.SshTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
 * Deployments end to end: the {@link Deployer} with the real {@link NixEvaluator} and {@link
 * SshTransport} against three real OpenSSH hosts ({@link SshdHost}), each with its own private
 * {@code /nix}. The system is the test flake's output ({@link SystemFlake}), built by the real nix.
 *
 * <p>The tests share the hosts and run in order; each states the hosts' state it starts from.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshDeploymentTest {
  private static final List<String> NAMES = List.of("h1", "h2", "h3");

  @TempDir static Path tmp;

  private static Path flake;
  private static Map<String, String> systems;
  private static final Map<String, SshdHost> hosts = new LinkedHashMap<>();
  private static FleetData data;
  private static SshTransport ssh;
  private static NixEvaluator nix;

  @BeforeAll
  static void setUp() throws Exception {
    flake = SystemFlake.write(tmp);
    systems = SystemFlake.build(flake, "v1", "v2", "v3");
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<SshdHost>> started = new ArrayList<>();
    for (String n : NAMES) {
      started.add(
          pool.submit(
              () -> {
                SshdHost h = SshdHost.start(n);
                h.installSystem(systems.get("v1"));
                return h;
              }));
    }
    FleetData d = FleetData.empty();
    for (int i = 0; i < NAMES.size(); i++) {
      SshdHost h = started.get(i).get();
      hosts.put(NAMES.get(i), h);
      d = d.withHostKey(h.name(), h.hostKeyLine());
    }
    pool.shutdown();
    data = d;
    ssh =
        SshTransport.builder()
            .pinnedHostKeys(data)
            .identityFile(SshdHost.clientKey())
            .connectTimeout(Duration.ofSeconds(3))
            .build();
    nix = NixEvaluator.builder().option("substituters", "").option("flake-registry", "").build();
  }

  @AfterAll
  static void tearDown() {
    if (ssh != null) {
      ssh.close();
    }
    if (nix != null) {
      nix.close();
    }
    hosts.values().forEach(SshdHost::close);
  }

  private static Fleet fleet(String version) {
    Fleet.Builder b = Fleet.builder();
    for (SshdHost h : hosts.values()) {
      b.host(
          h.name(),
          x ->
              x.system(SystemFlake.nixSystem())
                  .target(h.target())
                  .systemAttribute("path:" + flake + "#" + SystemFlake.attribute(version)));
    }
    return b.build();
  }

  private static Deployer deployer(SshTransport transport) {
    return Deployer.builder().transport(transport).evaluator(nix).build();
  }

  private static Map<String, Integer> logins() {
    Map<String, Integer> m = new LinkedHashMap<>();
    hosts.forEach((n, h) -> m.put(n, h.acceptedLogins()));
    return m;
  }

  @Test
  @Order(1)
  void switchesThreeHostsInParallelAndASecondDeployCopiesNothing() {
    // From: every host on v1 (generation 1).
    Map<String, Integer> before = logins();
    DeploymentReport first =
        deployer(ssh)
            .execute(
                deployer(ssh)
                    .plan(fleet("v2"))
                    .action(DeployAction.SWITCH)
                    .parallelism(3)
                    .id("e2e-first")
                    .build());
    assertThat(first.isSuccess()).as(first.summary()).isTrue();
    for (SshdHost h : hosts.values()) {
      HostReport r = first.host(h.name());
      assertThat(r.outcome()).isEqualTo(HostOutcome.CONFIRMED);
      assertThat(h.systemProfile()).contains(systems.get("v2"));
      assertThat(h.systemGeneration()).isEqualTo(2);
      assertThat(h.currentSystem()).contains(systems.get("v2"));
      assertThat(h.path("/var/lib/fleet/rollback-marker")).doesNotExist();
      assertThat(h.hasStorePath(systems.get("v2"))).isTrue();
      // Only what v1 did not already bring: v2 and its own payload, not the shared base.
      assertThat(r.copiedPaths())
          .contains(systems.get("v2"))
          .noneMatch(p -> p.endsWith("-fleet-test-base"));
      assertThat(r.copiedBytes()).isGreaterThan(512 * 1024);
      assertThat(h.acceptedLogins() - before.get(h.name()))
          .as("connections to %s in one deployment: one for the work, one to confirm", h.name())
          .isEqualTo(2);
      System.out.printf(
          "e2e figures: %s first deploy: %d paths, %d bytes copied, %d connections%n",
          h.name(),
          r.copiedPaths().size(),
          r.copiedBytes(),
          h.acceptedLogins() - before.get(h.name()));
    }

    Map<String, Integer> again = logins();
    DeploymentReport second =
        deployer(ssh)
            .execute(deployer(ssh).plan(fleet("v2")).parallelism(3).id("e2e-second").build());
    assertThat(second.isSuccess()).as(second.summary()).isTrue();
    for (SshdHost h : hosts.values()) {
      HostReport r = second.host(h.name());
      assertThat(r.copiedPaths()).isEmpty();
      assertThat(r.copiedBytes()).isZero();
      assertThat(h.systemProfile()).contains(systems.get("v2"));
      assertThat(h.path("/var/lib/fleet/rollback-marker")).doesNotExist();
      System.out.printf(
          "e2e figures: %s second deploy: %d paths, %d bytes copied, %d connections%n",
          h.name(),
          r.copiedPaths().size(),
          r.copiedBytes(),
          h.acceptedLogins() - again.get(h.name()));
    }
  }

  @Test
  @Order(2)
  void aFailingActivationReturnsThatHostToItsPreviousGenerationOnly() throws Exception {
    // From: every host on v2.
    SshdHost bad = hosts.get("h2");
    Files.writeString(bad.path("/run/fleet-test/fail-activation"), systems.get("v3"));
    Map<String, Integer> genBefore = new LinkedHashMap<>();
    hosts.forEach((n, h) -> genBefore.put(n, h.systemGeneration()));
    DeploymentReport report;
    try {
      report =
          deployer(ssh)
              .execute(
                  deployer(ssh)
                      .plan(fleet("v3"))
                      .system("h1", systems.get("v3"))
                      .system("h2", systems.get("v3"))
                      .system("h3", systems.get("v3"))
                      .keepGoing(true)
                      .parallelism(3)
                      .build());
    } finally {
      Files.delete(bad.path("/run/fleet-test/fail-activation"));
    }
    HostReport r2 = report.host("h2");
    assertThat(r2.outcome()).as(report.summary()).isEqualTo(HostOutcome.ROLLED_BACK);
    // systemd-run --wait does not relay the unit's output (it goes to the journal): the exit code
    // is what the deployer sees.
    assertThat(r2.error())
        .hasValueSatisfying(e -> assertThat(e).contains("switch-to-configuration", "exit 1"));
    assertThat(bad.systemProfile()).contains(systems.get("v2"));
    assertThat(bad.currentSystem()).contains(systems.get("v2"));
    assertThat(bad.path("/var/lib/fleet/rollback-marker")).doesNotExist();
    assertThat(Files.readString(bad.path("/run/fleet-test/activations")))
        .contains("switch " + systems.get("v3"))
        .endsWith("switch " + systems.get("v2") + "\n");
    for (String other : List.of("h1", "h3")) {
      SshdHost h = hosts.get(other);
      assertThat(report.host(other).outcome()).isEqualTo(HostOutcome.CONFIRMED);
      assertThat(h.systemProfile()).contains(systems.get("v3"));
      assertThat(h.currentSystem()).contains(systems.get("v3"));
      assertThat(h.systemGeneration()).isEqualTo(genBefore.get(other) + 1);
      assertThat(h.path("/var/lib/fleet/rollback-marker")).doesNotExist();
    }
  }

  @Test
  @Order(3)
  void aHostThatCannotBeConfirmedIsRolledBackByItsWatchdog() throws Exception {
    // From: h3 on v3. Activation of v1 hangs for 3 s; meanwhile the host's sshd and all its SSH
    // sessions are killed: the host stays up, the deployer cannot confirm.
    SshdHost h3 = hosts.get("h3");
    String previous = h3.systemProfile().orElseThrow();
    int previousGeneration = h3.systemGeneration();
    Files.writeString(h3.path("/run/fleet-test/hang-activation"), systems.get("v1") + "\n3\n");
    Path hanging = h3.path("/run/fleet-test/activation-hanging");
    Files.deleteIfExists(hanging);
    Duration window = Duration.ofSeconds(10);
    CompletableFuture<DeploymentReport> running =
        CompletableFuture.supplyAsync(
            () ->
                deployer(ssh)
                    .execute(
                        deployer(ssh)
                            .plan(fleet("v1"))
                            .select("h3")
                            .system("h3", systems.get("v1"))
                            .rollbackWindow(window)
                            .reconnectTimeout(Duration.ofSeconds(2))
                            .build()));
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!Files.exists(hanging) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(hanging).as("activation started").exists();
      long killedAt = System.nanoTime();
      h3.killSshd();
      DeploymentReport report = running.get();
      HostReport r = report.host("h3");
      assertThat(r.outcome()).as(report.summary()).isEqualTo(HostOutcome.ROLLBACK_PENDING);
      assertThat(r.rollbackDueAt()).isPresent();
      // The host is still on the new system until the watchdog fires...
      assertThat(h3.systemProfile()).contains(systems.get("v1"));
      // ...which it does within the window (counted from arming, before the kill).
      long limit = killedAt + window.plusSeconds(5).toNanos();
      while (!h3.systemProfile().orElseThrow().equals(previous) && System.nanoTime() < limit) {
        Thread.sleep(200);
      }
      assertThat(h3.systemProfile()).contains(previous);
      while (Files.exists(h3.path("/var/lib/fleet/rollback-marker")) && System.nanoTime() < limit) {
        Thread.sleep(100);
      }
      assertThat(h3.path("/var/lib/fleet/rollback-marker")).doesNotExist();
      assertThat(h3.currentSystem()).contains(previous);
      assertThat(h3.systemGeneration()).isEqualTo(previousGeneration);
    } finally {
      Files.deleteIfExists(h3.path("/run/fleet-test/hang-activation"));
      h3.restartSshd();
    }
    // The host can be deployed again after its watchdog fired.
    DeploymentReport again =
        deployer(ssh)
            .execute(
                deployer(ssh)
                    .plan(fleet("v1"))
                    .select("h3")
                    .system("h3", systems.get("v1"))
                    .build());
    assertThat(again.isSuccess()).as(again.summary()).isTrue();
    assertThat(h3.systemProfile()).contains(systems.get("v1"));
  }

  @Test
  @Order(4)
  void aWrongPinnedHostKeyRefusesAndLeavesTheHostAlone() {
    SshdHost h1 = hosts.get("h1");
    String before = h1.systemProfile().orElseThrow();
    int logins = h1.acceptedLogins();
    try (SshTransport wrong =
        SshTransport.builder()
            .pinnedHostKeys(Map.of("h1", hosts.get("h2").hostKeyLine()))
            .identityFile(SshdHost.clientKey())
            .build()) {
      DeploymentReport report =
          deployer(wrong)
              .execute(
                  deployer(wrong)
                      .plan(fleet("v1"))
                      .select("h1")
                      .system("h1", systems.get("v1"))
                      .build());
      HostReport r = report.host("h1");
      assertThat(r.outcome()).isEqualTo(HostOutcome.FAILED);
      assertThat(r.error())
          .hasValueSatisfying(e -> assertThat(e).contains("h1", "refusing", "SHA256:"));
    }
    assertThat(h1.systemProfile()).contains(before);
    assertThat(h1.acceptedLogins()).isEqualTo(logins);
  }

  @Test
  @Order(5)
  void deployToAHostWhoseDataHasNoKeyUsesKnownHostsAndRefusesAnUnknownKey() {
    Host lone = Host.builder().name("h1").target(hosts.get("h1").target()).build();
    try (SshTransport noPins =
        SshTransport.builder()
            .knownHosts(tmp.resolve("empty-known-hosts"))
            .identityFile(SshdHost.clientKey())
            .build()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> noPins.connect(lone))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> assertThat(e.reason()).isEqualTo(TransportException.Reason.HOST_KEY_UNKNOWN));
    }
  }
}
