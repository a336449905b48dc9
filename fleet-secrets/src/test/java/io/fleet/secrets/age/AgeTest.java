package io.fleet.secrets.age;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.testkit.ExternalTools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour a user relies on: key handling, messages, streaming, armor. */
class AgeTest {
  @TempDir Path dir;

  @Test
  void anEncryptedOpenSshKeyIsRefusedWithAClearMessage() throws Exception {
    Path sshKeygen = ExternalTools.require("ssh-keygen");
    Path key = dir.resolve("enc");
    Process p =
        new ProcessBuilder(
                sshKeygen.toString(),
                "-q",
                "-t",
                "ed25519",
                "-N",
                "passphrase",
                "-f",
                key.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    String pub = Files.readString(dir.resolve("enc.pub")).strip();
    byte[] file = Age.encrypt(new byte[] {1, 2, 3}, List.of(pub));
    assertThatThrownBy(() -> Age.decrypt(file, List.of(Files.readString(key))))
        .isInstanceOfSatisfying(
            AgeException.class, e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.INVALID_KEY))
        .hasMessageContaining("encrypted with a passphrase")
        .hasMessageContaining("ssh-keygen -p");
  }

  @Test
  void aPassphraseRoundTripsAndAWrongOneIsNoMatch() {
    byte[] plain = "by passphrase".getBytes(StandardCharsets.UTF_8);
    byte[] file = Age.encryptWithPassphrase(plain, "correct horse");
    assertThat(new String(file, StandardCharsets.ISO_8859_1)).contains("\n-> scrypt ");
    assertThat(Age.decryptWithPassphrase(file, "correct horse")).isEqualTo(plain);
    // A wrong passphrase (NO_MATCH) is covered by the CCTV vector scrypt_no_match (cheaper).
    assertThatThrownBy(() -> Age.decrypt(file, List.of(Age.generateIdentity())))
        .isInstanceOfSatisfying(
            AgeException.class, e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.NO_MATCH))
        .hasMessageContaining("passphrase");
  }

  @Test
  void anIdentityFileWithCommentsAndSeveralKeysIsAccepted() {
    String a = Age.generateIdentity();
    String b = Age.generateIdentity();
    String file =
        "# created: 2026-01-01T00:00:00Z\n# public key: "
            + Age.recipientOf(a)
            + "\n"
            + a
            + "\n\n# second\n"
            + b
            + "\n";
    byte[] enc = Age.encrypt("x".getBytes(StandardCharsets.UTF_8), List.of(Age.recipientOf(b)));
    assertThat(Age.decrypt(enc, List.of(file))).asString().isEqualTo("x");
  }

  @Test
  void badKeysGiveTypedErrorsThatNameTheProblemWithoutLeakingSecrets() {
    String secret = Age.generateIdentity();
    assertThatThrownBy(() -> Age.encrypt(new byte[0], List.of(secret)))
        .isInstanceOf(AgeException.class)
        .hasMessageContaining("secret key, not a recipient")
        .hasMessageNotContaining(secret.substring(16));
    assertThatThrownBy(() -> Age.encrypt(new byte[0], List.of("ssh-rsa AAAAB3NzaC1yc2E= me")))
        .isInstanceOf(AgeException.class)
        .hasMessageContaining("ssh-ed25519");
    assertThatThrownBy(() -> Age.encrypt(new byte[0], List.of()))
        .isInstanceOf(AgeException.class)
        .hasMessageContaining("no recipients");
    String mangled = secret.substring(0, secret.length() - 1) + (secret.endsWith("Q") ? "P" : "Q");
    assertThatThrownBy(() -> Age.decrypt(new byte[0], List.of(mangled)))
        .isInstanceOf(AgeException.class)
        .hasMessageContaining("identity #1")
        .hasMessageNotContaining(mangled.substring(16));
    assertThatThrownBy(
            () -> Age.decrypt(new byte[0], List.of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFb6")))
        .isInstanceOf(AgeException.class)
        .hasMessageContaining("public key");
    assertThatThrownBy(() -> Age.decrypt(null, List.of(secret))).isInstanceOf(AgeException.class);
    byte[] file = Age.encrypt(new byte[1], List.of(Age.recipientOf(secret)));
    assertThatThrownBy(() -> Age.decrypt(file, null)).isInstanceOf(AgeException.class);
    assertThatThrownBy(() -> Age.decrypt(file, java.util.Arrays.asList((String) null)))
        .isInstanceOf(AgeException.class);
    assertThatThrownBy(() -> Age.encrypt(new byte[1], java.util.Arrays.asList((String) null)))
        .isInstanceOf(AgeException.class);
    assertThatThrownBy(() -> Age.recipientOf(null)).isInstanceOf(AgeException.class);
    assertThatThrownBy(() -> Age.armor(null)).isInstanceOf(AgeException.class);
    assertThatThrownBy(() -> Age.dearmor(null)).isInstanceOf(AgeException.class);
    assertThatThrownBy(() -> Age.encrypt(null, List.of(Age.recipientOf(secret))))
        .isInstanceOf(AgeException.class);
  }

  @Test
  void aMacFailureAndANoMatchAreTold() {
    String id = Age.generateIdentity();
    byte[] file = Age.encrypt(new byte[10], List.of(Age.recipientOf(id)));
    assertThatThrownBy(() -> Age.decrypt(file, List.of(Age.generateIdentity())))
        .isInstanceOfSatisfying(
            AgeException.class, e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.NO_MATCH));
    // Change a character of the stanza type of a second, unrelated stanza: only the MAC notices.
    String other = Age.recipientOf(Age.generateIdentity());
    byte[] two = Age.encrypt(new byte[10], List.of(Age.recipientOf(id), other));
    String text = new String(two, StandardCharsets.ISO_8859_1);
    int second = text.indexOf("-> X25519 ", text.indexOf("-> X25519 ") + 1);
    byte[] altered = two.clone();
    altered[second + 4] = 'Y'; // "-> XY5519": an unknown stanza type to our identity
    assertThatThrownBy(() -> Age.decrypt(altered, List.of(id)))
        .isInstanceOfSatisfying(
            AgeException.class,
            e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.HMAC_FAILURE));
  }

  @Test
  void armorIsDetectedAndStrict() {
    String id = Age.generateIdentity();
    byte[] file = Age.encrypt(new byte[100], List.of(Age.recipientOf(id)));
    String armored = Age.armor(file);
    assertThat(armored)
        .startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n")
        .endsWith("-----END AGE ENCRYPTED FILE-----\n");
    assertThat(Age.dearmor(armored)).isEqualTo(file);
    assertThat(Age.decrypt(armored.getBytes(StandardCharsets.US_ASCII), List.of(id)))
        .isEqualTo(new byte[100]);
    assertThatThrownBy(() -> Age.dearmor(armored.replace("-----END", "-----FIN")))
        .isInstanceOfSatisfying(
            AgeException.class,
            e -> assertThat(e.kind()).isEqualTo(AgeException.Kind.ARMOR_FAILURE));
  }

  /** More than 1 GiB through the streaming APIs, encrypting into a pipe read by the decryptor. */
  @Test
  void payloadsOverOneGibStreamThroughInConstantMemory() throws Exception {
    String id = Age.generateIdentity();
    long size = (1L << 30) + 17;
    PipedInputStream pipeIn = new PipedInputStream(1 << 20);
    PipedOutputStream pipeOut = new PipedOutputStream(pipeIn);
    CompletableFuture<byte[]> sent =
        CompletableFuture.supplyAsync(
            () -> {
              try (OutputStream enc =
                  Age.encryptingStream(pipeOut, List.of(Age.recipientOf(id)), false)) {
                return writePattern(enc, size);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    MessageDigest got = MessageDigest.getInstance("SHA-256");
    long n = 0;
    try (InputStream dec = Age.decryptingStream(pipeIn, List.of(id))) {
      byte[] buf = new byte[1 << 16];
      int k;
      while ((k = dec.read(buf)) >= 0) {
        got.update(buf, 0, k);
        n += k;
      }
    }
    assertThat(n).isEqualTo(size);
    assertThat(got.digest()).isEqualTo(sent.get(5, TimeUnit.MINUTES));
  }

  private static byte[] writePattern(OutputStream out, long size) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[100_003]; // not a multiple of the chunk size
    long seed = 1;
    for (long left = size; left > 0; ) {
      for (int i = 0; i < buf.length; i += 8) {
        seed = seed * 6364136223846793005L + 1442695040888963407L;
        for (int j = 0; j < 8 && i + j < buf.length; j++) {
          buf[i + j] = (byte) (seed >>> (8 * j));
        }
      }
      int k = (int) Math.min(buf.length, left);
      out.write(buf, 0, k);
      sha.update(buf, 0, k);
      left -= k;
    }
    return sha.digest();
  }

  @Test
  void streamingAndByteArrayApisProduceCompatibleFiles() throws IOException {
    String id = Age.generateIdentity();
    byte[] plain = new byte[200_000];
    new java.util.Random(1).nextBytes(plain);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Age.encrypt(new ByteArrayInputStream(plain), out, List.of(Age.recipientOf(id)), true);
    assertThat(Age.decrypt(out.toByteArray(), List.of(id))).isEqualTo(plain);
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    Age.decrypt(
        new ByteArrayInputStream(Age.encrypt(plain, List.of(Age.recipientOf(id)))),
        back,
        List.of(id));
    assertThat(back.toByteArray()).isEqualTo(plain);
  }
}
