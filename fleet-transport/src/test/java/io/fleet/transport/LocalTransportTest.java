package io.fleet.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Host;
import io.fleet.api.TransportException;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalTransportTest {
  private static final Host HOST = Host.builder().name("local").build();

  @Test
  void argumentsAndEnvironmentArriveUnchanged() {
    List<String> args = List.of("a b", "it's", "$HOME; echo x", "line\nbreak", "", "*");
    List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
    argv.addAll(args);
    try (LocalTransport t = new LocalTransport();
        Connection c = t.connect(HOST)) {
      CommandResult r = c.run(Command.of(argv));
      List<String> got = new ArrayList<>(Arrays.asList(r.stdoutText().split("\0", -1)));
      got.remove(got.size() - 1);
      assertThat(got).containsExactlyElementsOf(args);
      CommandResult env =
          c.run(
              Command.builder()
                  .addArgv("sh", "-c", "printf %s \"$X\"")
                  .putEnv("X", "v $y 'z'")
                  .build());
      assertThat(env.stdoutText()).isEqualTo("v $y 'z'");
    }
  }

  @Test
  void streamsAndReportsExitCodeAndStderr() {
    try (LocalTransport t = new LocalTransport();
        Connection c = t.connect(HOST)) {
      byte[] data = new byte[5 * 1024 * 1024];
      Arrays.fill(data, (byte) 'x');
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CommandResult r = c.run(Command.of("cat"), new ByteArrayInputStream(data), out);
      assertThat(r.exitCode()).isZero();
      assertThat(out.toByteArray()).isEqualTo(data);
      CommandResult fail = c.run(Command.of("sh", "-c", "echo oops >&2; exit 3"));
      assertThat(fail.exitCode()).isEqualTo(3);
      assertThat(fail.stderrText()).isEqualTo("oops\n");
      CommandResult stdin =
          c.run(
              Command.builder()
                  .addArgv("tr", "a-z", "A-Z")
                  .stdin("abc".getBytes(StandardCharsets.UTF_8))
                  .build());
      assertThat(stdin.stdoutText()).isEqualTo("ABC");
      assertThat(c.run(Command.of("/no/such/program")).exitCode()).isEqualTo(127);
    }
  }

  @Test
  void timesOutAndClosesIdempotently() {
    LocalTransport t = new LocalTransport();
    Connection c = t.connect(HOST);
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                c.run(
                    Command.builder()
                        .addArgv("sleep", "30")
                        .timeout(Duration.ofMillis(500))
                        .build()))
        .isInstanceOfSatisfying(
            TransportException.class,
            e -> assertThat(e.reason()).isEqualTo(TransportException.Reason.TIMEOUT));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    t.close();
    t.close();
    assertThat(c.isOpen()).isFalse();
  }
}
