package io.fleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.Generators;
import io.fleet.api.Host;
import io.fleet.api.SecretSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed README's flake and secret examples, written with the DSL. */
class SeedFleetTest {
  private final Fleet fleet = SeedFleet.build();

  @Test
  void isValid() {
    assertThat(fleet.problems()).isEmpty();
    assertThat(fleet.validate()).isSameAs(fleet);
  }

  @Test
  void hasTheSeedsHosts() {
    assertThat(fleet.hosts())
        .containsOnlyKeys(
            "controlplane-1",
            "controlplane-2",
            "worker-1",
            "worker-2",
            "cluster-admin",
            "a",
            "b",
            "c",
            "d");
    Host cp1 = fleet.host("controlplane-1");
    assertThat(cp1.system()).isEqualTo("x86_64-linux");
    assertThat(cp1.deployTarget().spec()).isEqualTo("root@controlplane-1.example:22");
    assertThat(fleet.host("worker-1").system()).isEqualTo("aarch64-linux");
    assertThat(fleet.hosts().values()).allSatisfy(h -> assertThat(h.tags()).contains("all"));
  }

  @Test
  void theFleetWideNixosModuleIsASetting() {
    assertThat(fleet.settings()).containsKey("nixos");
    assertThat(fleet.settings().get("nixos").get("imports").get(0).asText())
        .isEqualTo("inputs.lanzaboote.nixosModules.lanzaboote");
    assertThat(fleet.settings().get("nixos").at("/nix/registry/nixpkgs/from/id").asText())
        .isEqualTo("nixpkgs");
    assertThat(fleet.settings().get("nixos").at("/nix/registry/nixpkgs/exact").asBoolean(true))
        .isFalse();
  }

  @Test
  void theKubernetesModuleIsInstantiatedTwiceWithDifferentHosts() {
    assertThat(fleet.modules())
        .containsExactly("wireguard(wg0)", "kubernetes(ab: a, b)", "kubernetes(cd: c, d)");
    assertThat(fleet.select(List.of("@k8s-ab"), List.of()).stream().map(Host::name))
        .containsExactly("a", "b");
    assertThat(fleet.select(List.of("@k8s-cd"), List.of()).stream().map(Host::name))
        .containsExactly("c", "d");
    assertThat(fleet.select(List.of("@k8s-cp"), List.of()).stream().map(Host::name))
        .containsExactly("a", "c");
    assertThat(fleet.sharedSecret("ab-ca.pem").orElseThrow().owners()).containsExactly("a", "b");
    assertThat(fleet.sharedSecret("cd-ca.pem").orElseThrow().owners()).containsExactly("c", "d");
    SecretSpec abApi = fleet.sharedSecret("ab-apiserver.pem").orElseThrow();
    assertThat(abApi.owners()).containsExactly("a");
    assertThat(abApi.dependsOn()).containsExactly("ab-ca.pem");
    assertThat(abApi.generator().orElseThrow().text("ca")).contains("ab-ca.pem");
  }

  @Test
  void theWireguardModuleGivesEachMemberAKey() {
    for (String h : List.of("controlplane-1", "controlplane-2", "worker-1", "worker-2")) {
      assertThat(fleet.host(h).tags()).contains("wg-wg0");
      assertThat(fleet.host(h).secrets().get("wireguard-wg0").generator().orElseThrow().kind())
          .isEqualTo(Generators.WIREGUARD);
    }
    assertThat(fleet.host("a").secrets()).doesNotContainKey("wireguard-wg0");
  }

  @Test
  void sharedSecretsHaveTheSeedsOwnersAndRegenerationRules() {
    SecretSpec ca = fleet.sharedSecret("ca.pem").orElseThrow();
    assertThat(ca.owners())
        .containsExactly("controlplane-1", "controlplane-2", "worker-1", "worker-2");
    assertThat(ca.regenerateOnOwnerAdded()).isFalse();
    assertThat(ca.regeneratesOnOwnerRemoved()).isFalse();
    assertThat(ca.generator().orElseThrow().kind()).isEqualTo(Generators.SCRIPT);
    assertThat(ca.generator().orElseThrow().runOn()).contains(SeedFleet.IMPURE_HOST);

    SecretSpec admin = fleet.sharedSecret("kube-admin.pem").orElseThrow();
    assertThat(admin.owners()).containsExactly("cluster-admin");
    assertThat(admin.regenerateOnOwnerAdded()).isFalse();
    assertThat(admin.generator().orElseThrow().text("script").orElseThrow())
        .contains("/CN=admin/O=system:masters")
        .contains("| encrypt > $out/secret");

    SecretSpec api = fleet.sharedSecret("kube-apiserver.pem").orElseThrow();
    assertThat(api.owners()).containsExactly("controlplane-1", "controlplane-2");
    assertThat(api.regenerateOnOwnerAdded()).isTrue();
    assertThat(api.regeneratesOnOwnerRemoved()).isTrue();
    assertThat(api.expectedGenerationData().orElseThrow().get("sans")).hasSize(2);
  }

  @Test
  void theGitlabModulesSecretsAreOwnedByGitlab() {
    Host cp1 = fleet.host("controlplane-1");
    assertThat(cp1.secrets())
        .containsKeys(
            "gitlab-initial-root",
            "gitlab-secret",
            "gitlab-otp",
            "gitlab-db",
            "gitlab-jws",
            "hsm-pin");
    assertThat(cp1.secrets().values().stream().filter(s -> s.name().startsWith("gitlab-")))
        .hasSize(5)
        .allSatisfy(
            s -> {
              assertThat(s.fileOwner()).isEqualTo("gitlab");
              assertThat(s.fileGroup()).isEqualTo("gitlab");
            });
    assertThat(cp1.secrets().get("gitlab-jws").generator().orElseThrow().kind())
        .isEqualTo(Generators.RSA);
    assertThat(cp1.secrets().get("gitlab-db").generator().orElseThrow().kind())
        .isEqualTo(Generators.PASSWORD);
    assertThat(cp1.secrets().get("hsm-pin").generator()).as("stored by hand").isEmpty();
  }

  @Test
  void roundTripsThroughJson() {
    assertThat(FleetJson.fromJson(FleetJson.toJson(fleet), Fleet.class)).isEqualTo(fleet);
  }

  @Test
  void addingAnOwnerThatIsNotAHostIsCaught() {
    Fleet broken = SeedFleet.builder().sharedSecret("ca.pem", s -> s.addOwners("worker-3")).build();
    assertThatThrownBy(broken::validate)
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("shared secret 'ca.pem' names owner 'worker-3'");
  }

  @Test
  void aThirdClusterOnHostsNotDeclaredIsCaught() {
    Fleet broken = SeedFleet.builder().module(new KubernetesCluster("ef", List.of("e"))).build();
    assertThat(broken.hosts()).containsKey("e");
    // The module declares host "e" itself (as Nix modules may), so the fleet stays valid.
    assertThat(broken.problems()).isEmpty();
    assertThat(broken.host("e").tags()).contains("k8s-ef", "k8s-cp");
  }

  @Test
  void modulesRejectMissingArguments() {
    assertThatThrownBy(() -> new KubernetesCluster("x", List.of()))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> new WireguardMesh(null, "a")).isInstanceOf(FleetConfigException.class);
  }

  @Test
  void demoPrintsTheValidatedFleetAsJson() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      Demo.main(new String[0]);
    } finally {
      System.setOut(original);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .startsWith(
            "== fleet default: 9 hosts, 7 shared secrets, modules [wireguard(wg0), kubernetes(ab: a, b), kubernetes(cd: c, d)]\n");
    // The first JSON value printed is the fleet; whatever the demo prints after it is not read.
    String json = out.substring(out.indexOf("\n{") + 1);
    assertThat(FleetJson.fromJson(json, Fleet.class)).isEqualTo(fleet);
  }
}
