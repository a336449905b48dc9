package io.fleet.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.Command;
import io.fleet.testkit.ExternalTools;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the read-only protocol scripts with the real {@code sh} and the real {@code nix-store} of
 * this machine (the scripts that change a host need a NixOS host; the SSH transport's tests drive
 * those against stand-ins).
 */
class HostProtocolShellTest {
  private static String run(Command c) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(c.argv());
    pb.environment().put("NIX_CONFIG", "substituters =\nflake-registry =\n");
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(c.stdin().orElse(new byte[0]));
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(err).isZero();
    return out;
  }

  @Test
  void statusFindsExactlyTheMissingPathsWithTheRealNixStore(@TempDir Path dir) throws Exception {
    Path nixStore = ExternalTools.require("nix-store");
    Path file = dir.resolve("fleet-protocol-probe.txt");
    Files.writeString(file, "probe " + System.nanoTime());
    Process add = new ProcessBuilder(nixStore.toString(), "--add", file.toString()).start();
    assertThat(add.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String valid = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(add.exitValue()).isZero();
    String missing = "/nix/store/" + "0".repeat(32) + "-fleet-not-there";

    String out = run(HostProtocol.status(List.of(valid, missing), false, null));
    Map<String, List<String>> kv = HostProtocol.parse(out);
    assertThat(kv.get("missing")).containsExactly(missing);
    assertThat(kv.get("boot-id"))
        .containsExactly(Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    assertThat(Long.parseLong(kv.get("free-bytes").get(0))).isPositive();
    assertThat(kv).containsKeys("generation", "profile", "current", "activating", "rolling-back");
    assertThat(kv).doesNotContainKey("marker");
    // the host's zstd, for compressed copies: this machine's own answer
    assertThat(kv.get("zstd"))
        .containsExactly(ExternalTools.find("zstd").isPresent() ? "yes" : "no");

    String sub = run(HostProtocol.substitute(List.of(valid, missing), false, null));
    assertThat(HostProtocol.parse(sub).get("missing")).containsExactly(missing);
  }
}
