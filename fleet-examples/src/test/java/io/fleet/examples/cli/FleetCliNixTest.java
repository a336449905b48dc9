package io.fleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.pipeline.PipelineHostReport;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.ExternalTools;
import io.fleet.testkit.SharedNixTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --fleet FLAKE} with the real {@code nix}: a small flake on this project's fleet-nix flake
 * (systems built with {@code fleet.lib.shellSystem}, no nixpkgs), evaluated and built by the CLI.
 */
class FleetCliNixTest {
  @TempDir Path tmp;

  @Test
  void infoAndBuildSystemsOnARealFlake() throws Exception {
    ExternalTools.require("nix");
    Path fleetNix = NixEvaluator.writeFleetFlake(tmp.resolve("fleet-nix"));
    // fleet-nix's nixpkgs-lib input is the shared tree, so nothing is fetched.
    String nixpkgsLib = SharedNixTrees.unpack(Path.of("target/nix-trees")).locked("nixpkgs-lib");
    Path flake = Files.createDirectories(tmp.resolve("cluster"));
    Files.writeString(
        flake.resolve("flake.nix"),
        "{\n"
            + "  inputs.nixpkgs-lib.url = \""
            + nixpkgsLib
            + "\";\n"
            + "  inputs.fleet.url = \"path:"
            + fleetNix
            + "\";\n"
            + "  inputs.fleet.inputs.nixpkgs-lib.follows = \"nixpkgs-lib\";\n"
            + "  outputs = { self, fleet, ... }: {\n"
            + "    fleetConfigurations.prod = fleet.lib.fleetConfiguration {\n"
            + "      mkSystem = fleet.lib.shellSystem;\n"
            + "      modules = [ {\n"
            + "        hosts.web-1 = { tags = [ \"web\" ]; deployTarget = \"root@127.0.0.1:1\"; };\n"
            + "        hosts.db-1 = { tags = [ \"db\" ]; deployTarget = \"root@127.0.0.1:1\"; };\n"
            + "      } ];\n"
            + "    };\n"
            + "  };\n"
            + "}\n");
    String[] nix = {
      "--fleet", "path:" + flake + "#prod",
      "--nix-option", "substituters=",
      "--nix-option", "flake-registry=",
      "--nix-option", "sandbox=false",
      "--nix-option", "build-users-group="
    };
    FleetCliTest.Run info = FleetCliTest.run(cat(nix, "info", "--json"));
    assertThat(info.exit()).as(info.err()).isZero();
    JsonNode json = info.json();
    assertThat(json.at("/hosts/web-1/tags").toString()).contains("\"web\"");
    assertThat(json.get("data").asText()).isEqualTo(flake.resolve("fleet.nix").toString());

    FleetCliTest.Run built = FleetCliTest.run(cat(nix, "build-systems", "--json", "--on", "@db"));
    assertThat(built.exit()).as(built.err()).isZero();
    String path = built.json().get("db-1").asText();
    assertThat(path).startsWith("/nix/store/");
    assertThat(Path.of(path)).exists();

    // deploy --pipeline evaluates the flake itself (host by host), builds with the real nix and
    // deploys; the hosts' SSH port is closed, so the deployment fails UNREACHABLE after the build.
    FleetCliTest.Run piped =
        FleetCliTest.run(cat(nix, "deploy", "switch", "--pipeline", "--json", "--on", "@db"));
    assertThat(piped.exit()).as(piped.err()).isEqualTo(ExitCode.FAILED_HOSTS);
    PipelineReport report = PipelineReport.fromJson(piped.out());
    assertThat(report.hosts()).extracting(PipelineHostReport::host).containsExactly("db-1");
    PipelineHostReport db = report.host("db-1");
    assertThat(db.evaluation().outcome()).isEqualTo(StageOutcome.SUCCEEDED);
    assertThat(db.build().outcome()).isEqualTo(StageOutcome.SUCCEEDED);
    assertThat(db.system()).hasValue(path);
    assertThat(db.deployment().outcome()).isEqualTo(StageOutcome.FAILED);
    assertThat(db.hostReport().orElseThrow().outcome()).isEqualTo(HostOutcome.FAILED);
    assertThat(db.hostReport().orElseThrow().failedStep()).hasValue(DeployStep.PREFLIGHT);
    assertThat(piped.out()).contains("127.0.0.1");

    FleetCliTest.Run text = FleetCliTest.run(cat(nix, "info"));
    assertThat(text.exit()).isZero();
    assertThat(text.out()).contains("fleet prod: 2 hosts", "web-1");
    FleetCliTest.Run noConfig =
        FleetCliTest.run(
            "--fleet", "path:" + flake + "#staging", "info", "--nix-option", "substituters=");
    assertThat(noConfig.exit()).as(noConfig.err()).isIn(ExitCode.EVALUATION, ExitCode.BAD_INPUT);
    assertThat(noConfig.err()).contains("staging");
  }

  private static String[] cat(String[] a, String... b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
