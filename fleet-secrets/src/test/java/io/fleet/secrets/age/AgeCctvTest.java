package io.fleet.secrets.age;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.fleet.secrets.age.internal.AgeFiles;
import io.fleet.secrets.age.internal.Keys;
import io.fleet.testkit.ExternalTools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;

/**
 * Runs every C2SP CCTV age vector that uses X25519 identities or a passphrase (binary and armored)
 * and checks its expected result and the SHA-256 of all plaintext released, through the streaming
 * API.
 */
class AgeCctvTest {
  private static final Map<String, AgeException.Kind> KINDS =
      Map.of(
          "header failure", AgeException.Kind.HEADER_FAILURE,
          "no match", AgeException.Kind.NO_MATCH,
          "HMAC failure", AgeException.Kind.HMAC_FAILURE,
          "payload failure", AgeException.Kind.PAYLOAD_FAILURE,
          "armor failure", AgeException.Kind.ARMOR_FAILURE);

  static final class Vector {
    final String name;
    final Map<String, String> fields = new TreeMap<>();
    final List<String> identities = new ArrayList<>();
    byte[] body;

    Vector(String name) {
      this.name = name;
    }
  }

  static Vector parse(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    Vector v = new Vector(file.getFileName().toString());
    int i = 0;
    while (true) {
      int nl = indexOf(all, (byte) '\n', i);
      String line = new String(all, i, nl - i, StandardCharsets.UTF_8);
      i = nl + 1;
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(": ");
      String key = line.substring(0, colon);
      String value = line.substring(colon + 2);
      if (key.equals("identity")) {
        v.identities.add(value);
      } else {
        v.fields.put(key, value);
      }
    }
    byte[] body = java.util.Arrays.copyOfRange(all, i, all.length);
    if ("zlib".equals(v.fields.get("compressed"))) {
      try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(body))) {
        body = in.readAllBytes();
      }
    }
    v.body = body;
    return v;
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    throw new IllegalStateException("vector header not terminated");
  }

  @Test
  void everyX25519VectorGivesItsExpectedResultAndPayloadHash() throws Exception {
    Path dir = ExternalTools.testData("age-cctv");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.sorted().collect(Collectors.toList());
    }
    assertThat(files).hasSizeGreaterThan(100);
    int ran = 0;
    Map<String, List<String>> skipped = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    for (Path f : files) {
      Vector v = parse(f);
      String reason = skipReason(v);
      if (reason != null) {
        skipped.computeIfAbsent(reason, k -> new ArrayList<>()).add(v.name);
        continue;
      }
      ran++;
      String problem = run(v);
      if (problem != null) {
        failures.add(v.name + ": " + problem);
      }
    }
    int skippedCount = skipped.values().stream().mapToInt(List::size).sum();
    System.out.printf(
        "age CCTV: %d vectors, ran %d, skipped %d%n", files.size(), ran, skippedCount);
    skipped.forEach(
        (why, names) -> System.out.printf("  skipped %d (%s): %s%n", names.size(), why, names));
    assertThat(failures).as("failing CCTV vectors").isEmpty();
    assertThat(ran).isGreaterThanOrEqualTo(120);
  }

  private static String skipReason(Vector v) {
    for (String k : v.fields.keySet()) {
      if (!List.of(
              "expect", "payload", "file key", "passphrase", "armored", "comment", "compressed")
          .contains(k)) {
        return "unknown header key " + k;
      }
    }
    if (v.identities.stream().anyMatch(id -> id.startsWith("AGE-SECRET-KEY-PQ-"))) {
      return "post-quantum hybrid (ML-KEM-768 + X25519) identity: not implemented";
    }
    return null;
  }

  private static InputStream open(InputStream in, List<String> ids, String passphrase)
      throws IOException {
    if (passphrase != null) {
      return AgeFiles.decrypt(in, List.of(Keys.passphraseIdentity(passphrase)));
    }
    return Age.decryptingStream(in, ids);
  }

  private static byte[] decryptBytes(Vector v, List<String> ids, String passphrase) {
    byte[] file = v.body;
    if ("yes".equals(v.fields.get("armored"))) {
      file = Age.dearmor(new String(v.body, StandardCharsets.ISO_8859_1));
    }
    return passphrase != null
        ? Age.decryptWithPassphrase(file, passphrase)
        : Age.decrypt(file, ids);
  }

  /** Null if the vector behaves as expected, else what differed. */
  private static String run(Vector v) throws Exception {
    List<String> ids = new ArrayList<>(v.identities);
    String passphrase = ids.isEmpty() ? v.fields.get("passphrase") : null;
    if (ids.isEmpty() && passphrase == null) {
      // A vector without identities fails before any identity is used; give an unrelated one.
      ids.add(Age.generateIdentity());
    }
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    ByteArrayOutputStream released = new ByteArrayOutputStream();
    AgeException error = null;
    boolean armored = "yes".equals(v.fields.get("armored"));
    try (InputStream in =
        open(
            armored
                ? Age.dearmoringStream(new ByteArrayInputStream(v.body))
                : new ByteArrayInputStream(v.body),
            ids,
            passphrase)) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        released.write(buf, 0, n);
      }
    } catch (AgeException e) {
      error = e;
    } catch (RuntimeException e) {
      return "threw " + e;
    }
    String expect = v.fields.get("expect");
    if (expect.equals("success")) {
      if (error != null) {
        return "expected success, got " + error.kind() + ": " + error.getMessage();
      }
    } else {
      AgeException.Kind kind = KINDS.get(expect);
      if (kind == null) {
        fail("unknown expect " + expect);
      }
      if (error == null) {
        return "expected " + kind + ", but it decrypted";
      }
      if (error.kind() != kind) {
        return "expected " + kind + ", got " + error.kind() + ": " + error.getMessage();
      }
    }
    String payload = v.fields.get("payload");
    if (payload != null) {
      String got = HexFormat.of().formatHex(sha.digest(released.toByteArray()));
      if (!got.equals(payload)) {
        return "released plaintext hash " + got + " != " + payload;
      }
    }
    // The byte[] API agrees and never returns plaintext of a failing file.
    if (expect.equals("success")) {
      byte[] whole = decryptBytes(v, ids, passphrase);
      if (!java.util.Arrays.equals(whole, released.toByteArray())) {
        return "byte[] API differs from the streaming API";
      }
    } else {
      try {
        decryptBytes(v, ids, passphrase);
        return "byte[] API decrypted a failing vector";
      } catch (AgeException e) {
        if (e.kind() != KINDS.get(expect)) {
          return "byte[] API gave " + e.kind();
        }
      }
    }
    return null;
  }
}
