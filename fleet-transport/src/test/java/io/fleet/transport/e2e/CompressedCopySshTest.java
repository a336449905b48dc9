package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.ExternalTools;
import io.fleet.transport.Deployer;
import io.fleet.transport.SshTransport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compressed copy ({@code Planner.compress(true)}) of a closure built by the real {@code nix},
 * uploaded over real SSH into {@link SshdHost}s, each with its own private {@code /nix}: the host
 * runs {@code zstd -d | nix-store --import}, and every path lands valid with its NAR hash intact.
 * An uncompressed upload of the same closure to a second host is the comparison; the figures (bytes
 * on the wire, copy time) are printed. Needs root, sshd, nix and zstd.
 */
class CompressedCopySshTest {
  @TempDir Path tmp;

  /**
   * A flake with one "system": a text file of numbers and copies of three of this machine's
   * binaries, so its closure compresses about as real store paths do (text well, code less).
   */
  static String flake(String system) {
    return """
        {
          outputs = { self }: {
            systems.SYSTEM.big =
              let
                data = builtins.derivation {
                  name = "fleet-test-zstd-data";
                  system = "SYSTEM";
                  builder = "/bin/sh";
                  args = [ "-c" "/bin/mkdir -p $out && /usr/bin/seq 1 1000000 > $out/numbers" ];
                };
              in
              builtins.derivation {
                name = "fleet-test-zstd-system";
                system = "SYSTEM";
                builder = "/bin/sh";
                args = [ "-c" "/bin/mkdir -p $out/bin && /bin/cp -L /bin/bash /bin/ls /usr/bin/zstd $out/bin/ && /bin/ln -s ${data} $out/data" ];
              };
          };
        }
        """
        .replace("SYSTEM", system);
  }

  /** Gives the host a system profile (a tiny store path), as the status query needs one. */
  static void seedProfile(SshdHost h) {
    CommandResult r =
        h.exec(
            "sh",
            "-c",
            "d=$(mktemp -d) && echo seed > \"$d/fleet-seed\" && p=$(nix-store --add \"$d/fleet-seed\")"
                + " && rm -r \"$d\" && nix-env --profile /nix/var/nix/profiles/system --set \"$p\"");
    assertThat(r.exitCode()).as(r.stderrText()).isZero();
  }

  @Test
  void compressedUploadOfARealClosureLandsIntactAndSendsFewerBytes() throws IOException {
    ExternalTools.require("zstd");
    ExternalTools.require("nix");
    Path dir = Files.createDirectories(tmp.resolve("zstd-flake"));
    Files.writeString(dir.resolve("flake.nix"), flake(SystemFlake.nixSystem()));
    String attr = "path:" + dir + "#systems." + SystemFlake.nixSystem() + ".big";

    try (SshdHost packed = SshdHost.start("zstd-on");
        SshdHost plain = SshdHost.start("zstd-off");
        SshTransport ssh = SshdHost.transport(packed, plain);
        NixEvaluator nix =
            NixEvaluator.builder()
                .option("substituters", "")
                .option("flake-registry", "")
                .build()) {
      seedProfile(packed);
      seedProfile(plain);
      Fleet fleet =
          Fleet.builder()
              .host(
                  packed.name(),
                  x ->
                      x.system(SystemFlake.nixSystem())
                          .target(packed.target())
                          .systemAttribute(attr))
              .host(
                  plain.name(),
                  x ->
                      x.system(SystemFlake.nixSystem())
                          .target(plain.target())
                          .systemAttribute(attr))
              .build();
      List<DeploymentEvent> events = new CopyOnWriteArrayList<>();
      Deployer d = Deployer.builder().transport(ssh).evaluator(nix).listener(events::add).build();

      DeploymentReport on =
          d.execute(
              d.plan(fleet)
                  .select(packed.name())
                  .action(DeployAction.UPLOAD)
                  .compress(true)
                  .build());
      DeploymentReport off =
          d.execute(d.plan(fleet).select(plain.name()).action(DeployAction.UPLOAD).build());

      HostReport a = on.host(packed.name());
      HostReport b = off.host(plain.name());
      assertThat(a.outcome()).as(a.error().orElse("")).isEqualTo(HostOutcome.UPLOADED);
      assertThat(b.outcome()).as(b.error().orElse("")).isEqualTo(HostOutcome.UPLOADED);
      assertThat(a.compressed()).isTrue();
      assertThat(b.compressed()).isFalse();
      String system = a.system();
      assertThat(a.copiedPaths()).hasSize(2).last().isEqualTo(system);
      assertThat(b.copiedPaths()).isEqualTo(a.copiedPaths());
      for (String p : a.copiedPaths()) {
        assertThat(packed.hasStorePath(p)).as(p).isTrue();
        // nix re-hashes the path's contents against the NAR hash the export carried
        CommandResult v = packed.exec("nix-store", "--verify-path", p);
        assertThat(v.exitCode()).as(v.stderrText()).isZero();
      }
      assertThat(Files.mismatch(Path.of(system, "bin/bash"), packed.path(system + "/bin/bash")))
          .isEqualTo(-1L);
      assertThat(packed.path(system + "/data/numbers")).exists();

      // the stream on the wire: the export as sent, zstd-compressed for the first host
      assertThat(b.wireBytes()).isGreaterThanOrEqualTo(b.copiedBytes());
      assertThat(a.wireBytes()).isPositive().isLessThan(b.wireBytes() / 2);
      assertThat(events)
          .noneMatch(e -> e.message().contains("copying uncompressed"))
          .anyMatch(e -> e.message().contains("bytes on the wire with zstd"));
      List<String> figures = new ArrayList<>();
      figures.add(
          String.format(
              "e2e figures: zstd copy of %d paths, %d NAR bytes: compressed %d bytes on the wire"
                  + " in %d ms, uncompressed %d bytes in %d ms (ratio %.2f)",
              a.copiedPaths().size(),
              a.copiedBytes(),
              a.wireBytes(),
              a.stepTimes().get(DeployStep.COPY).toMillis(),
              b.wireBytes(),
              b.stepTimes().get(DeployStep.COPY).toMillis(),
              (double) b.wireBytes() / a.wireBytes()));
      figures.forEach(System.out::println);
      Files.writeString(
          Path.of("target", "zstd-copy-figures.txt"),
          String.join("\n", figures) + "\n",
          StandardCharsets.UTF_8);
    }
  }

  @Test
  void theRealHostRefusesADamagedCompressedStreamAndImportsNothing() {
    ExternalTools.require("zstd");
    try (SshdHost h = SshdHost.start("zstd-bad");
        SshTransport ssh = SshdHost.transport(h);
        Connection c = ssh.connect(h.host())) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      CommandResult r =
          c.run(
              HostProtocol.importCompressed(false, java.time.Duration.ofSeconds(30)),
              new java.io.ByteArrayInputStream(
                  "this is not a zstd frame".getBytes(StandardCharsets.UTF_8)),
              out);
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.stderrText()).contains("fleet: zstd -d failed");
      assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();

      // and a good frame of an empty export (no paths) imports nothing, successfully
      CommandResult ok =
          c.run(
              HostProtocol.importCompressed(false, java.time.Duration.ofSeconds(30)),
              new java.io.ByteArrayInputStream(com.github.luben.zstd.Zstd.compress(new byte[8], 3)),
              out);
      assertThat(ok.exitCode()).as(ok.stderrText()).isZero();
    }
  }
}
