package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.api.Fleet;
import io.fleet.api.GeneratorSpec;
import io.fleet.api.Generators;
import io.fleet.api.Host;
import io.fleet.api.SecretSpec;
import io.fleet.api.spi.BuildListener;
import io.fleet.nix.internal.NixLog;
import io.fleet.nix.internal.NixProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's flake example (fleet-README.adoc) as an existing fleet repository has it, evaluated by
 * {@link NixEvaluator} with the real flake-parts, nixpkgs' module system and real NixOS (the shared
 * 2020 nixpkgs): five NixOS hosts, each system's derivation evaluated.
 */
class NixosSeedExampleTest {
  @TempDir static Path tmp;
  static String flake;
  static NixEvaluator nix;
  static Fleet fleet;

  @BeforeAll
  static void evaluate() {
    NixTestSupport.requireNix();
    flake = NixTestSupport.flake(tmp, "seed-nixos", Map.of("NONCE", UUID.randomUUID().toString()));
    nix = NixTestSupport.realNixos(tmp).build();
    fleet = nix.evaluate(flake, "default");
  }

  @Test
  void theSeedExampleEvaluatesToTheExpectedFleet() {
    assertThat(fleet.hosts()).containsOnlyKeys("controlplane-1", "a", "b", "c", "d");
    assertThat(fleet.validate()).isSameAs(fleet);
    Host cp = fleet.host("controlplane-1");
    assertThat(cp.system()).isEqualTo("x86_64-linux");
    assertThat(cp.tags()).containsExactly("all");
    assertThat(fleet.host("a").tags()).containsExactly("all", "k8s-ab");
    assertThat(fleet.host("d").tags()).containsExactly("all", "k8s-cd");
    assertThat(cp.systemAttribute())
        .contains(flake + "#fleetConfigurations.\"default\".hosts.\"controlplane-1\".toplevel");

    // Secrets declared in NixOS configurations: by the fleet-wide wireguard module on every
    // host, and gitlab-db in controlplane-1's own configuration.
    assertThat(cp.secrets()).containsOnlyKeys("gitlab-db", "wg-key");
    SecretSpec gitlab = cp.secrets().get("gitlab-db");
    assertThat(gitlab.fileOwner()).isEqualTo("gitlab");
    assertThat(gitlab.fileGroup()).isEqualTo("gitlab");
    assertThat(gitlab.fileMode()).isEqualTo("0440");
    assertThat(gitlab.generator().map(GeneratorSpec::kind)).contains(Generators.PASSWORD);
    for (String h : List.of("a", "b", "c", "d")) {
      assertThat(fleet.host(h).secrets()).containsOnlyKeys("wg-key");
      assertThat(fleet.host(h).secrets().get("wg-key").generator().map(GeneratorSpec::kind))
          .contains(Generators.WIREGUARD);
    }

    // Shared secrets: one per instance of the multi-instance kubernetes module, and one at top.
    assertThat(fleet.sharedSecrets())
        .containsOnlyKeys("cluster-token", "k8s-ab-token", "k8s-cd-token");
    SecretSpec token = fleet.sharedSecrets().get("cluster-token");
    assertThat(token.owners()).containsExactlyInAnyOrder("controlplane-1", "a", "c");
    assertThat(token.regenerateOnOwnerAdded()).isFalse();
    assertThat(token.generator().orElseThrow().number("length", 0)).isEqualTo(40);
    assertThat(fleet.sharedSecrets().get("k8s-ab-token").owners()).containsExactly("a", "b");
    assertThat(fleet.sharedSecrets().get("k8s-cd-token").owners()).containsExactly("c", "d");
  }

  @Test
  void hostsAreRealNixosSystemsConfiguredByFleetModulesThatReadOtherHosts() throws Exception {
    // One nix process reads everything (each NixOS host costs seconds and hundreds of MB).
    String drvs =
        String.join(
            " ",
            fleet.hosts().keySet().stream()
                .map(
                    h ->
                        String.format(
                            "\"%s\" = [ c.hosts.\"%s\".nixos.config.system.build.toplevel.drvPath"
                                + " fc.hosts.\"%s\".toplevel.drvPath ];",
                            h, h, h))
                .toList());
    JsonNode out =
        eval(
            "fleetConfigurations.default",
            "fc: let c = fc.config; in { drvs = { "
                + drvs
                + " }; port = c.wireguard.port; hosts = builtins.mapAttrs (n: h: let e ="
                + " h.nixos.config.environment.etc; in { peers = e.\"wireguard/peers\".text; key"
                + " = e.\"wireguard/private-key-path\".text; udp ="
                + " h.nixos.config.networking.firewall.allowedUDPPorts; hostName ="
                + " h.nixos.config.networking.hostName; token ="
                + " (h.nixos.config.secrets.cluster-token or { public.data = null; }).public.data; }) c.hosts; ray ="
                + " c.hosts.controlplane-1.nixos.config.environment.etc.\"ray.json\".text; gitlab ="
                + " c.hosts.controlplane-1.nixos.config.environment.etc.\"gitlab/db-password-file\".text;"
                + " args = c.hosts.controlplane-1.nixos.config.environment.etc.\"fleet-args.json\".text;"
                + " overlay = c.hosts.d.nixos.config.environment.etc.overlay.text;"
                + " activation ="
                + " c.hosts.controlplane-1.nixos.config.system.activationScripts.script; }");
    // Each host's system is a real NixOS derivation, the one its installable evaluates to.
    for (String h : fleet.hosts().keySet()) {
      String drv = out.path("drvs").path(h).path(0).asText();
      // config.hosts.<h>.nixos is the nixosSystem; Host.systemAttribute() builds the same.
      assertThat(out.path("drvs").path(h).path(1).asText()).isEqualTo(drv);
      assertThat(drv).matches("/nix/store/[0-9a-z]{32}-nixos-system-.*\\.drv");
      assertThat(Path.of(drv)).exists();
    }
    assertThat(out.path("drvs").path("controlplane-1").path(0).asText())
        .contains("-nixos-system-cp1-");
    // The module's own option (declared with lib.mkOption, set by the module) configures hosts.
    assertThat(out.path("port").asInt()).isEqualTo(51999);
    JsonNode hosts = out.path("hosts");
    assertThat(hosts.path("a").path("udp").toString()).isEqualTo("[51999]");
    // networking.hostName defaults to the host's name; controlplane-1 sets its own, which the
    // other hosts read from its NixOS configuration.
    assertThat(hosts.path("a").path("hostName").asText()).isEqualTo("a");
    assertThat(hosts.path("a").path("peers").asText()).isEqualTo("b,c,cp1,d");
    assertThat(hosts.path("controlplane-1").path("peers").asText()).isEqualTo("a,b,c,d");
    assertThat(out.path("ray").asText()).isEqualTo("{\"cpus\":128,\"gpus\":4}");
    // NixOS modules get hosts, host, nixosHosts, fleetLib, inputs and self.
    JsonNode args = new ObjectMapper().readTree(out.path("args").asText());
    assertThat(args.path("hostSystem").asText()).isEqualTo("x86_64-linux");
    assertThat(args.path("hostTags").toString()).isEqualTo("[\"all\"]");
    assertThat(args.path("hosts").toString())
        .isEqualTo("[\"a\",\"b\",\"c\",\"controlplane-1\",\"d\"]");
    assertThat(args.path("peerHostName").asText()).isEqualTo("a");
    assertThat(args.path("fleetLib").asBoolean()).isTrue();
    assertThat(args.path("inputs").toString()).contains("\"flake-parts\"").contains("\"nixpkgs\"");
    assertThat(args.path("self").asBoolean()).isTrue();
    // The fleet's nixpkgs.overlays reach every host's pkgs.
    assertThat(out.path("overlay").asText()).isEqualTo("from-the-fleet-overlay");
    // A secret's path is usable inside NixOS: stable before the secret is stored, and with the
    // stored value's sha1 once it is (fleet.nix beside flake.nix).
    assertThat(hosts.path("a").path("key").asText()).isEqualTo("/run/secrets/wg-key/secret");
    String raw =
        "<ENCRYPTED><BASE64-ENCODED>\n"
            + "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IG5vdC1yZWFsbHktZW5jcnlwdGVk\n";
    assertThat(out.path("gitlab").asText())
        .isEqualTo("/run/secrets/gitlab-db/" + sha1(raw) + "-secret");
    // A shared secret the host owns is a secret of the host, with its public part's text.
    assertThat(hosts.path("a").path("token").asText()).isEqualTo("token-id-1234\n");
    assertThat(hosts.path("b").path("token").isNull()).isTrue();
    // The activation installs both the stable and this version's path of each stored part.
    assertThat(out.path("activation").asText())
        .containsPattern("fleet_install_part'? '?gitlab-db'? '?secret'? ")
        .containsPattern("fleet_install_part'? '?gitlab-db'? '?" + sha1(raw) + "-secret'? ")
        .containsPattern("fleet_install_part'? '?cluster-token'? '?public'? ");
  }

  private static JsonNode eval(String attribute, String apply) throws Exception {
    List<String> cmd = nix.command("eval", "--json", flake + "#" + attribute, "--apply", apply);
    NixLog log = new NixLog(BuildListener.NONE);
    NixProcess.Outcome out = NixProcess.run(cmd, null, log);
    assertThat(out.exitCode()).as(log.text()).isZero();
    return new ObjectMapper().readTree(out.stdout());
  }

  private static String sha1(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
  }
}
