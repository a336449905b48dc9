package io.fleet.secrets.age;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Interoperability with the real {@code age} CLI, both directions, with X25519 keys from {@code
 * age-keygen} and ssh-ed25519 keys from {@code ssh-keygen}.
 */
class AgeCliInteropTest {
  private static final int[] SIZES = {0, 1, 65535, 65536, 65537, 200000};

  @TempDir static Path dir;
  static Path age;
  static final List<Key> X25519 = new ArrayList<>();
  static final List<Key> SSH = new ArrayList<>();

  /** A key pair: the recipient string, the identity file and its text. */
  record Key(String recipient, Path identityFile, String identityText) {}

  @BeforeAll
  static void keys() throws Exception {
    age = ExternalTools.require("age");
    Path keygen = ExternalTools.require("age-keygen");
    Path sshKeygen = ExternalTools.require("ssh-keygen");
    for (int i = 0; i < 5; i++) {
      Path id = dir.resolve("age-" + i + ".txt");
      run(List.of(keygen.toString(), "-o", id.toString()), null);
      String recipient = run(List.of(keygen.toString(), "-y", id.toString()), null).strip();
      X25519.add(new Key(recipient, id, Files.readString(id)));

      Path ssh = dir.resolve("ssh-" + i);
      run(
          List.of(
              sshKeygen.toString(),
              "-q",
              "-t",
              "ed25519",
              "-N",
              "",
              "-C",
              "host" + i,
              "-f",
              ssh.toString()),
          null);
      String pub = Files.readString(dir.resolve("ssh-" + i + ".pub")).strip();
      SSH.add(new Key(pub, ssh, Files.readString(ssh)));
    }
  }

  static String run(List<String> cmd, Path stdout) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectError(ProcessBuilder.Redirect.PIPE);
    if (stdout != null) {
      pb.redirectOutput(stdout.toFile());
    }
    Process p = pb.start();
    byte[] out = stdout == null ? p.getInputStream().readAllBytes() : new byte[0];
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue())
        .as("%s failed: %s", cmd, new String(err, StandardCharsets.UTF_8))
        .isZero();
    return new String(out, StandardCharsets.UTF_8);
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (int size : SIZES) {
      for (String kind : List.of("x25519", "ssh-ed25519")) {
        for (int n : new int[] {1, 5}) {
          for (boolean armor : new boolean[] {false, true}) {
            all.add(Arguments.of(size, kind, n, armor));
          }
        }
      }
    }
    return all.stream();
  }

  private static List<Key> keys(String kind, int n) {
    return (kind.equals("x25519") ? X25519 : SSH).subList(0, n);
  }

  private static byte[] payload(int size) {
    byte[] b = new byte[size];
    new Random(size * 31L + 7).nextBytes(b);
    return b;
  }

  @ParameterizedTest(name = "ours to age CLI: {0} bytes, {2} {1}, armor={3}")
  @MethodSource("cases")
  void ourFilesOpenWithTheAgeCli(int size, String kind, int n, boolean armor) throws Exception {
    List<Key> keys = keys(kind, n);
    byte[] plain = payload(size);
    List<String> recipients = keys.stream().map(Key::recipient).toList();
    byte[] file = Age.encrypt(plain, recipients, armor);
    Path enc = Files.write(dir.resolve("ours-" + kind + n + size + armor + ".age"), file);
    if (armor) {
      assertThat(new String(file, StandardCharsets.US_ASCII))
          .startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n");
    }
    // Every recipient can open it: check the first and the last.
    for (Key k : List.of(keys.get(0), keys.get(n - 1))) {
      Path out = dir.resolve("ours-plain-" + kind + n + size + armor);
      run(List.of(age.toString(), "-d", "-i", k.identityFile().toString(), enc.toString()), out);
      assertThat(Files.readAllBytes(out)).isEqualTo(plain);
    }
  }

  @ParameterizedTest(name = "age CLI to ours: {0} bytes, {2} {1}, armor={3}")
  @MethodSource("cases")
  void ageCliFilesOpenWithOurs(int size, String kind, int n, boolean armor) throws Exception {
    List<Key> keys = keys(kind, n);
    byte[] plain = payload(size);
    Path in = Files.write(dir.resolve("cli-plain-" + kind + n + size + armor), plain);
    Path enc = dir.resolve("cli-" + kind + n + size + armor + ".age");
    List<String> cmd = new ArrayList<>(List.of(age.toString(), "-e"));
    if (armor) {
      cmd.add("-a");
    }
    for (Key k : keys) {
      cmd.add("-r");
      cmd.add(k.recipient());
    }
    cmd.addAll(List.of("-o", enc.toString(), in.toString()));
    run(cmd, null);
    byte[] file = Files.readAllBytes(enc);
    for (Key k : List.of(keys.get(0), keys.get(n - 1))) {
      assertThat(Age.decrypt(file, List.of(k.identityText()))).isEqualTo(plain);
    }
    // A key that is not a recipient gets NO_MATCH.
    Key other = (kind.equals("x25519") ? SSH : X25519).get(0);
    try {
      Age.decrypt(file, List.of(other.identityText()));
      throw new AssertionError("decrypted with a key that is not a recipient");
    } catch (AgeException e) {
      assertThat(e.kind()).isEqualTo(AgeException.Kind.NO_MATCH);
    }
  }

  @Test
  void manyFilesToTheSameRecipientsOpenWithTheAgeCli() throws Exception {
    // Recipients are parsed once and their per-recipient X25519(tweak, pk) cached: files made
    // from the cache must open with every key, as the first one does.
    List<String> recipients = new ArrayList<>();
    List<Key> all = new ArrayList<>(SSH);
    all.addAll(X25519);
    all.forEach(k -> recipients.add(k.recipient()));
    for (int f = 0; f < 5; f++) {
      byte[] plain = payload(1024 + f);
      Path enc = Files.write(dir.resolve("many-" + f + ".age"), Age.encrypt(plain, recipients));
      for (Key k : all) {
        Path out = dir.resolve("many-plain-" + f);
        run(List.of(age.toString(), "-d", "-i", k.identityFile().toString(), enc.toString()), out);
        assertThat(Files.readAllBytes(out))
            .as("file %d with %s", f, k.recipient())
            .isEqualTo(plain);
      }
    }
  }

  @Test
  void recipientOfMatchesTheTools() {
    for (Key k : X25519) {
      assertThat(Age.recipientOf(k.identityText())).isEqualTo(k.recipient());
    }
    for (Key k : SSH) {
      // ssh-keygen's line carries a comment; ours is the key alone.
      assertThat(k.recipient()).startsWith(Age.recipientOf(k.identityText()) + " ");
    }
  }

  @Test
  void ourGeneratedIdentityWorksWithTheCli() throws Exception {
    String identity = Age.generateIdentity();
    Path id = Files.writeString(dir.resolve("generated.txt"), "# ours\n" + identity + "\n");
    String recipient =
        run(List.of(ExternalTools.require("age-keygen").toString(), "-y", id.toString()), null)
            .strip();
    assertThat(recipient).isEqualTo(Age.recipientOf(identity));
    byte[] file = Age.encrypt("hello".getBytes(StandardCharsets.UTF_8), List.of(recipient));
    Path enc = Files.write(dir.resolve("generated.age"), file);
    Path out = dir.resolve("generated.out");
    run(List.of(age.toString(), "-d", "-i", id.toString(), enc.toString()), out);
    assertThat(Files.readString(out)).isEqualTo("hello");
  }
}
