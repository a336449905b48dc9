package io.fleet.api.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.spi.Command;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HostProtocolTest {
  static final Map<String, String> SCRIPTS =
      Map.of(
          "STATUS", HostProtocol.STATUS_SCRIPT,
          "SUBSTITUTE", HostProtocol.SUBSTITUTE_SCRIPT,
          "ROLLBACK", HostProtocol.ROLLBACK_SCRIPT,
          "ARM", HostProtocol.ARM_SCRIPT,
          "ROLLBACK_NOW", HostProtocol.ROLLBACK_NOW_SCRIPT,
          "CONFIRM", HostProtocol.CONFIRM_SCRIPT,
          "REVERT", HostProtocol.REVERT_SCRIPT,
          "ACTIVATE", HostProtocol.ACTIVATE_SCRIPT,
          "ACTIVATION_WRAPPER", HostProtocol.ACTIVATION_WRAPPER);

  @Test
  void everyScriptIsValidPosixShell() throws Exception {
    for (Map.Entry<String, String> e : SCRIPTS.entrySet()) {
      Process p = new ProcessBuilder("/bin/sh", "-n", "-c", e.getValue()).start();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(e.getKey() + ": " + err).isZero();
    }
  }

  @Test
  void dataTravelsAsPositionalArgumentsNeverInTheScript() {
    String evil = "$(reboot); `id` 'x\n";
    Command arm = HostProtocol.arm("d-1", 600, Optional.of(evil), true, Duration.ofSeconds(5));
    assertThat(arm.argv().subList(0, 4)).containsExactly("sh", "-c", HostProtocol.ARM_SCRIPT, "sh");
    assertThat(arm.argv().subList(4, arm.argv().size()))
        .containsExactly(
            "d-1", "600", evil, HostProtocol.ROLLBACK_SCRIPT, HostProtocol.ACTIVATION_WRAPPER);
    assertThat(arm.sudo()).isTrue();
    assertThat(HostProtocol.activate("/nix/store/s", "switch", false, null).argv())
        .containsExactly("sh", "-c", HostProtocol.ACTIVATE_SCRIPT, "sh", "/nix/store/s", "switch");
    Command status = HostProtocol.status(List.of("/nix/store/a", "/nix/store/b"), false, null);
    assertThat(new String(status.stdin().orElseThrow(), StandardCharsets.UTF_8))
        .isEqualTo("/nix/store/a\n/nix/store/b\n");
  }

  /**
   * systemd expands {@code $} in the command lines it runs: no script text may reach one. Every
   * {@code systemd-run} in the scripts runs a file with data escaped by {@code e}.
   */
  @Test
  void systemdCommandLinesCarryNoScriptTextAndOnlyEscapedData() {
    java.util.regex.Pattern run = java.util.regex.Pattern.compile("(?m)^\\s*systemd-run [^\n]*");
    int seen = 0;
    for (Map.Entry<String, String> e : SCRIPTS.entrySet()) {
      java.util.regex.Matcher m = run.matcher(e.getValue());
      while (m.find()) {
        seen++;
        String line = m.group();
        String afterDashes = line.substring(line.indexOf(" -- ") + 4);
        assertThat(afterDashes)
            .as(e.getKey() + ": " + line)
            .matches(
                "/bin/sh \"\\$d/(rollback|activate)\\.sh\"( \"\\$\\(e \"\\$[0-9]\"\\)\")+( [a-z]+)?( \\|\\| (exit 1|rc=\\$\\?))?");
      }
    }
    assertThat(seen).isEqualTo(4);
    // The scripts systemd runs from files do use ${...}: passing them inline would break them.
    assertThat(HostProtocol.ROLLBACK_SCRIPT).contains("${");
  }

  @Test
  void parsesKeyValueLines() {
    Map<String, List<String>> kv =
        HostProtocol.parse("generation=3\nmissing=/a\nmissing=/b\nnoise\nmarker=1|/x|d\n");
    assertThat(kv.get("generation")).containsExactly("3");
    assertThat(kv.get("missing")).containsExactly("/a", "/b");
    assertThat(kv.get("marker")).containsExactly("1|/x|d");
  }
}
