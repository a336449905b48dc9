package io.fleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fake hosts' {@code nix-store --import} of real {@code nix-store --export} streams: one made by
 * the real nix, hand-made ones (a directory, an executable, a symlink, references), and broken
 * ones, whose errors never show raw binary.
 */
class NixExportImportTest {
  private static final String LIB = "/nix/store/" + "a".repeat(32) + "-lib";
  private static final String APP = "/nix/store/" + "b".repeat(32) + "-app";

  @TempDir Path tmp;

  static FakeFleet fake() {
    return FakeFleet.of(Fleet.builder().host("h", x -> {}).build());
  }

  static CommandResult importInto(FakeFleet fake, byte[] stream) {
    try (Connection c = fake.transport().connect(fake.fleet().host("h"))) {
      return c.run(Command.builder().argv(List.of("nix-store", "--import")).stdin(stream).build());
    }
  }

  @Test
  void importsAStreamExportedByTheRealNix() throws Exception {
    ExternalTools.require("nix-store");
    Path dir = Files.createDirectories(tmp.resolve("fleet-import-test"));
    Files.writeString(dir.resolve("hello.txt"), "hello from the real nix\n");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.writeString(bin.resolve("run"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(bin.resolve("run"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(dir.resolve("link"), Path.of("hello.txt"));
    Files.write(dir.resolve("blob"), new byte[100_003]);
    String path = run("nix-store", "--add", dir.toString()).trim();
    assertThat(path).startsWith("/nix/store/").endsWith("-fleet-import-test");
    long narSize = Long.parseLong(run("nix-store", "--query", "--size", path).trim());
    byte[] export = runBytes("nix-store", "--export", path);

    try (FakeFleet fake = fake()) {
      long free = fake.host("h").freeBytes();
      CommandResult r = importInto(fake, export);
      assertThat(r.exitCode()).as(r.stderrText()).isZero();
      assertThat(r.stdoutText()).isEqualTo(path + "\n");
      assertThat(fake.host("h").hasPath(path)).isTrue();
      assertThat(free - fake.host("h").freeBytes()).isEqualTo(narSize);
    }
  }

  @Test
  void importsHandMadeExportsWithReferencesInOrder() {
    ExportWriter w = new ExportWriter();
    w.path(LIB, List.of(), nar -> nar.directory(d -> d.file("libc.so", false, new byte[9])));
    w.path(
        APP,
        List.of(LIB, APP),
        nar ->
            nar.directory(
                d -> {
                  d.file("app", true, "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
                  d.symlink("lib", LIB);
                }));
    try (FakeFleet fake = fake()) {
      CommandResult r = importInto(fake, w.end());
      assertThat(r.exitCode()).as(r.stderrText()).isZero();
      assertThat(r.stdoutText()).isEqualTo(LIB + "\n" + APP + "\n");
      assertThat(fake.host("h").storePaths()).contains(LIB, APP);
    }
  }

  @Test
  void aMissingReferenceFailsAsNixDoes() {
    ExportWriter w = new ExportWriter();
    w.path(APP, List.of(LIB), nar -> nar.file(false, new byte[3]));
    try (FakeFleet fake = fake()) {
      CommandResult r = importInto(fake, w.end());
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.stderrText()).contains("references '" + LIB + "', which is not valid");
    }
  }

  @Test
  void brokenStreamsFailWithPrintableMessages() {
    ExportWriter w = new ExportWriter();
    w.path(APP, List.of(), nar -> nar.file(false, new byte[3]));
    byte[] good = w.end();
    byte[] corrupt = good.clone();
    corrupt[20] = 'X'; // inside "nix-archive-1"
    byte[] garbage = {(byte) 0xff, 0x00, 0x01, 0x7f, (byte) 0x80, 'n', 'i', 'x', '\n', 0};
    byte[] fakeNarWithBinary =
        "fake-nar \u0001\u0000\u00ff junk\n".getBytes(StandardCharsets.ISO_8859_1);
    try (FakeFleet fake = fake()) {
      for (byte[] bad : List.of(corrupt, garbage, fakeNarWithBinary)) {
        CommandResult r = importInto(fake, bad);
        assertThat(r.exitCode()).isEqualTo(1);
        String err = r.stderrText();
        assertThat(err).matches("(?s)[\\x20-\\x7e\\n…]*").hasSizeLessThan(300);
      }
      assertThat(importInto(fake, corrupt).stderrText())
          .contains("not a valid nix-store --export stream")
          .contains("expected a NAR (nix-archive-1)");
      assertThat(importInto(fake, garbage).stderrText())
          .contains("neither a nix-store --export stream nor a fake-nar stream")
          .contains("\\xff\\x00\\x01");
      assertThat(importInto(fake, fakeNarWithBinary).stderrText())
          .contains("not a fake-nar header: \"fake-nar \\x01\\x00");
      assertThat(fake.host("h").hasPath(APP)).isFalse();
    }
  }

  private static String run(String... argv) throws Exception {
    return new String(runBytes(argv), StandardCharsets.UTF_8);
  }

  private static byte[] runBytes(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as(String.join(" ", argv)).isZero();
    return out;
  }

  /** Writes the nix-store --export format, as the spec in NixExport describes it. */
  static final class ExportWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    interface NarBody {
      void write(Nar nar);
    }

    void path(String path, List<String> refs, NarBody body) {
      num(out, 1);
      Nar nar = new Nar();
      str(nar.out, "nix-archive-1");
      body.write(nar);
      out.writeBytes(nar.out.toByteArray());
      num(out, 0x4558494eL);
      str(out, path);
      num(out, refs.size());
      refs.forEach(r -> str(out, r));
      str(out, "");
      num(out, 0);
    }

    byte[] end() {
      num(out, 0);
      return out.toByteArray();
    }

    static final class Nar {
      final ByteArrayOutputStream out = new ByteArrayOutputStream();

      void file(boolean executable, byte[] contents) {
        for (String s :
            executable
                ? List.of("(", "type", "regular", "executable", "")
                : List.of("(", "type", "regular")) {
          str(out, s);
        }
        str(out, "contents");
        bytes(out, contents);
        str(out, ")");
      }

      void directory(java.util.function.Consumer<Dir> entries) {
        str(out, "(");
        str(out, "type");
        str(out, "directory");
        entries.accept(new Dir(this));
        str(out, ")");
      }
    }

    static final class Dir {
      private final Nar nar;
      private final List<String> names = new ArrayList<>();

      Dir(Nar nar) {
        this.nar = nar;
      }

      private void entry(String name, Runnable node) {
        names.add(name);
        for (String s : List.of("entry", "(", "name", name, "node")) {
          str(nar.out, s);
        }
        node.run();
        str(nar.out, ")");
      }

      void file(String name, boolean executable, byte[] contents) {
        entry(name, () -> nar.file(executable, contents));
      }

      void symlink(String name, String target) {
        entry(
            name,
            () -> {
              for (String s : List.of("(", "type", "symlink", "target", target, ")")) {
                str(nar.out, s);
              }
            });
      }
    }

    static void num(ByteArrayOutputStream o, long v) {
      for (int i = 0; i < 8; i++) {
        o.write((int) (v >>> (8 * i)) & 0xff);
      }
    }

    static void str(ByteArrayOutputStream o, String s) {
      bytes(o, s.getBytes(StandardCharsets.UTF_8));
    }

    static void bytes(ByteArrayOutputStream o, byte[] b) {
      num(o, b.length);
      o.writeBytes(b);
      for (int i = b.length; i % 8 != 0; i++) {
        o.write(0);
      }
    }
  }
}
