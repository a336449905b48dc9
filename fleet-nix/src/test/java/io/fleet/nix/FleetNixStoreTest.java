package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetException;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.StoredSecret;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link FleetNixFile} as a store: atomic saves, refusal of concurrent changes, kept fields. */
class FleetNixStoreTest {
  @TempDir Path dir;

  private Path copyOf(String name) throws IOException {
    Path file = dir.resolve("fleet.nix");
    Files.copy(ExternalTools.testData("fleet-nix/" + name), file);
    return file;
  }

  private static StoredSecret secret(String text) {
    return StoredSecret.builder()
        .createdAt(Instant.parse("2026-11-01T00:00:00Z"))
        .putParts("public", SecretPart.plaintext(text))
        .build();
  }

  @Test
  void anAbsentFileLoadsEmptyAndIsCreatedOnSave() throws IOException {
    Path file = dir.resolve("sub/fleet.nix");
    FleetNixFile store = FleetNixFile.at(file);
    assertThat(store.load()).isEqualTo(FleetData.empty());
    FleetData data = FleetData.empty().withHostKey("alpha", "ssh-ed25519 AAAA root@alpha");
    store.save(data);
    assertThat(Files.readString(file))
        .startsWith("# This file contains fleet state and shouldn't be edited by hand\n\n{\n")
        // One host: the original's attribute-path shorthand reaches down to the key.
        .contains("\n  hosts.alpha.encryptionKey = \"ssh-ed25519 AAAA root@alpha\";\n")
        .endsWith("}\n\n# vim: ts=2 et nowrap\n");
    assertThat(FleetNixFile.at(file).load()).isEqualTo(data);
  }

  @Test
  void aChangeKeepsEverythingElseAsItWas() throws IOException {
    Path file = copyOf("shared-secrets.fleet.nix");
    String before = Files.readString(file);
    FleetNixFile store = FleetNixFile.at(file);
    FleetData updated = store.update(d -> d.withHostSecret("beta", "new", secret("hello")));
    String after = Files.readString(file);
    assertThat(FleetNixFile.parse(after)).isEqualTo(updated);
    assertThat(updated.extraFields()).containsKey("extraUnknownField");
    // Only the new lines are new: the old text is still there, line by line, in order.
    String added =
        "  hostSecrets.beta.new = {\n"
            + "    createdAt = \"2026-11-01T00:00:00Z\";\n"
            + "    public.raw = \"<PLAINTEXT>hello\";\n"
            + "  };\n";
    int at = before.indexOf("  extraUnknownField");
    assertThat(after).isEqualTo(before.substring(0, at) + added + before.substring(at));
  }

  @Test
  void aChangedValueKeepsItsLayout() throws IOException {
    Path file = copyOf("shared-secrets.fleet.nix");
    String before = Files.readString(file);
    FleetNixFile store = FleetNixFile.at(file);
    store.update(d -> d.withHostKey("beta", "ssh-ed25519 NEW root@beta"));
    assertThat(Files.readString(file))
        .isEqualTo(
            before.replaceFirst(
                "    beta = \\{ encryptionKey = \"[^\"]*\"; \\};\n",
                "    beta = { encryptionKey = \"ssh-ed25519 NEW root@beta\"; };\n"));
    assertThat(Files.readString(file)).isNotEqualTo(before);
  }

  @Test
  void managerKeysAndUnknownFieldsAreKept() throws IOException {
    String text =
        "{\n  version = \"0.1.0\";\n  managerKeys = [ { name = \"ops\"; key = \"age1xyz\"; } ];\n"
            + "  hosts.a = { encryptionKey = \"k\"; role = \"db\"; };\n"
            + "  hostSecrets.a.s = {\n    createdAt = \"2026-01-01T00:00:00Z\";\n"
            + "    managed = true;\n    public.raw = \"<PLAINTEXT>p\";\n  };\n"
            + "  zzz = [ 1 2.5 null ];\n}\n";
    Path file = dir.resolve("fleet.nix");
    Files.writeString(file, text);
    FleetNixFile store = FleetNixFile.at(file);
    FleetData data = store.load();
    assertThat(data.managerKeys()).hasSize(1);
    assertThat(data.managerKeys().get(0).get("key").asText()).isEqualTo("age1xyz");
    assertThat(data.hosts().get("a").extraFields()).containsKey("role");
    assertThat(data.hostSecret("a", "s").orElseThrow().extraFields()).containsKey("managed");
    assertThat(data.extraFields().get("zzz").toString()).isEqualTo("[1,2.5,null]");
    store.save(data.withHostKey("b", "k2"));
    FleetData again = FleetNixFile.at(file).load();
    assertThat(again).isEqualTo(data.withHostKey("b", "k2"));
  }

  @Test
  void aConcurrentSaveIsRefused() throws IOException {
    Path file = copyOf("host-secrets.fleet.nix");
    FleetNixFile mine = FleetNixFile.at(file);
    FleetNixFile theirs = FleetNixFile.at(file);
    FleetData data = mine.load();
    theirs.save(theirs.load().withHostKey("delta", "ssh-ed25519 BBBB root@delta"));
    String theirText = Files.readString(file);
    assertThatThrownBy(() -> mine.save(data.withHostKey("epsilon", "k")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("changed on disk since it was loaded")
        .hasMessageContaining("load it again");
    assertThat(Files.readString(file)).isEqualTo(theirText);
  }

  @Test
  void anEditInPlaceOfTheSameSizeIsRefused() throws IOException {
    Path file = copyOf("host-secrets.fleet.nix");
    FleetNixFile store = FleetNixFile.at(file);
    FleetData data = store.load();
    // Someone changes one character in place right after the load: same size, same inode, and
    // (within the file system's clock tick) possibly the same modification time.
    String text = Files.readString(file);
    String edited = text.replace("fleet-gc-Q1w2E3r4", "fleet-gc-Q1w2E3r5");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(edited.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0);
    }
    assertThatThrownBy(() -> store.save(data))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("changed on disk");
    assertThat(Files.readString(file)).isEqualTo(edited);
  }

  @Test
  void aDeletedFileIsNotSilentlyRecreated() throws IOException {
    Path file = copyOf("empty.fleet.nix");
    FleetNixFile store = FleetNixFile.at(file);
    FleetData data = store.load();
    Files.delete(file);
    assertThatThrownBy(() -> store.save(data))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("deleted");
    assertThat(file).doesNotExist();
  }

  @Test
  void aFailurePartWayThroughASaveLeavesThePreviousFileComplete() throws IOException {
    Path file = copyOf("shared-secrets.fleet.nix");
    byte[] before = Files.readAllBytes(file);
    FleetNixFile failing =
        new FleetNixFile(file) {
          @Override
          protected void writeTemp(Path tmp, byte[] bytes) throws IOException {
            // Half of the new content reaches the disk, then the disk fills up.
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
              ch.write(ByteBuffer.wrap(bytes, 0, bytes.length / 2));
            }
            throw new IOException("No space left on device");
          }
        };
    FleetData data = failing.load();
    FleetData changed = data.withHostSecret("alpha", "x", secret("y"));
    assertThatThrownBy(() -> failing.save(changed))
        .isInstanceOf(FleetException.class)
        .hasMessageContaining("No space left on device")
        .hasMessageContaining("the previous file is unchanged");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("fleet.nix");
    }
    // The file on disk is still the one the store loaded, so a later save goes through.
    FleetNixFile store = FleetNixFile.at(file);
    store.load();
    store.save(changed);
    assertThat(FleetNixFile.at(file).load()).isEqualTo(changed);
  }

  @Test
  void aSaveKeepsTheFilesPermissions() throws IOException {
    Path file = copyOf("host-secrets.fleet.nix");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    FleetNixFile store = FleetNixFile.at(file);
    store.save(store.load().withHostKey("delta", "k"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r--r--");
  }
}
