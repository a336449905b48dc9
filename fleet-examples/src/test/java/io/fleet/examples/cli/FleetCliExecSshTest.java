package io.fleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.data.FleetData;
import io.fleet.api.exec.ExecOutcome;
import io.fleet.api.exec.ExecReport;
import io.fleet.examples.bench.BenchSshd;
import io.fleet.nix.FleetNixFile;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.ExternalTools;
import io.fleet.testkit.SharedNixTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleet --fleet FLAKE exec} on a real fleet: a flake evaluated by the real {@code nix} whose
 * hosts' deploy targets are a real sshd on loopback (host key pinned through the data file), and a
 * host whose port nothing listens on.
 */
class FleetCliExecSshTest {
  @TempDir Path tmp;

  @Test
  void execRunsOverSshOnTheSelectedHostsOfAnEvaluatedFlake() throws Exception {
    ExternalTools.require("nix");
    ExternalTools.require("sshd");
    try (BenchSshd sshd = BenchSshd.start()) {
      Path fleetNix = NixEvaluator.writeFleetFlake(tmp.resolve("fleet-nix"));
      String nixpkgsLib = SharedNixTrees.unpack(Path.of("target/nix-trees")).locked("nixpkgs-lib");
      Path flake = Files.createDirectories(tmp.resolve("cluster"));
      String target = sshd.user() + "@127.0.0.1:" + sshd.port();
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
              + "        hosts.web-1 = { tags = [ \"web\" ]; deployTarget = \""
              + target
              + "\"; };\n"
              + "        hosts.web-2 = { tags = [ \"web\" ]; deployTarget = \""
              + target
              + "\"; };\n"
              + "        hosts.gone = { tags = [ \"web\" ]; deployTarget = \""
              + sshd.user()
              + "@127.0.0.1:1\"; };\n"
              + "        hosts.db-1 = { tags = [ \"db\" ]; deployTarget = \""
              + target
              + "\"; };\n"
              + "      } ];\n"
              + "    };\n"
              + "  };\n"
              + "}\n");
      // The data file pins the sshd's host key for the hosts (as a fleet's fleet.nix does).
      Path data = flake.resolve("fleet.nix");
      String key = sshd.hostKeyLine();
      FleetNixFile.at(data)
          .update(
              d -> {
                FleetData pinned = d;
                for (String h : new String[] {"web-1", "web-2", "gone", "db-1"}) {
                  pinned = pinned.withHostKey(h, key);
                }
                return pinned;
              });
      String[] common = {
        "--fleet",
        "path:" + flake + "#prod",
        "--ssh-key",
        sshd.clientKey().toString(),
        "--nix-option",
        "substituters=",
        "--nix-option",
        "flake-registry="
      };

      FleetCliTest.Run ok =
          FleetCliTest.run(
              cat(
                  common,
                  "exec",
                  "--on",
                  "@web",
                  "--skip",
                  "gone",
                  "--json",
                  "--",
                  "sh",
                  "-c",
                  "echo \"$0 on $(hostname)\"; echo warn >&2",
                  "ran"));
      assertThat(ok.exit()).as(ok.err()).isEqualTo(ExitCode.OK);
      ExecReport report = ExecReport.fromJson(ok.out());
      assertThat(report.hostNames()).containsExactly("web-1", "web-2");
      assertThat(report.host("web-1").stdoutTail()).startsWith("ran on ");
      assertThat(report.host("web-2").stderrTail()).isEqualTo("warn\n");

      FleetCliTest.Run failing =
          FleetCliTest.run(cat(common, "exec", "--on", "db-1", "--", "sh", "-c", "exit 7"));
      assertThat(failing.exit()).as(failing.err()).isEqualTo(ExitCode.FAILED_HOSTS);
      assertThat(failing.out()).contains("db-1: NONZERO_EXIT (exit 7)");

      FleetCliTest.Run unreachable =
          FleetCliTest.run(cat(common, "exec", "--on", "@web", "--json", "--", "true"));
      assertThat(unreachable.exit()).as(unreachable.err()).isEqualTo(ExitCode.TRANSPORT);
      ExecReport mixed = ExecReport.fromJson(unreachable.out());
      assertThat(mixed.host("gone").outcome()).isEqualTo(ExecOutcome.UNREACHABLE);
      assertThat(mixed.host("web-1").outcome()).isEqualTo(ExecOutcome.SUCCESS);

      FleetCliTest.Run timedOut =
          FleetCliTest.run(
              cat(
                  common,
                  "exec",
                  "--on",
                  "web-1",
                  "--timeout",
                  "1s",
                  "--json",
                  "--",
                  "sleep",
                  "30"));
      assertThat(timedOut.exit()).as(timedOut.err()).isEqualTo(ExitCode.FAILED_HOSTS);
      assertThat(ExecReport.fromJson(timedOut.out()).host("web-1").outcome())
          .isEqualTo(ExecOutcome.TIMEOUT);
    }
  }

  private static String[] cat(String[] a, String... b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
