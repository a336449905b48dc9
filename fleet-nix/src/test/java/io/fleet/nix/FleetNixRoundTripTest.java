package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.data.SharedSecretData;
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
  void ownersKeepTheOrderTheFileListsThemIn() throws IOException {
    // The original stores owners as a list, in the order hosts were added, not sorted.
    String text =
        Files.readString(ExternalTools.testData("fleet-nix/shared-secrets.fleet.nix"))
            .replace(
                "owners = [ \"alpha\" \"beta\" \"gamma\" ];",
                "owners = [ \"gamma\" \"alpha\" \"beta\" ];")
            .replace("owners = [ \"alpha\" \"beta\" ];", "owners = [ \"beta\" \"alpha\" ];");
    assertThat(text)
        .contains("[ \"gamma\" \"alpha\" \"beta\" ]")
        .contains("[ \"beta\" \"alpha\" ]");
    Path file = dir.resolve("fleet.nix");
    Files.writeString(file, text);
    FleetNixFile store = FleetNixFile.at(file);
    FleetData data = store.load();
    assertThat(data.sharedSecrets().values())
        .extracting(s -> s.owners())
        .contains(List.of("gamma", "alpha", "beta"), List.of("beta", "alpha"));
    store.save(data);
    assertThat(Files.readString(file)).isEqualTo(text);
    assertThat(FleetNixFile.format(data))
        .contains("owners = [ \"gamma\" \"alpha\" \"beta\" ];")
        .contains("owners = [ \"beta\" \"alpha\" ];");
    // JSON keeps the order too; sets of owners compare equal whatever the order.
    Path json = dir.resolve("fleet.json");
    JsonFleetDataStore js = JsonFleetDataStore.at(json);
    js.load();
    js.save(data);
    assertThat(JsonFleetDataStore.at(json).load()).isEqualTo(data);
    SharedSecretData reordered =
        data.sharedSecrets().values().stream()
            .filter(s -> s.owners().size() == 3)
            .findFirst()
            .orElseThrow();
    assertThat(
            SharedSecretData.of(List.of("alpha", "beta", "gamma"), reordered.secret()).ownerSet())
        .isEqualTo(reordered.ownerSet());
  }

  @Test
  void aLinkedFleetNixIsWrittenThroughAndStaysALink() throws IOException {
    Path repo = Files.createDirectories(dir.resolve("repo"));
    Path real = repo.resolve("data/fleet.nix");
    Files.createDirectories(real.getParent());
    Files.copy(ExternalTools.testData("fleet-nix/host-secrets.fleet.nix"), real);
    Path link = repo.resolve("fleet.nix");
    Files.createSymbolicLink(link, Path.of("data/fleet.nix"));
    FleetNixFile store = FleetNixFile.at(link);
    FleetData data = store.load();
    FleetData changed = data.withHostKey("newhost", "ssh-ed25519 AAAA newhost");
    store.save(changed);
    assertThat(Files.isSymbolicLink(link)).as("the link is still a link").isTrue();
    assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("data/fleet.nix"));
    assertThat(FleetNixFile.at(real).load()).isEqualTo(changed);
    try (Stream<Path> left = Files.list(real.getParent())) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("fleet.nix");
    }
    // A second save through the link still sees the file it wrote, not a change by someone else.
    store.save(changed.withHostKey("other", "ssh-ed25519 AAAA other"));
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(FleetNixFile.at(real).load().hosts()).containsKeys("newhost", "other");
  }

  @Test
  void formatWithoutAPreviousFileWritesTheOriginalsLayout() throws IOException {
    Path original = ExternalTools.testData("fleet-nix/host-secrets.fleet.nix");
    String text = Files.readString(original);
    assertThat(FleetNixFile.format(FleetNixFile.parse(text))).isEqualTo(text);
  }
}
