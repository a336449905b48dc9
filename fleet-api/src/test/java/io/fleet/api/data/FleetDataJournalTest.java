package io.fleet.api.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal beside a file store: written by a run, folded in by the next load. */
class FleetDataJournalTest {
  @TempDir Path dir;

  static StoredSecret secret(String marker) {
    return StoredSecret.builder()
        .createdAt(Instant.parse("2026-01-01T00:00:00Z"))
        .putParts(
            "secret",
            SecretPart.encrypted(
                ("age-encryption.org/v1\n" + marker).getBytes(StandardCharsets.UTF_8)))
        .putParts("public", SecretPart.plaintext("pub-" + marker))
        .build();
  }

  JsonFleetDataStore storeWith(FleetData data) {
    JsonFleetDataStore s = JsonFleetDataStore.at(dir.resolve("fleet.json"));
    s.load();
    s.save(data);
    return s;
  }

  static FleetData base() {
    return FleetData.empty()
        .withSharedSecret("old", SharedSecretData.of(List.of("a"), secret("old")))
        .withHostSecret("a", "gone", secret("gone"));
  }

  /** Writes three changes to a journal and leaves it as a killed run would: not folded. */
  FleetDataJournal journalThree(JsonFleetDataStore store) {
    FleetDataJournal j = store.startJournal();
    j.append(
        FleetDataJournal.Change.sharedSecret(
            "db", SharedSecretData.of(List.of("a", "b"), secret("db"))));
    j.append(FleetDataJournal.Change.withoutHostSecret("a", "gone"));
    j.append(FleetDataJournal.Change.hostSecret("b", "token", secret("token")));
    j.close();
    return j;
  }

  @Test
  void aJournalLeftBehindIsFoldedIntoTheFileOnTheNextLoad() throws Exception {
    JsonFleetDataStore store = storeWith(base());
    FleetDataJournal j = journalThree(store);
    assertThat(j.path()).isEqualTo(dir.resolve(".fleet.json.journal"));
    assertThat(j.path()).exists();
    String before = Files.readString(store.path());
    assertThat(before).doesNotContain("token");

    FleetData loaded = JsonFleetDataStore.at(store.path()).load();
    assertThat(loaded.sharedSecret("db").orElseThrow().secret()).isEqualTo(secret("db"));
    assertThat(loaded.sharedSecret("db").orElseThrow().owners()).containsExactly("a", "b");
    assertThat(loaded.hostSecret("a", "gone")).isEmpty();
    assertThat(loaded.hostSecret("b", "token")).contains(secret("token"));
    assertThat(loaded.sharedSecret("old")).isPresent();
    // Folded for good: saved into the file, journal gone, and a plain reader sees the same.
    assertThat(j.path()).doesNotExist();
    assertThat(FleetJsonRead.read(store.path())).isEqualTo(loaded);
  }

  @Test
  void aTornLastRecordIsIgnoredAndTheRecordsBeforeItCount() throws Exception {
    JsonFleetDataStore store = storeWith(base());
    FleetDataJournal j = journalThree(store);
    byte[] all = Files.readAllBytes(j.path());
    // Tear the third record: a crash part way through its write.
    Files.write(j.path(), Arrays.copyOf(all, all.length - 7));
    FleetData loaded = JsonFleetDataStore.at(store.path()).load();
    assertThat(loaded.sharedSecret("db")).isPresent();
    assertThat(loaded.hostSecret("a", "gone")).isEmpty();
    assertThat(loaded.hostSecret("b", "token")).isEmpty();
    assertThat(j.path()).doesNotExist();
  }

  @Test
  void aCorruptOrHalfWrittenHeaderOfTheLastRecordIsIgnored() throws Exception {
    for (String tail : List.of("0000", "000000zz 00000000 {}\n", "00000002 00000000 {}\n")) {
      JsonFleetDataStore store = storeWith(base());
      FleetDataJournal j = journalThree(store);
      Files.write(j.path(), tail.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
      FleetData loaded = JsonFleetDataStore.at(store.path()).load();
      assertThat(loaded.hostSecret("b", "token")).as(tail).contains(secret("token"));
      Files.delete(store.path());
    }
  }

  @Test
  void aJournalWhoseChangesAreAlreadyInTheFileIsDropped() throws Exception {
    JsonFleetDataStore store = storeWith(base());
    FleetDataJournal j = journalThree(store);
    // A crash after the fold's save and before the journal's deletion.
    byte[] journal = Files.readAllBytes(j.path());
    JsonFleetDataStore.at(store.path()).load();
    Files.write(j.path(), journal);
    String folded = Files.readString(store.path());
    FleetData again = JsonFleetDataStore.at(store.path()).load();
    assertThat(again.hostSecret("b", "token")).isPresent();
    assertThat(Files.readString(store.path())).isEqualTo(folded);
    assertThat(j.path()).doesNotExist();
  }

  @Test
  void aJournalForAnotherVersionOfTheFileIsRefusedNotMisapplied() throws Exception {
    JsonFleetDataStore store = storeWith(base());
    FleetDataJournal j = store.startJournal();
    j.append(FleetDataJournal.Change.hostSecret("b", "token", secret("token")));
    j.close();
    // The file is replaced (a git checkout) while the journal is left behind.
    Files.writeString(
        store.path(),
        io.fleet.api.FleetJson.toJson(FleetData.empty().withHostSecret("c", "x", secret("x"))));
    assertThatThrownBy(() -> JsonFleetDataStore.at(store.path()).load())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining(".fleet.json.journal")
        .hasMessageContaining("another version of fleet.json")
        .hasMessageContaining("delete the journal");
    assertThat(j.path()).exists();
  }

  @Test
  void aJournalInUseIsNotFoldedByAnotherStoresLoad() {
    JsonFleetDataStore store = storeWith(base());
    FleetDataJournal j = store.startJournal();
    try {
      j.append(FleetDataJournal.Change.hostSecret("b", "token", secret("token")));
      FleetData seen = JsonFleetDataStore.at(store.path()).load();
      assertThat(seen.hostSecret("b", "token")).isEmpty();
      assertThat(j.path()).exists();
    } finally {
      j.close();
    }
    assertThat(JsonFleetDataStore.at(store.path()).load().hostSecret("b", "token")).isPresent();
  }

  @Test
  void theJournalHoldsTheStoredFormNotPlaintextAndIsPrivate() throws Exception {
    JsonFleetDataStore store = storeWith(base());
    FleetDataJournal j = journalThree(store);
    String text = Files.readString(j.path());
    assertThat(text).contains("<ENCRYPTED><BASE64-ENCODED>");
    assertThat(Files.getPosixFilePermissions(j.path()))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void aJournalNeedsALoadedStore() {
    assertThatThrownBy(() -> JsonFleetDataStore.at(dir.resolve("x.json")).startJournal())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("load()");
  }

  /** Reads the file without the store (so without folding). */
  static final class FleetJsonRead {
    static FleetData read(Path p) throws Exception {
      return io.fleet.api.FleetJson.fromJson(Files.readString(p), FleetData.class);
    }
  }
}
