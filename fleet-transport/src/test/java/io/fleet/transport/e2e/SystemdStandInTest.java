package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.transport.SshTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code systemd-run}/{@code systemctl} stand-ins of {@link SshdHost} keep the semantics the
 * deployer relies on, checked over real SSH.
 */
class SystemdStandInTest {
  private static SshdHost host;
  private static SshTransport ssh;

  @BeforeAll
  static void start() {
    host = SshdHost.start("standin");
    ssh =
        SshTransport.builder()
            .pinnedHostKeys(Map.of("standin", host.hostKeyLine()))
            .identityFile(SshdHost.clientKey())
            .build();
  }

  @AfterAll
  static void stop() {
    if (ssh != null) {
      ssh.close();
    }
    if (host != null) {
      host.close();
    }
  }

  private static CommandResult run(String... argv) {
    try (Connection c = ssh.connect(host.host())) {
      return c.run(Command.of(argv));
    }
  }

  @Test
  void waitReturnsTheServiceExitCodeAndAFailedUnitStaysUnlessCollected() {
    assertThat(run("systemd-run", "--unit=ok", "--wait", "--quiet", "--", "true").exitCode())
        .isZero();
    assertThat(run("systemd-run", "--unit=bad", "--wait", "--", "sh", "-c", "exit 7").exitCode())
        .isEqualTo(7);
    assertThat(run("systemctl", "is-active", "bad.service").stdoutText()).isEqualTo("failed\n");
    CommandResult again = run("systemd-run", "--unit=bad", "--wait", "--", "true");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.stderrText()).contains("already loaded");
    assertThat(run("systemctl", "reset-failed", "bad.service").exitCode()).isZero();
    assertThat(run("systemd-run", "--unit=bad", "--wait", "--", "true").exitCode()).isZero();
    assertThat(
            run("systemd-run", "--unit=col", "--wait", "--collect", "--", "sh", "-c", "exit 3")
                .exitCode())
        .isEqualTo(3);
    assertThat(run("systemctl", "is-active", "col.service").exitCode()).isEqualTo(3);
  }

  @Test
  void aServiceSurvivesTheSshSessionThatStartedIt() throws Exception {
    Path done = host.path("/run/fleet-test/detached-done");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Connection c = ssh.connect(host.host());
    Future<CommandResult> waiting =
        pool.submit(
            () ->
                c.run(
                    Command.of(
                        "systemd-run",
                        "--unit=detached",
                        "--wait",
                        "--collect",
                        "--quiet",
                        "--",
                        "sh",
                        "-c",
                        "sleep 2; touch /run/fleet-test/detached-done")));
    Thread.sleep(700);
    assertThat(run("systemctl", "is-active", "detached.service").stdoutText())
        .isEqualTo("active\n");
    host.killSshd();
    assertThat(waiting).failsWithin(Duration.ofSeconds(10));
    assertThat(done).doesNotExist();
    waitFor(done, Duration.ofSeconds(5));
    host.restartSshd();
    assertThat(run("systemctl", "is-active", "detached.service").exitCode()).isEqualTo(3);
    pool.shutdown();
  }

  @Test
  void aUnitDoesNotInheritTheCallersLock() {
    // The caller holds an flock on fd 9 while it starts a long timer; once the caller exits, the
    // lock is free (with systemd the unit never had the caller's files).
    assertThat(
            run(
                    "sh",
                    "-c",
                    "exec 9>/run/fleet-test/lock; flock 9; systemd-run --unit=t-lock"
                        + " --on-active=60s /bin/sh -c true")
                .exitCode())
        .isZero();
    CommandResult r = run("flock", "-w", "2", "/run/fleet-test/lock", "true");
    assertThat(r.exitCode()).as("the lock is free: %s", r.stderrText()).isZero();
    assertThat(run("systemctl", "stop", "t-lock.timer").exitCode()).isZero();
  }

  @Test
  void aTimerFiresItsServiceAfterItsDelayUnlessStopped() throws Exception {
    Path fired = host.path("/run/fleet-test/timer-fired");
    Path stopped = host.path("/run/fleet-test/timer-stopped");
    assertThat(
            run(
                    "systemd-run",
                    "--unit=t-fires",
                    "--on-active=3s",
                    "--timer-property=AccuracySec=1s",
                    "/bin/sh",
                    "-c",
                    "touch /run/fleet-test/timer-fired")
                .exitCode())
        .isZero();
    assertThat(
            run(
                    "systemd-run",
                    "--unit=t-stopped",
                    "--on-active=2s",
                    "/bin/sh",
                    "-c",
                    "touch /run/fleet-test/timer-stopped")
                .exitCode())
        .isZero();
    assertThat(run("systemctl", "is-active", "--quiet", "t-stopped.timer").exitCode()).isZero();
    assertThat(run("systemctl", "stop", "t-stopped.timer").exitCode()).isZero();
    assertThat(fired).doesNotExist();
    waitFor(fired, Duration.ofSeconds(6));
    // t-stopped was due a second before t-fires fired.
    assertThat(stopped).doesNotExist();
    // An elapsed timer stays loaded (RemainAfterElapse=yes) until stopped: the name is in use.
    CommandResult rearm =
        run("systemd-run", "--unit=t-fires", "--on-active=1s", "/bin/sh", "-c", "true");
    assertThat(rearm.exitCode()).isEqualTo(1);
    assertThat(rearm.stderrText()).contains("t-fires.timer was already loaded");
    assertThat(run("systemctl", "stop", "t-fires.timer").exitCode()).isZero();
    CommandResult notLoaded = run("systemctl", "stop", "t-fires.timer");
    assertThat(notLoaded.exitCode()).isEqualTo(5);
    assertThat(notLoaded.stderrText()).contains("not loaded");
  }

  @Test
  void stoppingARunningServiceKillsIt() throws Exception {
    assertThat(
            run("systemd-run", "--unit=long", "--", "sh", "-c", "sleep 30; touch /run/x")
                .exitCode())
        .isZero();
    Path pgid = host.path("/run/fleet-test/units/long.service.pgid");
    waitFor(pgid, Duration.ofSeconds(2));
    long pid = Long.parseLong(Files.readString(pgid).trim());
    assertThat(run("systemctl", "is-active", "long.service", "other.service").exitCode()).isZero();
    assertThat(run("systemctl", "stop", "long.service").exitCode()).isZero();
    assertThat(run("systemctl", "is-active", "long.service").exitCode()).isEqualTo(3);
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        .as("the service's process is gone")
        .isFalse();
  }

  private static void waitFor(Path file, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!Files.exists(file) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(file).exists();
  }
}
