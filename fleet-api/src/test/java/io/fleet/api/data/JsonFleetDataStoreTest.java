package io.fleet.api.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonFleetDataStoreTest {
  @TempDir Path dir;

  private static FleetData data(String key) {
    return FleetData.empty()
        .withHostKey("alpha", key)
        .withHostSecret(
            "alpha",
            "token",
            StoredSecret.builder()
                .createdAt(Instant.parse("2026-10-31T15:56:14.455824009Z"))
                .putParts("secret", SecretPart.encrypted(new byte[] {1, 2, 3}))
                .build());
  }

  private List<String> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void missingFileLoadsAsEmptyDataAndSaveCreatesIt() throws IOException {
    JsonFleetDataStore store = JsonFleetDataStore.at(dir.resolve("sub/fleet.json"));
    assertThat(store.load()).isEqualTo(FleetData.empty());
    store.save(data("k1"));
    assertThat(JsonFleetDataStore.at(dir.resolve("sub/fleet.json")).load()).isEqualTo(data("k1"));
    assertThat(Files.readString(dir.resolve("sub/fleet.json")))
        .contains("\"alpha\"")
        .endsWith("}\n");
  }

  @Test
  void saveReplacesTheFileAndLeavesNothingElse() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore store = JsonFleetDataStore.at(file);
    store.load();
    store.save(data("k1"));
    store.save(data("k2"));
    assertThat(store.load()).isEqualTo(data("k2"));
    assertThat(files()).containsExactly("fleet.json");
    FleetData updated = store.update(d -> d.withHostKey("beta", "kb"));
    assertThat(updated.hostKey("beta")).contains("kb");
    assertThat(JsonFleetDataStore.at(file).load()).isEqualTo(updated);
  }

  @Test
  void savingWithoutLoadingIsRefused() {
    JsonFleetDataStore store = JsonFleetDataStore.at(dir.resolve("fleet.json"));
    assertThatThrownBy(() -> store.save(data("k")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("was not loaded by this store: call load() before save()");
    assertThat(Files.exists(dir.resolve("fleet.json"))).isFalse();
  }

  @Test
  void aFileChangedOnDiskSinceLoadIsNotOverwritten() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("k1"));
    JsonFleetDataStore store = JsonFleetDataStore.at(file);
    store.load();
    String theirs = Files.readString(file).replace("k1", "k9");
    Files.writeString(file, theirs);

    assertThatThrownBy(() -> store.save(data("mine")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("changed on disk since it was loaded")
        .hasMessageContaining("refusing to overwrite it: load it again and reapply your change");
    assertThat(Files.readString(file)).isEqualTo(theirs);

    store.load();
    store.save(data("mine"));
    assertThat(JsonFleetDataStore.at(file).load().hostKey("alpha")).contains("mine");
  }

  @Test
  void aSameSizeChangeWithTheSameTimestampIsStillDetected() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("k1"));
    FileTime mtime = Files.getLastModifiedTime(file);
    JsonFleetDataStore store = JsonFleetDataStore.at(file);
    store.load();
    Files.writeString(file, Files.readString(file).replace("k1", "k2"));
    Files.setLastModifiedTime(file, mtime);
    assertThatThrownBy(() -> store.save(data("mine"))).isInstanceOf(FleetConfigException.class);
  }

  @Test
  void anUnchangedTouchIsFine() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("k1"));
    JsonFleetDataStore store = JsonFleetDataStore.at(file);
    store.load();
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(60)));
    store.save(data("k2"));
    assertThat(JsonFleetDataStore.at(file).load()).isEqualTo(data("k2"));
  }

  @Test
  void deletedOrCreatedBehindOurBackIsRefused() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("k1"));
    JsonFleetDataStore store = JsonFleetDataStore.at(file);
    store.load();
    Files.delete(file);
    assertThatThrownBy(() -> store.save(data("k2")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("was deleted since it was loaded");

    JsonFleetDataStore other = JsonFleetDataStore.at(dir.resolve("new.json"));
    assertThat(other.load()).isEqualTo(FleetData.empty());
    Files.writeString(dir.resolve("new.json"), "{}");
    assertThatThrownBy(() -> other.save(data("k2")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("was created by someone else since it was loaded");
  }

  @Test
  void concurrentSavesFromTwoStoresTheSecondIsRefused() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("k0"));
    JsonFleetDataStore first = JsonFleetDataStore.at(file);
    JsonFleetDataStore second = JsonFleetDataStore.at(file);
    first.load();
    second.load();
    first.save(data("first"));
    assertThatThrownBy(() -> second.save(data("second")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("changed on disk since it was loaded");
    assertThat(JsonFleetDataStore.at(file).load().hostKey("alpha")).contains("first");
  }

  @Test
  void aSaveWhileAnotherHoldsTheLockIsRefused() throws Exception {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("k0"));
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    JsonFleetDataStore slow =
        new JsonFleetDataStore(file) {
          @Override
          protected void writeTemp(Path tmp, byte[] bytes) throws IOException {
            writing.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            super.writeTemp(tmp, bytes);
          }
        };
    JsonFleetDataStore fast = JsonFleetDataStore.at(file);
    slow.load();
    fast.load();
    Thread t = new Thread(() -> slow.save(data("slow")));
    t.start();
    writing.await();
    try {
      assertThatThrownBy(() -> fast.save(data("fast")))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("the lock file")
          .hasMessageContaining("another process is saving it");
    } finally {
      release.countDown();
      t.join();
    }
    assertThat(JsonFleetDataStore.at(file).load().hostKey("alpha")).contains("slow");
    assertThat(files()).containsExactly("fleet.json");
  }

  @Test
  void aFailurePartWayThroughASaveLeavesTheOldFileAndNoTempFile() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("old"));
    String before = Files.readString(file);
    JsonFleetDataStore failing =
        new JsonFleetDataStore(file) {
          @Override
          protected void writeTemp(Path tmp, byte[] bytes) throws IOException {
            Files.write(tmp, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            throw new IOException("disk full (simulated)");
          }
        };
    failing.load();
    assertThatThrownBy(() -> failing.save(data("new")))
        .isInstanceOf(FleetException.class)
        .hasMessageContaining("disk full (simulated)")
        .hasMessageContaining("the previous file is unchanged");
    assertThat(Files.readString(file)).isEqualTo(before);
    assertThat(files()).containsExactly("fleet.json");

    // The store is still usable: the failed save changed nothing it knows.
    JsonFleetDataStore retry = JsonFleetDataStore.at(file);
    retry.load();
    retry.save(data("new"));
    assertThat(retry.load().hostKey("alpha")).contains("new");
  }

  @Test
  void permissionsOfTheOldFileAreKept() throws IOException {
    Path file = dir.resolve("fleet.json");
    JsonFleetDataStore.at(file).update(d -> data("k1"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    JsonFleetDataStore.at(file).update(d -> data("k2"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r-----");
  }

  @Test
  void malformedFilesAreConfigErrorsNamingTheFileAndPosition() throws IOException {
    Path file = dir.resolve("fleet.json");
    Files.writeString(file, "{\n  \"hosts\": {\n    \"a\": 17\n  }\n}\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> JsonFleetDataStore.at(file).load())
        .isInstanceOfSatisfying(
            FleetConfigException.class,
            e -> {
              assertThat(e.source()).contains(file.toString());
              assertThat(e.line()).isEqualTo(3);
              assertThat(e.getMessage()).startsWith(file + ":3:");
            });
    Files.writeString(file, "{\"version\": \"9.9.9\"}");
    assertThatThrownBy(() -> JsonFleetDataStore.at(file).load())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("has version 9.9.9; this library reads only 0.1.0");
  }

  @Test
  void unknownFieldsSurviveALoadAndSave() throws IOException {
    Path file = dir.resolve("fleet.json");
    Files.writeString(
        file,
        "{\"version\":\"0.1.0\",\"futureTopLevel\":{\"keep\":[1,2,3]},"
            + "\"hosts\":{\"a\":{\"encryptionKey\":\"k\",\"futureHostField\":true}}}");
    JsonFleetDataStore store = JsonFleetDataStore.at(file);
    store.save(store.load().withHostKey("b", "kb"));
    String saved = Files.readString(file);
    assertThat(saved)
        .contains("\"futureTopLevel\"")
        .contains("\"futureHostField\"")
        .contains("\"kb\"");
  }
}
