package io.fleet.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.Command;
import io.fleet.testkit.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link HostProtocol#realise}'s script with the real {@code sh} and {@code nix-store} of this
 * machine: output paths on success; exit code and only the end of a long build log on failure.
 */
class RealiseScriptShellTest {
  record Run(int exit, String stdout) {}

  static Run run(Command c) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(c.argv()).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("NIX_CONFIG", "substituters =\nflake-registry =\n");
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  /** A derivation (written, not built) whose builder runs {@code script}. */
  static String instantiate(String name, String script) throws Exception {
    Path nix = ExternalTools.require("nix-instantiate");
    String expr =
        "builtins.derivation { name = \""
            + name
            + "\"; system = builtins.currentSystem; builder = \"/bin/sh\"; args = [ \"-c\" ''"
            + script
            + "'' ]; }";
    Process p =
        new ProcessBuilder(nix.toString(), "--expr", expr)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String drv = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(drv).endsWith(".drv");
    return drv;
  }

  @Test
  void printsTheOutputsOfABuiltDerivation() throws Exception {
    String nonce = UUID.randomUUID().toString().substring(0, 8);
    String drv = instantiate("realise-ok-" + nonce, "echo building; /bin/mkdir $out");

    Run r = run(HostProtocol.realise(drv, false, null));

    assertThat(r.exit()).isZero();
    Map<String, List<String>> kv = HostProtocol.parse(r.stdout());
    assertThat(kv.get("output")).hasSize(1);
    assertThat(kv.get("output").get(0)).endsWith("-realise-ok-" + nonce);
    assertThat(Files.isDirectory(Path.of(kv.get("output").get(0)))).isTrue();
    assertThat(kv).doesNotContainKey("build-log");
  }

  @Test
  void aFailedBuildSendsItsExitCodeAndOnlyTheEndOfItsLog() throws Exception {
    String nonce = UUID.randomUUID().toString().substring(0, 8);
    // 20,000 numbered lines, then the error: more than BUILD_LOG_LIMIT
    String drv =
        instantiate(
            "realise-broken-" + nonce,
            "i=0; while [ $i -lt 20000 ]; do echo \"line $i\"; i=$((i+1)); done;"
                + " echo 'the last words of the build' >&2; exit 7");

    Run r = run(HostProtocol.realise(drv, false, null));

    assertThat(r.exit()).isNotZero();
    Map<String, List<String>> kv = HostProtocol.parse(r.stdout());
    assertThat(kv).doesNotContainKey("output");
    String log = String.join("\n", kv.get("build-log"));
    assertThat(log).contains("the last words of the build").contains("line 19999");
    assertThat(log).doesNotContain("line 100\n");
    assertThat(log.getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(HostProtocol.BUILD_LOG_LIMIT);
  }

  @Test
  void onlyDerivationPathsAreAccepted() {
    assertThatThrownBy(
            () -> HostProtocol.realise("/nix/store/" + "a".repeat(32) + "-system", false, null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
