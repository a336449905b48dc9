package io.fleet.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.spi.SecretCipher;
import io.fleet.testkit.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "No plaintext on disk" for the files that exist only during a rotation: the generator's temporary
 * directory on the host (a {@code TMPDIR} the test watches) and the library's own temporary files
 * (the lock file beside the data file), watched while the rotation runs.
 */
class TransientPlaintextTest {
  final PlanFixtures f = new PlanFixtures("a", "b");
  final SecretCipher cipher = SecretCipher.discover();

  @TempDir Path dir;

  private JsonFleetDataStore store(Path data) {
    JsonFleetDataStore store = JsonFleetDataStore.at(data.resolve("fleet.json"));
    store.load();
    store.save(f.dataWithKeys());
    return store;
  }

  private void rotate(Fleet fleet, JsonFleetDataStore store, Path tmp) {
    SecretRotation.builder()
        .fleet(fleet)
        .store(store)
        .cipher(cipher)
        .localConnection(new ProcessConnection("local", Map.of("TMPDIR", tmp.toString())))
        .build()
        .run();
  }

  @Test
  void theWatchCatchesAPlaintextThatOnlyLivesDuringTheRun() throws Exception {
    ExternalTools.require("age");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path data = Files.createDirectories(dir.resolve("data"));
    JsonFleetDataStore store = store(data);
    // A careless script: a scratch copy of the plaintext in $TMPDIR, removed before it ends.
    String script =
        "t=$(mktemp)\n"
            + "printf 'CANARY-%s' plaintext > \"$t\"\n"
            + "sleep 0.3\n"
            + "encrypt < \"$t\" > $out/secret\n"
            + "rm -f \"$t\"\n";
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> h.secret("careless", s -> s.generator(Generators.script(script))))
            .host("b", h -> {})
            .build();
    try (TransientFiles watch = new TransientFiles(tmp)) {
      rotate(fleet, store, tmp);
      try (Stream<Path> left = Files.walk(tmp)) {
        assertThat(left.filter(Files::isRegularFile)).as("nothing survives the run").isEmpty();
      }
      assertThat(watch.holding("CANARY-plaintext".getBytes(StandardCharsets.UTF_8)))
          .as("the watch sees a file that existed only during the run")
          .isNotEmpty();
    }
  }

  @Test
  void noFileWrittenDuringARotationEverHoldsAPlaintext() throws Exception {
    ExternalTools.require("age");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path data = Files.createDirectories(dir.resolve("data"));
    JsonFleetDataStore store = store(data);
    String script =
        "head -c 32 /dev/urandom | base64 | tr -d '\\n' | encrypt > $out/secret\n"
            + "printf 'a public part' > $out/public\n"
            + "echo 'progress on stdout'\n";
    Fleet fleet =
        Fleet.builder()
            .host(
                "a",
                h ->
                    h.secret("impure", s -> s.generator(Generators.script(script)))
                        .secret("wg", s -> s.generator(Generators.wireguard())))
            .host("b", h -> h.secret("token", s -> s.generator(Generators.randomBytes(48))))
            .sharedSecret("db", s -> s.expectedOwners("a", "b").generator(Generators.password(40)))
            .build()
            .validate();
    List<TransientFiles.Seen> seen;
    List<byte[]> plaintexts;
    try (TransientFiles tmpWatch = new TransientFiles(tmp);
        TransientFiles dataWatch = new TransientFiles(data)) {
      rotate(fleet, store, tmp);
      FleetData stored = store.load();
      plaintexts = plaintexts(stored);
      assertThat(plaintexts).hasSize(4);
      seen = new ArrayList<>(tmpWatch.seen());
      seen.addAll(dataWatch.seen());
      // The watch saw the generator's $out and the library's own transient files (the rotation
      // journal, which lives for the whole run, and the save's lock file, which lives for
      // milliseconds and may be renamed before a rescan), so the check can fail.
      assertThat(seen)
          .extracting(s -> s.path().getFileName().toString())
          .contains("secret", "public", ".fleet.json.journal");
      for (byte[] secret : plaintexts) {
        byte[] base64 = Base64.getEncoder().encode(secret);
        for (TransientFiles watch : List.of(tmpWatch, dataWatch)) {
          assertThat(watch.holding(secret)).as("files that held a plaintext").isEmpty();
          assertThat(watch.holding(java.util.Arrays.copyOf(base64, 24)))
              .as("files that held a plaintext in base64")
              .isEmpty();
        }
      }
    }
  }

  /** Every private part's plaintext, decrypted with its owners' keys. */
  private List<byte[]> plaintexts(FleetData d) {
    return f.plaintexts(d, cipher);
  }
}
