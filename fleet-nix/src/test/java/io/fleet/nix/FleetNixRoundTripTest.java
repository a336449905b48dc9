package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.data.FleetData;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Load and save of the original's files change nothing. */
class FleetNixRoundTripTest {
  @TempDir Path dir;

  static Stream<Path> testFiles() throws IOException {
    Path d = ExternalTools.testData("fleet-nix");
    try (Stream<Path> s = Files.list(d)) {
      List<Path> files = s.filter(p -> p.toString().endsWith(".fleet.nix")).sorted().toList();
      assertThat(files).hasSizeGreaterThanOrEqualTo(3);
      return files.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("testFiles")
  void loadThenSaveIsByteIdentical(Path original) throws IOException {
    Path file = dir.resolve("fleet.nix");
    Files.copy(original, file);
    byte[] before = Files.readAllBytes(file);
    FleetNixFile store = FleetNixFile.at(file);
    FleetData data = store.load();
    store.save(data);
    assertThat(new String(Files.readAllBytes(file), StandardCharsets.UTF_8))
        .isEqualTo(new String(before, StandardCharsets.UTF_8));
    store.save(store.load());
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
  }

  @ParameterizedTest
  @MethodSource("testFiles")
  void secondSaveIsByteIdenticalToTheFirst(Path original) throws IOException {
    FleetData data = FleetNixFile.parse(Files.readString(original));
    String first = FleetNixFile.format(data);
    FleetData again = FleetNixFile.parse(first);
    assertThat(again).isEqualTo(data);
    assertThat(FleetNixFile.format(again)).isEqualTo(first);
  }

  @Test
  void formatWithoutAPreviousFileWritesTheOriginalsLayout() throws IOException {
    Path original = ExternalTools.testData("fleet-nix/host-secrets.fleet.nix");
    String text = Files.readString(original);
    assertThat(FleetNixFile.format(FleetNixFile.parse(text))).isEqualTo(text);
  }
}
