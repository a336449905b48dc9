package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.Host;
import io.fleet.api.TransportException;
import io.fleet.api.data.FleetData;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
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
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployments end to end on real systemd hosts ({@link SystemdHost}: Debian 12 booted by {@code
 * systemd-nspawn}, systemd 252 as PID 1, OpenSSH, sudo, nix): the {@link Deployer} with the real
 * {@link NixEvaluator} and {@link SshTransport}. The systems are the test flake's ({@link
 * SystemFlake}), built by the real nix; their {@code switch-to-configuration} is told by control
 * files to fail, hang or stop sshd.
 *
 * <p>Every test checks the host's real state: its profile generation, {@code /run/current-system},
 * the marker, and {@code systemctl is-active} of the watchdog timers. The tests share three hosts
 * and run in order; each says what state it starts from and leaves every host on a confirmed system
 * without a marker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdDeploymentTest {
  private static final List<String> NAMES = List.of("h1", "h2", "h3");
  private static final Duration BOOT_WINDOW = Duration.ofSeconds(12);
  private static final String WATCHDOG = HostProtocol.WATCHDOG_UNIT + ".timer";
  private static final String BOOT_WATCHDOG = HostProtocol.BOOT_WATCHDOG_UNIT + ".timer";

  @TempDir static Path tmp;

  private static Path flake;
  private static Map<String, String> systems;
  private static final Map<String, SystemdHost> hosts = new LinkedHashMap<>();
  private static SshTransport ssh;
  private static NixEvaluator nix;
  private static long containerNanos;

  @BeforeAll
  static void setUp() throws Exception {
    long t0 = System.nanoTime();
    SystemdHost.rootTree();
    flake = SystemFlake.write(tmp);
    systems = SystemFlake.build(flake, "v1", "v2", "v3");
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<SystemdHost>> started = new ArrayList<>();
    long boot = System.nanoTime();
    for (String n : NAMES) {
      started.add(
          pool.submit(
              () -> {
                SystemdHost h = SystemdHost.start(n, BOOT_WINDOW);
                h.installSystem(systems.get("v1"));
                return h;
              }));
    }
    FleetData data = FleetData.empty();
    for (int i = 0; i < NAMES.size(); i++) {
      SystemdHost h = started.get(i).get();
      hosts.put(NAMES.get(i), h);
      data = data.withHostKey(h.name(), h.hostKeyLine());
    }
    pool.shutdown();
    System.out.printf(
        "e2e figures: three systemd hosts booted with v1 installed in %d ms (setup %d ms)%n",
        (System.nanoTime() - boot) / 1_000_000, (System.nanoTime() - t0) / 1_000_000);
    ssh =
        SshTransport.builder()
            .pinnedHostKeys(data)
            .identityFile(SshdHost.clientKey())
            .noSshAgent()
            .connectTimeout(Duration.ofSeconds(3))
            .build();
    nix = NixEvaluator.builder().option("substituters", "").option("flake-registry", "").build();
    containerNanos = System.nanoTime() - t0;
  }

  @AfterAll
  static void tearDown() {
    long t0 = System.nanoTime();
    if (ssh != null) {
      ssh.close();
    }
    if (nix != null) {
      nix.close();
    }
    hosts.values().forEach(SystemdHost::close);
    System.out.printf(
        "e2e figures: systemd hosts' setup and teardown took %d ms%n",
        (containerNanos + System.nanoTime() - t0) / 1_000_000);
  }

  private static Fleet fleet(String version, String user) {
    Fleet.Builder b = Fleet.builder();
    for (SystemdHost h : hosts.values()) {
      b.host(
          h.name(),
          x ->
              x.system(SystemFlake.nixSystem())
                  .target(h.target(user))
                  .systemAttribute("path:" + flake + "#" + SystemFlake.attribute(version)));
    }
    return b.build();
  }

  private static Deployer deployer() {
    return Deployer.builder().transport(ssh).evaluator(nix).build();
  }

  private static Deployer.Planner plan(String version, String... only) {
    Deployer.Planner p = deployer().plan(fleet(version, "root"));
    if (only.length > 0) {
      p.select(only);
      for (String h : only) {
        p.system(h, systems.get(version));
      }
    }
    return p;
  }

  private static Map<String, Integer> logins() {
    Map<String, Integer> m = new LinkedHashMap<>();
    hosts.forEach((n, h) -> m.put(n, h.acceptedLogins()));
    return m;
  }

  /** The host is on {@code system}, confirmed: profile, running system, no marker, no timers. */
  private static void assertSettledOn(SystemdHost h, String system, int generation) {
    assertThat(h.systemProfile()).as(h.name() + " profile").contains(system);
    assertThat(h.systemGeneration()).as(h.name() + " generation").isEqualTo(generation);
    assertThat(h.currentSystem()).as(h.name() + " /run/current-system").contains(system);
    assertThat(h.hasMarker()).as(h.name() + " marker").isFalse();
    assertThat(h.isActive(WATCHDOG)).as(h.name() + " " + WATCHDOG).isNotEqualTo("active");
    assertThat(h.isActive(BOOT_WATCHDOG)).as(h.name() + " " + BOOT_WATCHDOG).isNotEqualTo("active");
  }

  private static void waitUntil(BooleanSupplier condition, Duration max, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + max + " waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  @Test
  @Order(1)
  void switchesThreeHostsInParallelAndASecondDeployCopiesNothing() {
    // From: every host on v1 (generation 1).
    Map<String, Integer> before = logins();
    long t0 = System.nanoTime();
    DeploymentReport first =
        deployer()
            .execute(plan("v2").action(DeployAction.SWITCH).parallelism(3).id("e2e-first").build());
    long wall = (System.nanoTime() - t0) / 1_000_000;
    assertThat(first.isSuccess()).as(first.summary()).isTrue();
    for (SystemdHost h : hosts.values()) {
      HostReport r = first.host(h.name());
      assertThat(r.outcome()).isEqualTo(HostOutcome.CONFIRMED);
      assertSettledOn(h, systems.get("v2"), 2);
      assertThat(r.generationBefore()).contains(1L);
      assertThat(r.generationAfter()).contains(2L);
      assertThat(r.systemAfter()).contains(systems.get("v2"));
      assertThat(r.activationOutput())
          .hasValueSatisfying(o -> assertThat(o).contains("activating"));
      assertThat(r.copiedPaths())
          .contains(systems.get("v2"))
          .noneMatch(p -> p.endsWith("-fleet-test-base"));
      int connections = h.acceptedLogins() - before.get(h.name());
      assertThat(connections)
          .as("connections to %s in one deployment: one for the work, one to confirm", h.name())
          .isEqualTo(2);
      System.out.printf(
          "e2e figures: %s three-host switch on systemd: %d ms wall, %d round trips, %d"
              + " connections, %d paths, %d bytes copied%n",
          h.name(), wall, r.roundTrips(), connections, r.copiedPaths().size(), r.copiedBytes());
    }

    DeploymentReport second =
        deployer().execute(plan("v2").parallelism(3).id("e2e-second").build());
    assertThat(second.isSuccess()).as(second.summary()).isTrue();
    for (SystemdHost h : hosts.values()) {
      assertThat(second.host(h.name()).copiedPaths()).isEmpty();
      // nix-env --set reuses the last generation when it already has the system.
      assertSettledOn(h, systems.get("v2"), 2);
    }
  }

  @Test
  @Order(2)
  void aFailingActivationIsRolledBackWithItsOwnOutputInTheReport() {
    // From: every host on v2 (generation 2).
    SystemdHost bad = hosts.get("h2");
    bad.control("fail-activation", systems.get("v3") + "\n");
    DeploymentReport report;
    try {
      report = deployer().execute(plan("v3", "h1", "h2", "h3").keepGoing(true).build());
    } finally {
      bad.clearControl("fail-activation");
    }
    HostReport r2 = report.host("h2");
    assertThat(r2.outcome()).as(report.summary()).isEqualTo(HostOutcome.ROLLED_BACK);
    // switch-to-configuration's own stdout and stderr, read back from the host.
    assertThat(r2.error())
        .hasValueSatisfying(
            e ->
                assertThat(e)
                    .contains("exit 4")
                    .contains("starting the following units: broken.service")
                    .contains("activating " + systems.get("v3") + " failed (test)"));
    assertThat(r2.activationOutput()).hasValueSatisfying(o -> assertThat(o).contains("broken"));
    assertThat(r2.rolledBackBy()).contains("deployer");
    assertSettledOn(bad, systems.get("v2"), 2);
    assertThat(r2.generationAfter()).contains((long) bad.systemGeneration());
    assertThat(r2.systemAfter()).isEqualTo(bad.currentSystem());
    for (String other : List.of("h1", "h3")) {
      assertThat(report.host(other).outcome())
          .as(report.summary())
          .isEqualTo(HostOutcome.CONFIRMED);
      assertSettledOn(hosts.get(other), systems.get("v3"), 3);
    }
  }

  @Test
  @Order(3)
  void anActivationThatCutsSshIsRolledBackByTheRealWatchdogAndTheReportSaysWhereTheHostIs()
      throws Exception {
    // From: h3 on v3 (generation 3). v1's activation stops sshd and kills every SSH session: the
    // deployer cannot confirm; the watchdog's rollback activates v3 again, which starts sshd.
    SystemdHost h3 = hosts.get("h3");
    h3.control("cut-ssh", systems.get("v1") + "\n");
    Duration window = Duration.ofSeconds(10);
    long t0 = System.nanoTime();
    DeploymentReport report;
    try {
      report =
          deployer()
              .execute(
                  plan("v1", "h3")
                      .rollbackWindow(window)
                      .reconnectTimeout(Duration.ofSeconds(40))
                      .build());
    } finally {
      h3.clearControl("cut-ssh");
    }
    long wall = (System.nanoTime() - t0) / 1_000_000;
    HostReport r = report.host("h3");
    assertThat(r.outcome()).as(report.summary()).isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(r.rolledBackBy()).as(report.summary()).contains("watchdog");
    assertSettledOn(h3, systems.get("v3"), 3);
    // The report's generation is the host's, read after the watchdog's rollback (not the 4 that
    // arming produced).
    assertThat(r.generationAfter()).contains(3L);
    assertThat(r.systemAfter()).contains(systems.get("v3"));
    assertThat(h3.stateFile("rollback.result"))
        .contains(report.deploymentId() + "\n0\n" + "watchdog\n");
    System.out.printf(
        "e2e figures: watchdog rollback on systemd (window %s): %d ms wall, %d round trips%n",
        window, wall, r.roundTrips());
  }

  @Test
  @Order(4)
  void aHostRebootedWhileArmedIsRolledBackByTheBootTimeWatchdog() throws Exception {
    // From: h3 on v3 (generation 3). v2's activation hangs; the host reboots meanwhile. After the
    // boot the host runs its profile's system (v2); the marker from the earlier boot arms the
    // boot-time watchdog, which rolls back BOOT_WINDOW after boot.
    SystemdHost h3 = hosts.get("h3");
    h3.control("hang-activation", systems.get("v2") + "\n");
    h3.control("hang-seconds", "60\n");
    Files.deleteIfExists(h3.path(SystemdHost.CONTROL + "/activation-hanging"));
    CompletableFuture<DeploymentReport> running =
        CompletableFuture.supplyAsync(
            () ->
                deployer()
                    .execute(
                        plan("v2", "h3")
                            .rollbackWindow(Duration.ofMinutes(5))
                            .reconnectTimeout(Duration.ofSeconds(1))
                            .build()));
    DeploymentReport report;
    try {
      waitUntil(
          () -> Files.exists(h3.path(SystemdHost.CONTROL + "/activation-hanging")),
          Duration.ofSeconds(60),
          "the activation to start");
      assertThat(h3.isActive(WATCHDOG)).isEqualTo("active");
      h3.reboot();
      report = running.get();
    } finally {
      h3.clearControl("hang-activation");
      h3.clearControl("hang-seconds");
    }
    assertThat(report.host("h3").outcome())
        .as(report.summary())
        .isEqualTo(HostOutcome.ROLLBACK_PENDING);
    // Just after the boot: the new profile runs, the marker survived, the transient watchdog is
    // gone and the boot-time one is armed.
    if (h3.hasMarker()) {
      assertThat(h3.isActive(BOOT_WATCHDOG)).isEqualTo("active");
      assertThat(h3.isActive(WATCHDOG)).isNotEqualTo("active");
    }
    waitUntil(() -> !h3.hasMarker(), BOOT_WINDOW.plusSeconds(30), "the boot-time watchdog");
    waitUntil(
        () -> h3.currentSystem().orElse("").equals(systems.get("v3")),
        Duration.ofSeconds(10),
        "the rollback's activation");
    assertSettledOn(h3, systems.get("v3"), 3);
    assertThat(h3.stateFile("rollback.result"))
        .contains(report.deploymentId() + "\n0\n" + "boot-watchdog\n");
  }

  @Test
  @Order(5)
  void sshDroppedDuringActivationTheActivationCompletesAndTheDeployerConfirms() throws Exception {
    // From: h1 on v3 (generation 3). v2's activation takes 4 s; every SSH connection is killed
    // meanwhile. The activation runs under systemd and completes; the deployer reconnects, sees it
    // finished and confirms. It never both confirms and rolls back.
    SystemdHost h1 = hosts.get("h1");
    h1.control("hang-activation", systems.get("v2") + "\n");
    h1.control("hang-seconds", "4\n");
    Files.deleteIfExists(h1.path(SystemdHost.CONTROL + "/activation-hanging"));
    Files.deleteIfExists(h1.path(SystemdHost.CONTROL + "/activations"));
    CompletableFuture<DeploymentReport> running =
        CompletableFuture.supplyAsync(
            () ->
                deployer()
                    .execute(plan("v2", "h1").reconnectTimeout(Duration.ofSeconds(30)).build()));
    DeploymentReport report;
    try {
      waitUntil(
          () -> Files.exists(h1.path(SystemdHost.CONTROL + "/activation-hanging")),
          Duration.ofSeconds(60),
          "the activation to start");
      h1.dropSshConnections();
      report = running.get();
    } finally {
      h1.clearControl("hang-activation");
      h1.clearControl("hang-seconds");
    }
    HostReport r = report.host("h1");
    assertThat(r.outcome()).as(report.summary()).isEqualTo(HostOutcome.CONFIRMED);
    assertSettledOn(h1, systems.get("v2"), 4);
    assertThat(r.generationAfter()).contains(4L);
    // Its output, read back over the new connection.
    assertThat(r.activationOutput())
        .hasValueSatisfying(o -> assertThat(o).contains("activating " + systems.get("v2")));
    // One activation, no rollback.
    assertThat(Files.readString(h1.path(SystemdHost.CONTROL + "/activations")))
        .isEqualTo("switch " + systems.get("v2") + "\n");
    assertThat(h1.stateFile("rollback.result").orElse("")).doesNotContain(report.deploymentId());
  }

  @Test
  @Order(6)
  void aSecondDeployerIsRefusedAndCannotDisarmTheFirstOnesWatchdog() throws Exception {
    // From: h2 on v2 (generation 2; generation 3 is v3). Deployment A's activation of v3 takes 6 s;
    // meanwhile B tries
    // to deploy the same host, and B's late confirmation and rollback arrive.
    SystemdHost h2 = hosts.get("h2");
    h2.control("hang-activation", systems.get("v3") + "\n");
    h2.control("hang-seconds", "6\n");
    Files.deleteIfExists(h2.path(SystemdHost.CONTROL + "/activation-hanging"));
    CompletableFuture<DeploymentReport> a =
        CompletableFuture.supplyAsync(
            () -> deployer().execute(plan("v3", "h2").id("deploy-a").build()));
    try {
      waitUntil(
          () -> Files.exists(h2.path(SystemdHost.CONTROL + "/activation-hanging")),
          Duration.ofSeconds(60),
          "A's activation to start");
      DeploymentReport b = deployer().execute(plan("v1", "h2").id("deploy-b").build());
      assertThat(b.host("h2").outcome()).as(b.summary()).isEqualTo(HostOutcome.FAILED);
      assertThat(b.host("h2").error())
          .hasValueSatisfying(e -> assertThat(e).contains("deploy-a", "nothing changed"));
      try (Connection c = ssh.connect(h2.host())) {
        CommandResult confirm = c.run(HostProtocol.confirm("deploy-b", false, null));
        assertThat(confirm.exitCode()).isEqualTo(HostProtocol.EXIT_OTHER_DEPLOYMENT);
        CommandResult rollback = c.run(HostProtocol.rollbackNow("deploy-b", false, null));
        assertThat(rollback.exitCode()).isEqualTo(HostProtocol.EXIT_OTHER_DEPLOYMENT);
      }
      // A is still armed: its marker and its watchdog.
      assertThat(h2.isActive(WATCHDOG)).isEqualTo("active");
      assertThat(h2.stateFile("rollback-marker").orElse("")).contains("deploy-a");
    } finally {
      h2.clearControl("hang-activation");
      h2.clearControl("hang-seconds");
    }
    DeploymentReport ra = a.get();
    assertThat(ra.host("h2").outcome()).as(ra.summary()).isEqualTo(HostOutcome.CONFIRMED);
    assertSettledOn(h2, systems.get("v3"), 3);
  }

  @Test
  @Order(7)
  void aRollbackWhoseOldGenerationFailsToActivateIsReportedAsIncomplete() {
    // From: h3 on v3 (generation 3). v1 fails to activate, and so does v3 when the rollback
    // activates it again: the host is back on generation 3 but v3 is not running cleanly.
    SystemdHost h3 = hosts.get("h3");
    h3.control("fail-activation", systems.get("v1") + "\n" + systems.get("v3") + "\n");
    DeploymentReport report;
    try {
      report = deployer().execute(plan("v1", "h3").build());
    } finally {
      h3.clearControl("fail-activation");
    }
    HostReport r = report.host("h3");
    assertThat(r.outcome()).as(report.summary()).isEqualTo(HostOutcome.ROLLBACK_INCOMPLETE);
    assertThat(r.error())
        .hasValueSatisfying(
            e ->
                assertThat(e)
                    .contains("rolled back to generation 3")
                    .contains("activating " + systems.get("v3") + " failed (test)")
                    .contains("needs an operator"));
    assertThat(r.generationAfter()).contains(3L);
    assertThat(h3.systemGeneration()).isEqualTo(3);
    assertThat(h3.systemProfile()).contains(systems.get("v3"));
    assertThat(h3.hasMarker()).isFalse();
    assertThat(h3.isActive(WATCHDOG)).isNotEqualTo("active");
    assertThat(h3.stateFile("rollback.result"))
        .contains(report.deploymentId() + "\n4\n" + "deployer\n");
  }

  @Test
  @Order(8)
  void deploysAsANonRootUserThroughRealSudo() {
    // From: h1 on v2 (generation 4). The deploy user has NOPASSWD sudo; every command that changes
    // the host goes through sudo -n.
    SystemdHost h1 = hosts.get("h1");
    DeploymentReport report =
        deployer()
            .execute(
                deployer()
                    .plan(fleet("v1", "deploy"))
                    .select("h1")
                    .system("h1", systems.get("v1"))
                    .build());
    assertThat(report.host("h1").outcome()).as(report.summary()).isEqualTo(HostOutcome.CONFIRMED);
    assertSettledOn(h1, systems.get("v1"), 5);
    String journal =
        h1.exec("journalctl", "--no-pager", "-o", "cat", "_COMM=sudo", "_COMM=sshd").stdoutText();
    assertThat(journal).contains("Accepted publickey for deploy").contains("deploy : ");
    assertThat(journal).containsPattern("USER=root ; COMMAND=\\S*/sh -c");
  }

  @Test
  @Order(9)
  void theHostKeyIsPinnedAndAWrongOneIsRefusedBeforeAnyLogin() {
    SystemdHost h1 = hosts.get("h1");
    String before = h1.systemProfile().orElseThrow();
    int logins = h1.acceptedLogins();
    try (SshTransport wrong =
        SshTransport.builder()
            .pinnedHostKeys(Map.of("h1", hosts.get("h2").hostKeyLine()))
            .identityFile(SshdHost.clientKey())
            .noSshAgent()
            .build()) {
      Deployer d = Deployer.builder().transport(wrong).evaluator(nix).build();
      DeploymentReport report =
          d.execute(
              d.plan(fleet("v2", "root")).select("h1").system("h1", systems.get("v2")).build());
      HostReport r = report.host("h1");
      assertThat(r.outcome()).isEqualTo(HostOutcome.FAILED);
      assertThat(r.error())
          .hasValueSatisfying(e -> assertThat(e).contains("h1", "refusing", "SHA256:"));
    }
    assertThat(h1.systemProfile()).contains(before);
    assertThat(h1.acceptedLogins()).isEqualTo(logins);
    Host lone = Host.builder().name("h1").target(h1.target("root")).build();
    try (SshTransport noPins =
        SshTransport.builder()
            .knownHosts(tmp.resolve("empty-known-hosts"))
            .identityFile(SshdHost.clientKey())
            .noSshAgent()
            .build()) {
      assertThatThrownBy(() -> noPins.connect(lone))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> assertThat(e.reason()).isEqualTo(TransportException.Reason.HOST_KEY_UNKNOWN));
    }
    // With the right pin (every other test), the same host is deployed.
    try (Connection c = ssh.connect(h1.host())) {
      assertThat(c.run(HostProtocol.hostKey()).stdoutText().trim()).isEqualTo(h1.hostKeyLine());
    }
  }

  @Test
  @Order(10)
  void systemdExpandsDollarsOnItsCommandLinesSoTheScriptsItRunsAreFiles() {
    SystemdHost h2 = hosts.get("h2");
    // The hazard, on the real host: a script passed on systemd-run's command line is altered
    // (systemd replaces ${x} before sh sees it); the same script run from a file is not.
    String script = "x=set; echo \"[${x}]\"";
    CommandResult inline =
        h2.exec(
            "systemd-run",
            "--wait",
            "--collect",
            "--quiet",
            "--pipe",
            "--",
            "/bin/sh",
            "-c",
            script);
    assertThat(inline.stdoutText().trim()).isEqualTo("[]");
    h2.exec("sh", "-c", "printf '%s\\n' \"$1\" > /tmp/probe.sh", "sh", script);
    CommandResult file =
        h2.exec(
            "systemd-run",
            "--wait",
            "--collect",
            "--quiet",
            "--pipe",
            "--",
            "/bin/sh",
            "/tmp/probe.sh");
    assertThat(file.stdoutText().trim()).isEqualTo("[set]");
    // What the deployer installed: the rollback script as a file, byte for byte, which the
    // watchdog and the rollback units ran in the tests above (it uses ${...}).
    assertThat(HostProtocol.ROLLBACK_SCRIPT).contains("${");
    assertThat(h2.stateFile("rollback.sh")).contains(HostProtocol.ROLLBACK_SCRIPT + "\n");
    assertThat(h2.stateFile("activate.sh")).contains(HostProtocol.ACTIVATION_WRAPPER + "\n");
  }
}
