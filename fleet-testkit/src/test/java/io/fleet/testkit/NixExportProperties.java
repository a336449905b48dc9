package io.fleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.TransportException;
import io.fleet.api.spi.CommandResult;
import java.io.ByteArrayOutputStream;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The fake hosts' reader of {@code nix-store --export} streams: any file contents round-trip with
 * the NAR size the format implies, and arbitrary bytes give a typed, printable error.
 */
class NixExportProperties {
  private static final String PATH = "/nix/store/" + "c".repeat(32) + "-blob";

  @Provide
  Arbitrary<byte[]> contents() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(3000);
  }

  @Property(tries = 50)
  void anyFileImportsWithItsNarSize(@ForAll("contents") byte[] contents, @ForAll boolean exec) {
    NixExportImportTest.ExportWriter w = new NixExportImportTest.ExportWriter();
    w.path(PATH, List.of(PATH), nar -> nar.file(exec, contents));
    byte[] stream = w.end();
    // NAR: 13-byte magic string, "(" "type" "regular" ["executable" ""] "contents" <data> ")".
    long strings = exec ? 7 : 5;
    long narSize = 8 + 16 + strings * 16 + 8 + pad(contents.length);
    try (FakeFleet fake = NixExportImportTest.fake()) {
      long free = fake.host("h").freeBytes();
      CommandResult r = NixExportImportTest.importInto(fake, stream);
      assertThat(r.exitCode()).as(r.stderrText()).isZero();
      assertThat(fake.host("h").hasPath(PATH)).isTrue();
      assertThat(free - fake.host("h").freeBytes()).isEqualTo(narSize);
    }
  }

  @Property(tries = 200)
  void arbitraryBytesAfterAValidStartGiveAPrintableError(@ForAll @Size(max = 200) byte[] junk) {
    ByteArrayOutputStream start = new ByteArrayOutputStream();
    NixExportImportTest.ExportWriter.num(start, 1);
    NixExportImportTest.ExportWriter.str(start, "nix-archive-1");
    start.writeBytes(junk);
    try (FakeFleet fake = NixExportImportTest.fake()) {
      String message;
      try {
        CommandResult r = NixExportImportTest.importInto(fake, start.toByteArray());
        assertThat(r.exitCode()).isEqualTo(1);
        message = r.stderrText();
      } catch (TransportException e) {
        // the stream ended early: reported as a broken import stream
        assertThat(e.getMessage()).contains("import stream broke");
        message = e.getMessage();
      }
      assertThat(message).matches("(?s)[\\x20-\\x7e\\n…]*").hasSizeLessThan(400);
      assertThat(fake.host("h").storePaths()).noneMatch(p -> p.endsWith("-blob"));
    }
  }

  private static long pad(long n) {
    return (n + 7) / 8 * 8;
  }
}
