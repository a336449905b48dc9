package io.fleet.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.TransportException;
import io.fleet.api.exec.ExecEvent;
import io.fleet.api.exec.ExecHostResult;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link FleetExec} on fake hosts that understand a few commands (see {@link #handle}). */
class FleetExecTest {
  static Fleet fleet() {
    return Fleet.builder()
        .name("exec")
        .host("web-1", h -> h.tags("web").target("deploy@10.0.0.1"))
        .host("web-2", h -> h.tags("web").target("deploy@10.0.0.2"))
        .host("web-3", h -> h.tags("web", "canary").target("deploy@10.0.0.3"))
        .host("db-1", h -> h.tags("db"))
        .host("db-2", h -> h.tags("db"))
        .build();
  }

  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();

  @RegisterExtension
  final FakeFleet fake = FakeFleet.builder().fleet(fleet()).handler(this::handle).build();

  /**
   * The commands the fake hosts run: {@code hostname}, {@code false} (exit 1 with a message on
   * stderr), {@code sleep MS} (really sleeps), {@code spew N} (N numbered lines), and the script
   * {@code echo "$1"}.
   */
  private Optional<CommandResult> handle(FakeHost host, FakeCommand c) {
    List<String> a = inner(c.argv());
    long limitMs = hostLimitMillis(c.argv());
    switch (a.get(0)) {
      case "hostname":
        return Optional.of(CommandResult.of(0, host.name() + "\n", ""));
      case "false":
        return Optional.of(CommandResult.of(1, "", "false: it failed on " + host.name() + "\n"));
      case "sleep":
        int now = running.incrementAndGet();
        maxRunning.accumulateAndGet(now, Math::max);
        try {
          long ms = Long.parseLong(a.get(1));
          if (limitMs >= 0 && ms > limitMs) {
            // What coreutils' timeout does on a real host: stop it at the limit, exit 124.
            Thread.sleep(limitMs);
            return Optional.of(CommandResult.of(124, "started\n", ""));
          }
          Thread.sleep(ms);
        } catch (InterruptedException e) {
          throw new TransportException(
              host.name(), TransportException.Reason.CONNECTION_LOST, "interrupted", e);
        } finally {
          running.decrementAndGet();
        }
        return Optional.of(CommandResult.of(0, "slept\n", ""));
      case "spew":
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= Integer.parseInt(a.get(1)); i++) {
          sb.append("line ").append(i).append('\n');
        }
        return Optional.of(CommandResult.of(0, sb.toString(), ""));
      case "sh":
        if (a.size() == 5 && a.get(1).equals("-c") && a.get(2).equals("echo \"$1\"")) {
          return Optional.of(CommandResult.of(0, a.get(4) + "\n", ""));
        }
        return Optional.empty();
      default:
        return Optional.empty();
    }
  }

  /** The argv inside the {@code timeout --kill-after=5s N.NNNs} wrapper, if there is one. */
  static List<String> inner(List<String> argv) {
    return hostLimitMillis(argv) >= 0 ? argv.subList(3, argv.size()) : argv;
  }

  /** The host-side limit of the {@code timeout} wrapper in ms, or -1 without one. */
  static long hostLimitMillis(List<String> argv) {
    if (argv.size() > 3
        && argv.get(0).equals("timeout")
        && argv.get(1).equals("--kill-after=5s")
        && argv.get(2).matches("[0-9]+\\.[0-9]{3}s")) {
      String t = argv.get(2);
      return Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000);
    }
    return -1;
  }

  private FleetExec exec() {
    return FleetExec.builder().transport(fake.transport()).build();
  }

  private List<FakeCommand> custom(String host) {
    return fake.host(host).commands();
  }

  @Test
  void selectorsAndSkipsChooseTheHostsAsForADeployment() {
    ExecReport r =
        exec()
            .on(fake.fleet())
            .select("@web", "db-?")
            .skip("web-2", "db-1")
            .command("hostname")
            .run();
    assertThat(r.hostNames()).containsExactly("db-2", "web-1", "web-3");
    assertThat(r.isSuccess()).isTrue();
    assertThat(r.host("web-3").stdoutTail()).isEqualTo("web-3\n");
    assertThat(r.host("web-3").exitCode()).contains(0);
    assertThat(custom("web-2")).isEmpty();
    assertThat(custom("db-1")).isEmpty();
    assertThat(custom("web-1")).hasSize(1);
    List<String> wire = custom("web-1").get(0).argv();
    assertThat(wire.subList(0, 2)).containsExactly("timeout", "--kill-after=5s");
    assertThat(hostLimitMillis(wire)).isBetween(290_000L, 300_000L); // the default 5 min
    assertThat(inner(wire)).containsExactly("hostname");

    ExecReport all = exec().on(fake.fleet()).command("hostname").run();
    assertThat(all.hostNames()).containsExactly("db-1", "db-2", "web-1", "web-2", "web-3");
  }

  @Test
  void aNonZeroExitIsAResultWithItsCodeAndStderr() {
    ExecReport r = exec().on(fake.fleet()).select("web-1").command("false").run();
    ExecHostResult h = r.host("web-1");
    assertThat(h.outcome()).isEqualTo(ExecOutcome.NONZERO_EXIT);
    assertThat(h.exitCode()).contains(1);
    assertThat(h.stderrTail()).isEqualTo("false: it failed on web-1\n");
    assertThat(h.error()).isEmpty();
    assertThat(r.isSuccess()).isFalse();
    assertThat(r.summary()).contains("web-1: NONZERO_EXIT (exit 1)");
  }

  @Test
  void anUnreachableHostIsReportedAndTheOthersStillRun() {
    fake.host("web-2").kill();
    ExecReport r = exec().on(fake.fleet()).select("@web").command("hostname").run();
    assertThat(r.hostsWith(ExecOutcome.UNREACHABLE)).containsExactly("web-2");
    assertThat(r.host("web-2").exitCode()).isEmpty();
    assertThat(r.host("web-2").transportReason()).contains(TransportException.Reason.UNREACHABLE);
    assertThat(r.host("web-2").error().orElseThrow()).contains("web-2");
    assertThat(r.hostsWith(ExecOutcome.SUCCESS)).containsExactly("web-1", "web-3");
  }

  @Test
  void aHostPastItsTimeoutIsStoppedByTheHostAndReportedWhileTheOthersFinish() {
    ExecReport r =
        exec()
            .on(fake.fleet())
            .select("web-1", "web-2")
            .command("sleep", "60000")
            .timeout(Duration.ofMillis(300))
            .run();
    assertThat(r.hostsWith(ExecOutcome.TIMEOUT)).containsExactly("web-1", "web-2");
    ExecHostResult h = r.host("web-1");
    assertThat(h.exitCode()).contains(124);
    assertThat(h.stdoutTail()).isEqualTo("started\n");
    assertThat(h.error().orElseThrow()).contains("PT0.3S").contains("the host stopped");
    assertThat(h.duration()).isLessThan(Duration.ofSeconds(5));
    assertThat(r.timeout()).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void withoutStopOnHostATimeoutClosesTheConnectionAndTheCommandRunsAsGiven() {
    long t0 = System.nanoTime();
    ExecReport r =
        exec()
            .on(fake.fleet())
            .select("web-1", "web-2")
            .command("sleep", "60000")
            .timeout(Duration.ofMillis(300))
            .stopOnHost(false)
            .run();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    assertThat(custom("web-1").get(0).argv()).containsExactly("sleep", "60000");
    assertThat(r.hostsWith(ExecOutcome.TIMEOUT)).containsExactly("web-1", "web-2");
    assertThat(r.host("web-1").error().orElseThrow()).contains("PT0.3S").contains("closed");
    assertThat(r.host("web-1").exitCode()).isEmpty();

    // The workers' interrupt flag does not leak into the next run, nor into this thread.
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    ExecReport quick =
        exec()
            .on(fake.fleet())
            .select("web-1")
            .command("sleep", "10")
            .timeout(Duration.ofSeconds(30))
            .stopOnHost(false)
            .run();
    assertThat(quick.isSuccess()).isTrue();
  }

  @Test
  void sudoReachesTheHostAsTheTransportsSudoFlagWithTheArgvUnchanged() {
    ExecReport r = exec().on(fake.fleet()).select("web-1").command("hostname").sudo(true).run();
    assertThat(r.sudo()).isTrue();
    FakeCommand c = custom("web-1").get(0);
    assertThat(c.sudo()).isTrue();
    assertThat(inner(c.argv())).containsExactly("hostname");

    exec().on(fake.fleet()).select("web-2").command("hostname").run();
    assertThat(custom("web-2").get(0).sudo()).isFalse();
  }

  @Test
  void aScriptRunsAsShDashCWithItsArguments() {
    ExecReport r =
        exec().on(fake.fleet()).select("db-1").script("echo \"$1\"", "it's $HOME; `not run`").run();
    assertThat(inner(custom("db-1").get(0).argv()))
        .containsExactly("sh", "-c", "echo \"$1\"", "sh", "it's $HOME; `not run`");
    assertThat(r.host("db-1").stdoutTail()).isEqualTo("it's $HOME; `not run`\n");
  }

  @Test
  void tailsAreBoundedAndKeepTheEnd() {
    ExecReport r =
        exec().on(fake.fleet()).select("db-1").command("spew", "100000").tailBytes(30).run();
    ExecHostResult h = r.host("db-1");
    assertThat(h.stdoutTail()).hasSizeLessThanOrEqualTo(30).endsWith("line 99999\nline 100000\n");
    long total = 0;
    for (int i = 1; i <= 100000; i++) {
      total += ("line " + i + "\n").length();
    }
    assertThat(h.stdoutBytes()).isEqualTo(total);
  }

  @Test
  void parallelismBoundsHowManyHostsRunAtOnce() {
    ExecReport r = exec().on(fake.fleet()).command("sleep", "150").parallelism(2).run();
    assertThat(r.isSuccess()).isTrue();
    assertThat(r.parallelism()).isEqualTo(2);
    assertThat(maxRunning.get()).isEqualTo(2);

    maxRunning.set(0);
    exec().on(fake.fleet()).command("sleep", "150").parallelism(10).run();
    assertThat(maxRunning.get()).isEqualTo(5);
  }

  @Test
  void listenersHearEveryHostStartAndFinishWithProgress() {
    List<ExecEvent> events = new CopyOnWriteArrayList<>();
    fake.host("db-2").kill();
    FleetExec exec =
        FleetExec.builder()
            .transport(fake.transport())
            .listener(events::add)
            .parallelism(3)
            .build();
    exec.on(fake.fleet()).command("hostname").run();
    assertThat(events).hasSize(10);
    assertThat(events.stream().filter(e -> e.type() == ExecEvent.Type.FINISHED))
        .extracting(ExecEvent::finished)
        .containsExactlyInAnyOrder(1, 2, 3, 4, 5);
    assertThat(events).allMatch(e -> e.total() == 5);
    assertThat(events.stream().filter(e -> e.host().equals("db-2") && e.result().isPresent()))
        .singleElement()
        .satisfies(e -> assertThat(e.result().get().outcome()).isEqualTo(ExecOutcome.UNREACHABLE));
    for (String h : fake.fleet().hosts().keySet()) {
      List<ExecEvent.Type> types =
          events.stream()
              .filter(e -> e.host().equals(h))
              .map(ExecEvent::type)
              .collect(java.util.stream.Collectors.toList());
      assertThat(types).as(h).containsExactly(ExecEvent.Type.STARTED, ExecEvent.Type.FINISHED);
    }
  }

  @Test
  void theJsonReportParsesBackToTheSameReport() throws Exception {
    fake.host("web-2").kill();
    ExecReport r = exec().on(fake.fleet()).select("@web").command("false").run();
    String json = r.toJson();
    assertThat(ExecReport.fromJson(json)).isEqualTo(r);

    JsonNode tree = FleetJson.mapper().readTree(json);
    assertThat(tree.get("argv").get(0).asText()).isEqualTo("false");
    JsonNode hosts = tree.get("hosts");
    assertThat(hosts).hasSize(3);
    assertThat(hosts.get(0).get("host").asText()).isEqualTo("web-1");
    assertThat(hosts.get(0).get("outcome").asText()).isEqualTo("NONZERO_EXIT");
    assertThat(hosts.get(0).get("exitCode").asInt()).isEqualTo(1);
    assertThat(hosts.get(0).get("stderrTail").asText()).contains("failed on web-1");
    assertThat(hosts.get(1).get("outcome").asText()).isEqualTo("UNREACHABLE");
    assertThat(hosts.get(1).has("exitCode")).isFalse();
    assertThat(hosts.get(1).get("transportReason").asText()).isEqualTo("UNREACHABLE");
    assertThat(hosts.get(0).get("duration").asText()).startsWith("PT");
  }

  @Test
  void interruptingTheCallerCancelsTheRunAndReturnsWhatItHas() throws Exception {
    java.util.concurrent.atomic.AtomicReference<ExecReport> report =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean flagAfter =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread caller =
        new Thread(
            () -> {
              report.set(
                  exec()
                      .on(fake.fleet())
                      .command("sleep", "60000")
                      .parallelism(1)
                      .stopOnHost(false)
                      .run());
              flagAfter.set(Thread.currentThread().isInterrupted());
            });
    caller.start();
    while (running.get() == 0) {
      Thread.sleep(10);
    }
    caller.interrupt();
    caller.join(20_000);
    assertThat(caller.isAlive()).isFalse();
    ExecReport r = report.get();
    assertThat(r.cancelled()).isTrue();
    assertThat(r.isSuccess()).isFalse();
    assertThat(r.hosts()).hasSize(5);
    assertThat(r.hostsWith(ExecOutcome.NOT_RUN)).hasSize(5);
    assertThat(flagAfter.get()).as("the caller's interrupt flag is set again").isTrue();
  }

  @Test
  void badRequestsAreTypedErrorsThatSayWhatToDo() {
    assertThatThrownBy(() -> exec().on(fake.fleet()).run())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("command(");
    assertThatThrownBy(() -> exec().on(fake.fleet()).select("web-9").command("hostname").run())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("web-9");
    assertThatThrownBy(() -> exec().on(fake.fleet()).select("@nothing").command("hostname").run())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("chose no host");
    assertThatThrownBy(() -> exec().on(fake.fleet()).command("x").env("1BAD", "v").run())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("1BAD");
    assertThatThrownBy(() -> exec().on(fake.fleet()).parallelism(0))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> exec().on(fake.fleet()).timeout(Duration.ZERO))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> FleetExec.builder().build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("transport");
  }

  @Test
  void anUnknownCommandOnAFakeHostIsAnErrorOutcome() {
    ExecReport r = exec().on(fake.fleet()).select("db-1").command("rm", "-rf", "/").run();
    assertThat(r.host("db-1").outcome()).isEqualTo(ExecOutcome.ERROR);
    assertThat(r.host("db-1").transportReason())
        .contains(TransportException.Reason.UNSUPPORTED_COMMAND);
    assertThat(new String(r.toJson().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
        .contains("UNSUPPORTED_COMMAND");
  }
}
