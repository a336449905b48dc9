package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.DeployTarget;
import io.fleet.api.Fleet;
import io.fleet.api.TransportException;
import io.fleet.api.exec.ExecHostResult;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.transport.FleetExec;
import io.fleet.transport.SshTransport;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link FleetExec} over {@link SshTransport} against real OpenSSH servers. */
class FleetExecSshTest {
  private static SshdHost alpha;
  private static SshdHost beta;
  private static SshTransport ssh;
  private static Fleet fleet;

  @BeforeAll
  static void start() throws Exception {
    alpha = SshdHost.start("alpha");
    beta = SshdHost.start("beta");
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    int port = closedPort;
    fleet =
        Fleet.builder()
            .name("exec")
            .host("alpha", h -> h.tags("web").target(alpha.target()))
            .host("beta", h -> h.tags("web").target(beta.target()))
            .host(
                "gone",
                h ->
                    h.tags("web")
                        .target(
                            DeployTarget.builder()
                                .user("root")
                                .address("127.0.0.1")
                                .port(port)
                                .build()))
            .build();
    ssh =
        SshTransport.builder()
            .pinnedHostKeys(Map.of("alpha", alpha.hostKeyLine(), "beta", beta.hostKeyLine()))
            .identityFile(SshdHost.clientKey())
            .noSshAgent()
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterAll
  static void stop() {
    if (ssh != null) {
      ssh.close();
    }
    if (alpha != null) {
      alpha.close();
    }
    if (beta != null) {
      beta.close();
    }
  }

  @Test
  void exitCodesTailsAndAnUnreachableHostFromRealHosts() {
    ExecReport r =
        FleetExec.builder()
            .transport(ssh)
            .build()
            .on(fleet)
            .select("@web")
            .script(
                "echo \"out $1 $(cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f3)\";"
                    + " echo 'to stderr' >&2;"
                    + " [ \"$(cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f3)\" = root@alpha ]",
                "it's")
            .run();
    ExecHostResult a = r.host("alpha");
    assertThat(a.outcome()).isEqualTo(ExecOutcome.SUCCESS);
    assertThat(a.stdoutTail()).isEqualTo("out it's root@alpha\n");
    assertThat(a.stderrTail()).isEqualTo("to stderr\n");
    ExecHostResult b = r.host("beta");
    assertThat(b.outcome()).isEqualTo(ExecOutcome.NONZERO_EXIT);
    assertThat(b.exitCode()).contains(1);
    assertThat(b.stdoutTail()).isEqualTo("out it's root@beta\n");
    ExecHostResult g = r.host("gone");
    assertThat(g.outcome()).isEqualTo(ExecOutcome.UNREACHABLE);
    assertThat(g.transportReason()).contains(TransportException.Reason.UNREACHABLE);
    assertThat(ExecReport.fromJson(r.toJson())).isEqualTo(r);
  }

  /** The timeout covers connecting, which takes seconds on a loaded machine: 8 s leaves room. */
  @Test
  void aCommandPastItsTimeoutIsStoppedAndTheOtherHostFinishes() throws Exception {
    long t0 = System.nanoTime();
    ExecReport r =
        FleetExec.builder()
            .transport(ssh)
            .build()
            .on(fleet)
            .select("alpha", "beta")
            .script(
                "if [ \"$(hostname)\" ] && grep -q root@alpha /etc/ssh/ssh_host_ed25519_key.pub;"
                    + " then exec sleep 60.7; else echo quick; fi")
            .timeout(Duration.ofSeconds(8))
            .run();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    assertThat(r.host("alpha").outcome()).isEqualTo(ExecOutcome.TIMEOUT);
    assertThat(r.host("alpha").exitCode())
        .as("coreutils timeout on the host stopped it")
        .contains(124);
    assertThat(r.host("beta").outcome()).isEqualTo(ExecOutcome.SUCCESS);
    assertThat(r.host("beta").stdoutTail()).isEqualTo("quick\n");
    // The host itself stopped the command: nothing of it is left running.
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (stillRunning("^sleep 60.7$") && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    assertThat(stillRunning("^sleep 60.7$")).as("the timed-out command still runs").isFalse();
  }

  private static boolean stillRunning(String pattern) throws Exception {
    Process p = new ProcessBuilder("pgrep", "-f", pattern).start();
    p.getInputStream().readAllBytes();
    return p.waitFor() == 0;
  }
}
