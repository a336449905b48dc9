package io.fleet.transport.e2e;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.pipeline.PipelineEvent;
import io.fleet.api.pipeline.PipelineEvent.Kind;
import io.fleet.api.pipeline.PipelineReport;
import io.fleet.api.pipeline.PipelineStage;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.ExternalTools;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.SharedNixTrees;
import io.fleet.transport.FleetPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline driven by the real {@code nix}: a fleet flake of four shell-system hosts evaluated
 * one host per {@code nix eval} process (one worker), each host built by {@code nix build} as soon
 * as its process ends and deployed to a fake host with the real closure, while the later hosts'
 * processes still run.
 */
class RealNixPipelineTest {
  @TempDir Path tmp;

  @Test
  void hostsAreBuiltAsTheirChunksOfTheRealEvaluationEnd() throws Exception {
    ExternalTools.require("nix");
    Path trees = SharedNixTrees.inTarget().root();
    Path fleetFlake = NixEvaluator.writeFleetFlake(tmp.resolve("fleet-nix"));
    Path flake = Files.createDirectories(tmp.resolve("cluster"));
    Files.writeString(
        flake.resolve("flake.nix"),
        "{\n"
            + "  inputs.fleet.url = \"path:"
            + fleetFlake
            + "\";\n"
            + "  outputs = { self, fleet }: {\n"
            + "    fleetConfigurations.default = fleet.lib.fleetConfiguration {\n"
            + "      mkSystem = fleet.lib.shellSystem;\n"
            + "      modules = [ {\n"
            + "        nixos = { testRun = \""
            + UUID.randomUUID()
            + "\"; };\n"
            + "        hosts = { web-1 = {}; web-2 = {}; web-3 = {}; web-4 = {}; };\n"
            + "      } ];\n"
            + "    };\n"
            + "  };\n"
            + "}\n");
    Fleet fakeHosts =
        Fleet.builder()
            .name("default")
            .host("web-1", h -> {})
            .host("web-2", h -> {})
            .host("web-3", h -> {})
            .host("web-4", h -> {})
            .build();
    NixEvaluator nix =
        NixEvaluator.builder()
            .option("substituters", "")
            .option("flake-registry", "")
            .option("sandbox", "false")
            .option("build-users-group", "")
            .overrideInput("fleet/nixpkgs-lib", "path:" + trees.resolve("nixpkgs-lib"))
            .evaluationChunkSize(1)
            .evaluationWorkers(1)
            .build();
    List<PipelineEvent> events = new CopyOnWriteArrayList<>();
    try (nix;
        FakeFleet fake = FakeFleet.builder().fleet(fakeHosts).evaluator(nix).build()) {
      PipelineReport r =
          FleetPipeline.builder()
              .transport(fake.transport())
              .evaluator(nix)
              .clock(fake.clock(), fake.clock()::sleep)
              .listener(events::add)
              .build()
              .on("path:" + flake, "default")
              .buildParallelism(2)
              .execute();

      assertThat(r.isSuccess()).as(r.summary()).isTrue();
      // web-1's build started when its own nix eval process ended, before the process of web-4
      // (the last of four, one after another) ended.
      assertThat(index(events, "web-1", PipelineStage.BUILD, Kind.STARTED))
          .isLessThan(index(events, "web-4", PipelineStage.EVALUATE, Kind.FINISHED));
      for (String h : List.of("web-1", "web-2", "web-3", "web-4")) {
        String system = r.host(h).system().orElseThrow();
        assertThat(Files.readString(Path.of(system, "host-name")).trim()).isEqualTo(h);
        assertThat(fake.host(h)).isRunning(system).isOnGeneration(2).hasNoRollbackMarker();
        assertThat(fake.host(h).hasPath(system)).isTrue();
      }
    }
  }

  private static int index(List<PipelineEvent> events, String host, PipelineStage stage, Kind k) {
    for (int i = 0; i < events.size(); i++) {
      PipelineEvent e = events.get(i);
      if (e.host().equals(host) && e.stage() == stage && e.kind() == k) {
        return i;
      }
    }
    throw new AssertionError("no " + stage + " " + k + " of " + host + " in " + events);
  }
}
