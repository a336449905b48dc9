package io.fleet.secrets.age.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.secrets.age.Age;
import io.fleet.secrets.age.AgeException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A crafted scrypt stanza must not exhaust memory, and a wrong passphrase is called that: both are
 * {@link AgeException}s with a message that says what is wrong.
 */
class ScryptKeysTest {
  /** A passphrase file at a cheap work factor, so the test does not spend age's 2^18. */
  private static byte[] encrypted(String passphrase, int logN) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream enc =
        AgeFiles.encrypt(out, List.of(new ScryptKeys.ScryptRecipient(passphrase, logN)), false)) {
      enc.write("by passphrase".getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  /** The same file with its stanza's work factor replaced (the header MAC is checked later). */
  private static byte[] withWorkFactor(byte[] file, int logN) {
    String text = new String(file, StandardCharsets.ISO_8859_1);
    String changed = text.replaceFirst("(-> scrypt \\S+) 10\n", "$1 " + logN + "\n");
    assertThat(changed).isNotEqualTo(text);
    return changed.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void theRightPassphraseDecrypts() throws Exception {
    assertThat(Age.decryptWithPassphrase(encrypted("right", 10), "right"))
        .isEqualTo("by passphrase".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aWrongPassphraseIsCalledThat() throws Exception {
    byte[] file = encrypted("right", 10);
    assertThatThrownBy(() -> Age.decryptWithPassphrase(file, "wrong"))
        .isInstanceOfSatisfying(
            AgeException.class, e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.NO_MATCH))
        .hasMessageContaining("the passphrase is wrong")
        .hasMessageNotContaining("does not support");
  }

  @Test
  void workFactor22IsRefusedBeforeAnyMemoryIsTaken() throws Exception {
    // 2^22 needs 4 GiB: more than a quarter of any heap this test runs with (below 16 GiB).
    assertThat(ScryptKeys.memoryBytes(22)).isGreaterThan(ScryptKeys.memoryBudget());
    byte[] file = withWorkFactor(encrypted("right", 10), 22);
    long start = System.nanoTime();
    assertThatThrownBy(() -> Age.decryptWithPassphrase(file, "right"))
        .isInstanceOfSatisfying(
            AgeException.class,
            e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.HEADER_FAILURE))
        .hasMessageContaining("scrypt work factor 2^22 needs 4096 MiB")
        .hasMessageContaining("-Xmx");
    assertThat((System.nanoTime() - start) / 1_000_000).as("ms").isLessThan(2_000);
  }

  @Test
  void aWorkFactorAboveAgesLimitIsRefused() throws Exception {
    for (int logN : new int[] {23, 30, 31, 64, 99}) {
      byte[] file = withWorkFactor(encrypted("right", 10), logN);
      assertThatThrownBy(() -> Age.decryptWithPassphrase(file, "right"))
          .isInstanceOfSatisfying(
              AgeException.class,
              e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.HEADER_FAILURE))
          .hasMessageContaining("scrypt work factor too large: 2^" + logN + " is above 2^22");
    }
  }
}
