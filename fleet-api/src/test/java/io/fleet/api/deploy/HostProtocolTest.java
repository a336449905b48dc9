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
          "REVERT", HostProtocol.REVERT_SCRIPT);

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
    Command arm =
        HostProtocol.arm(
            "d-1", 7, "/nix/store/x", 600, Optional.of(evil), true, Duration.ofSeconds(5));
    assertThat(arm.argv().subList(0, 4)).containsExactly("sh", "-c", HostProtocol.ARM_SCRIPT, "sh");
    assertThat(arm.argv().subList(4, 10))
        .containsExactly("d-1", "7", "/nix/store/x", "600", evil, HostProtocol.ROLLBACK_SCRIPT);
    assertThat(arm.sudo()).isTrue();
    assertThat(HostProtocol.activate("/nix/store/s", "switch", false, null).argv())
        .containsExactly(
            "systemd-run",
            "--unit=fleet-activate",
            "--wait",
            "--collect",
            "--quiet",
            "--",
            "/nix/store/s/bin/switch-to-configuration",
            "switch");
    Command status = HostProtocol.status(List.of("/nix/store/a", "/nix/store/b"), false, null);
    assertThat(new String(status.stdin().orElseThrow(), StandardCharsets.UTF_8))
        .isEqualTo("/nix/store/a\n/nix/store/b\n");
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
