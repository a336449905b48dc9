package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.TransportException;
import io.fleet.api.data.FleetData;
import io.fleet.api.exec.ExecHostResult;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.transport.FleetExec;
import io.fleet.transport.SshTransport;
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

/**
 * {@link FleetExec} over {@link SshTransport} against real systemd hosts ({@link SystemdHost}),
 * logging in as the non-root {@code deploy} user, whose root rights come only from the host's real
 * {@code sudo} (NOPASSWD). What each command did is checked on the host as root (through {@link
 * SystemdHost#exec}, not SSH). The last test stops one host.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdExecTest {
  private static final List<String> NAMES = List.of("x1", "x2", "x3");

  private static final Map<String, SystemdHost> hosts = new LinkedHashMap<>();
  private static SshTransport ssh;
  private static Fleet fleet;
  private static String deployUid;

  @BeforeAll
  static void setUp() throws Exception {
    SystemdHost.rootTree();
    ExecutorService pool = Executors.newFixedThreadPool(NAMES.size());
    List<Future<SystemdHost>> started = new ArrayList<>();
    for (String n : NAMES) {
      started.add(pool.submit(() -> SystemdHost.start(n)));
    }
    FleetData data = FleetData.empty();
    Fleet.Builder b = Fleet.builder().name("exec-systemd");
    try {
      for (Future<SystemdHost> f : started) {
        SystemdHost h = f.get();
        hosts.put(h.name(), h);
        data = data.withHostKey(h.name(), h.hostKeyLine());
        b.host(h.name(), x -> x.tags("box").target(h.target("deploy")));
      }
    } finally {
      pool.shutdown();
    }
    fleet = b.build();
    deployUid = hosts.get("x1").exec("id", "-u", "deploy").stdoutText().trim();
    assertThat(deployUid).matches("[1-9][0-9]*");
    ssh =
        SshTransport.builder()
            .pinnedHostKeys(data)
            .identityFile(SshdHost.clientKey())
            .noSshAgent()
            .connectTimeout(Duration.ofSeconds(3))
            .build();
  }

  @AfterAll
  static void tearDown() {
    if (ssh != null) {
      ssh.close();
    }
    hosts.values().forEach(SystemdHost::close);
  }

  /** A run on the hosts {@code selectors} choose; none: every host. */
  private static FleetExec.Run exec(String... selectors) {
    return FleetExec.builder().transport(ssh).build().on(fleet).select(selectors);
  }

  private static ExecReport roundTripped(ExecReport r) {
    assertThat(ExecReport.fromJson(r.toJson())).isEqualTo(r);
    return r;
  }

  @Test
  @Order(1)
  void theDeployUserRunsAsItselfAndAsRootThroughTheHostsSudo() {
    ExecReport plain = roundTripped(exec("@box").command("id", "-u").run());
    ExecReport root = roundTripped(exec().command("id", "-u").sudo(true).run());
    for (String n : NAMES) {
      assertThat(plain.host(n).outcome()).as(plain.toJson()).isEqualTo(ExecOutcome.SUCCESS);
      assertThat(plain.host(n).stdoutTail()).isEqualTo(deployUid + "\n");
      assertThat(root.host(n).outcome()).as(root.toJson()).isEqualTo(ExecOutcome.SUCCESS);
      assertThat(root.host(n).stdoutTail()).isEqualTo("0\n");
    }
    // The host's own records: deploy logged in, and sudo ran id for it as root.
    String journal =
        hosts
            .get("x2")
            .exec("journalctl", "--no-pager", "-o", "cat", "_COMM=sudo", "_COMM=sshd")
            .stdoutText();
    assertThat(journal).contains("Accepted publickey for deploy");
    // sudo ran it as root (inside coreutils' timeout, by which the host stops it at the timeout).
    assertThat(journal)
        .containsPattern("deploy : .*USER=root ; COMMAND=\\S*/timeout \\S+ \\S+ id -u");
  }

  @Test
  @Order(2)
  void whatOnlyRootMayDoFailsWithoutSudoAndSucceedsWithIt() {
    ExecReport denied = roundTripped(exec().command("head", "-n", "1", "/etc/shadow").run());
    ExecReport allowed =
        roundTripped(exec().command("head", "-n", "1", "/etc/shadow").sudo(true).run());
    for (String n : NAMES) {
      ExecHostResult d = denied.host(n);
      assertThat(d.outcome()).as(denied.toJson()).isEqualTo(ExecOutcome.NONZERO_EXIT);
      assertThat(d.exitCode()).contains(1);
      assertThat(d.stderrTail()).contains("/etc/shadow").contains("Permission denied");
      assertThat(d.stdoutTail()).isEmpty();
      ExecHostResult a = allowed.host(n);
      assertThat(a.outcome()).as(allowed.toJson()).isEqualTo(ExecOutcome.SUCCESS);
      assertThat(a.stdoutTail()).startsWith("root:");
      // Byte for byte the host's first line, read here as root without SSH.
      assertThat(a.stdoutTail())
          .isEqualTo(hosts.get(n).exec("head", "-n", "1", "/etc/shadow").stdoutText());
    }
  }

  @Test
  @Order(3)
  void aCommandPastItsTimeoutIsStoppedOnTheHostAndNothingOfItIsLeft() throws Exception {
    SystemdHost x1 = hosts.get("x1");
    long t0 = System.nanoTime();
    CompletableFuture<ExecReport> running =
        CompletableFuture.supplyAsync(
            () -> exec("x1").command("sleep", "30").timeout(Duration.ofSeconds(6)).run());
    // The check below can see it: while the run lasts, the host runs deploy's sleep.
    long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
    boolean seen = false;
    while (!seen && System.nanoTime() < until && !running.isDone()) {
      seen = sleepRuns(x1);
      if (!seen) {
        Thread.sleep(100);
      }
    }
    assertThat(seen).as("deploy's sleep 30 ran on x1").isTrue();
    ExecReport r = roundTripped(running.get());
    Duration wall = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(wall).isLessThan(Duration.ofSeconds(25));
    ExecHostResult h = r.host("x1");
    assertThat(h.outcome()).as(r.toJson()).isEqualTo(ExecOutcome.TIMEOUT);
    assertThat(h.exitCode()).as("coreutils timeout on the host stopped it").contains(124);
    assertThat(r.hosts()).hasSize(1);
    // Gone from the host (the host stopped it; not only our connection closed).
    until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (sleepRuns(x1) && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    assertThat(sleepRuns(x1)).as("the timed-out sleep still runs on x1").isFalse();
  }

  private static boolean sleepRuns(SystemdHost h) {
    return h.exec("pgrep", "-u", "deploy", "-f", "^sleep 30$").isSuccess();
  }

  @Test
  @Order(4)
  void aStoppedHostIsUnreachableWhileTheOthersRun() {
    SystemdHost x3 = hosts.get("x3");
    x3.close(); // shuts the container down: nothing listens on its port any more
    ExecReport r =
        roundTripped(
            exec().command("cut", "-d", " ", "-f", "3", "/etc/ssh/ssh_host_ed25519_key.pub").run());
    ExecHostResult gone = r.host("x3");
    assertThat(gone.outcome()).as(r.toJson()).isEqualTo(ExecOutcome.UNREACHABLE);
    assertThat(gone.transportReason()).contains(TransportException.Reason.UNREACHABLE);
    assertThat(gone.exitCode()).isEmpty();
    assertThat(gone.error()).hasValueSatisfying(e -> assertThat(e).contains("x3"));
    for (String n : List.of("x1", "x2")) {
      assertThat(r.host(n).outcome()).as(r.toJson()).isEqualTo(ExecOutcome.SUCCESS);
      assertThat(r.host(n).stdoutTail()).isEqualTo("root@" + n + "\n");
    }
    assertThat(r.isSuccess()).isFalse();
  }
}
