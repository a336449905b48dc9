package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.DeployTarget;
import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.GeneratorSpec;
import io.fleet.api.Generators;
import io.fleet.api.Host;
import io.fleet.api.SecretSpec;
import io.fleet.api.spi.BuildListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluates and builds a flake with the seed's shape with the real nix. */
class NixEvaluatorTest {
  @TempDir static Path tmp;
  static String flake;

  @BeforeAll
  static void createFlake() {
    NixTestSupport.requireNix();
    flake = NixTestSupport.flake(tmp, "seed", Map.of("NONCE", UUID.randomUUID().toString()));
  }

  @Test
  void evaluatesTheSeedShapedFleetAndBuildsEveryHost() throws Exception {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      Fleet fleet = nix.evaluate(flake, "default");

      assertThat(fleet.name()).isEqualTo("default");
      assertThat(fleet.hosts()).containsOnlyKeys("cp-1", "cp-2", "worker-1", "worker-2");
      assertThat(fleet.validate()).isSameAs(fleet);

      Host cp1 = fleet.host("cp-1");
      assertThat(cp1.system()).isEqualTo("x86_64-linux");
      assertThat(cp1.tags()).containsExactly("all", "cp", "k8s-a");
      assertThat(cp1.target()).contains(DeployTarget.parse("root@10.0.0.1:2222"));
      assertThat(cp1.systemAttribute())
          .contains(flake + "#fleetConfigurations.\"default\".hosts.\"cp-1\".toplevel");
      // Host secrets: one declared by the fleet-wide wireguard module, one in cp-1's own NixOS
      // configuration with file ownership.
      assertThat(cp1.secrets()).containsOnlyKeys("gitlab-db", "wg-key");
      SecretSpec gitlab = cp1.secrets().get("gitlab-db");
      assertThat(gitlab.owners()).isEmpty();
      assertThat(gitlab.fileOwner()).isEqualTo("gitlab");
      assertThat(gitlab.fileGroup()).isEqualTo("gitlab");
      assertThat(gitlab.fileMode()).isEqualTo("0440");
      assertThat(gitlab.generator().map(GeneratorSpec::kind)).contains(Generators.PASSWORD);
      assertThat(cp1.secrets().get("wg-key").generator().map(GeneratorSpec::kind))
          .contains(Generators.WIREGUARD);

      Host cp2 = fleet.host("cp-2");
      assertThat(cp2.target().map(DeployTarget::spec)).contains("deploy@10.0.0.2:22");
      assertThat(fleet.host("worker-1").tags()).containsExactly("all", "k8s-b");
      assertThat(fleet.host("worker-2").target()).isEmpty();
      assertThat(fleet.host("worker-2").secrets()).containsOnlyKeys("wg-key");

      // Shared secrets, including one per instance of the multi-instance kubernetes module.
      assertThat(fleet.sharedSecrets())
          .containsOnlyKeys("ca.pem", "kube-apiserver.pem", "k8s-a-token", "k8s-b-token");
      SecretSpec ca = fleet.sharedSecrets().get("ca.pem");
      assertThat(ca.owners()).containsExactly("cp-1", "cp-2", "worker-1", "worker-2");
      assertThat(ca.regenerateOnOwnerAdded()).isFalse();
      assertThat(ca.regenerateOnOwnerRemoved()).isEmpty();
      assertThat(ca.regeneratesOnOwnerRemoved()).isFalse();
      GeneratorSpec caGen = ca.generator().orElseThrow();
      assertThat(caGen.kind()).isEqualTo(Generators.X509_CA);
      assertThat(caGen.text("commonName")).contains("kubernetes-ca");
      assertThat(caGen.runOn()).contains("cp-1");
      SecretSpec api = fleet.sharedSecrets().get("kube-apiserver.pem");
      assertThat(api.owners()).containsExactly("cp-1", "cp-2");
      assertThat(api.regenerateOnOwnerAdded()).isTrue();
      assertThat(api.regenerateOnOwnerRemoved()).contains(false);
      assertThat(api.dependsOn()).containsExactly("ca.pem");
      assertThat(api.expectedGenerationData().orElseThrow().path("sans").toString())
          .isEqualTo("[\"10.0.0.1\",\"10.0.0.2\"]");
      assertThat(api.generator().orElseThrow().kind()).isEqualTo(Generators.X509_LEAF);
      assertThat(fleet.sharedSecrets().get("k8s-a-token").owners()).containsExactly("cp-1", "cp-2");
      assertThat(fleet.sharedSecrets().get("k8s-b-token").owners())
          .containsExactly("worker-1", "worker-2");
      assertThat(
              fleet
                  .sharedSecrets()
                  .get("k8s-b-token")
                  .generator()
                  .orElseThrow()
                  .number("length", 0))
          .isEqualTo(48);
      assertThat(fleet.modules()).anySatisfy(m -> assertThat(m).endsWith("/wireguard"));

      List<String> progress = new ArrayList<>();
      BuildListener listener = (done, expected, message) -> progress.add(done + "/" + expected);
      Map<String, String> built = nix.build(fleet, fleet.hosts().keySet(), listener);
      assertThat(built).containsOnlyKeys(fleet.hosts().keySet());
      for (Map.Entry<String, String> e : built.entrySet()) {
        Path out = Path.of(e.getValue());
        assertThat(out).isDirectory();
        assertThat(out.getFileName().toString()).endsWith("-fleet-system-" + e.getKey());
        assertThat(out.resolve("bin/switch-to-configuration")).isExecutable();
        assertThat(Files.readString(out.resolve("host-name")).trim()).isEqualTo(e.getKey());
      }
      String cp1Config = Files.readString(Path.of(built.get("cp-1"), "config.json"));
      assertThat(cp1Config)
          .contains("\"motd\":\"managed by fleet\"")
          .contains("\"cluster\":\"a\"")
          .contains("\"gpus\":4");
      assertThat(progress).contains("4/4");
      assertThat(run(built.get("cp-1") + "/bin/switch-to-configuration", "test"))
          .isEqualTo("fleet shell system cp-1: test\n");
      assertThat(run(built.get("cp-2") + "/bin/switch-to-configuration", "switch"))
          .isEqualTo("fleet shell system cp-2: switch\nactivated-by-switch\n");

      // The closure of a built system is known to nix and exportable.
      assertThat(nix.closure(List.of(built.get("cp-1"))))
          .anySatisfy(i -> assertThat(i.path()).isEqualTo(built.get("cp-1")));
    }
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out;
  }

  @Test
  void aMissingConfigurationIsATypedErrorWithNixsMessage() {
    try (NixEvaluator nix = NixTestSupport.offline().build()) {
      assertThatThrownBy(() -> nix.evaluate(flake, "staging"))
          .isInstanceOfSatisfying(
              EvaluationException.class,
              e -> {
                assertThat(e.exitCode()).isNotZero();
                assertThat(e.stderr()).contains("does not provide attribute");
                assertThat(e.getMessage())
                    .contains("staging")
                    .contains("does not provide attribute");
                assertThat(e.command()).contains("eval");
                assertThat(e.host()).isEmpty();
              });
    }
  }
}
