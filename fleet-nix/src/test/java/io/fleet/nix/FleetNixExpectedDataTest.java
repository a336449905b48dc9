package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.api.SecretException;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.secrets.age.Age;
import io.fleet.testkit.ExternalTools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file in {@code testdata/fleet-nix/} loads, and what it holds equals its {@code
 * .expected.json}: hosts and keys, owners, timestamps, generation data, each part's encoding and
 * plaintext; encrypted parts are age files whose recipients are exactly the listed hosts, whose
 * payload has the expected length, and which both this library's {@link Age} and the real {@code
 * age} CLI decrypt with the listed hosts' keys (to the expected SHA-256) and with no other host's
 * key.
 */
class FleetNixExpectedDataTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DATA = ExternalTools.testData("fleet-nix");

  @TempDir Path dir;

  static Stream<String> names() throws IOException {
    try (Stream<Path> s = Files.list(DATA)) {
      List<String> names =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".fleet.nix"))
              .map(n -> n.substring(0, n.length() - ".fleet.nix".length()))
              .sorted()
              .toList();
      assertThat(names).contains("empty", "host-secrets", "shared-secrets");
      return names.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("names")
  void loadsWhatTheExpectedJsonSays(String name) throws Exception {
    Path file = dir.resolve("fleet.nix");
    Files.copy(DATA.resolve(name + ".fleet.nix"), file);
    FleetData data = FleetNixFile.at(file).load();
    JsonNode expected = JSON.readTree(DATA.resolve(name + ".expected.json").toFile());

    assertThat(data.version()).isEqualTo(expected.get("version").asText());
    assertThat(data.gcRootPrefix()).contains(expected.get("gcRootPrefix").asText());

    Map<String, String> hosts = new java.util.TreeMap<>();
    data.hosts().forEach((h, d) -> hosts.put(h, d.encryptionKey().orElse(null)));
    Map<String, String> expectedHosts = new java.util.TreeMap<>();
    expected
        .get("hosts")
        .properties()
        .forEach(e -> expectedHosts.put(e.getKey(), e.getValue().asText()));
    assertThat(hosts).isEqualTo(expectedHosts);

    Set<String> unknown = new TreeSet<>();
    if (expected.has("unknownFields")) {
      expected.get("unknownFields").forEach(n -> unknown.add(n.asText()));
    }
    assertThat(data.extraFields().keySet()).isEqualTo(unknown);

    JsonNode shared = expected.get("sharedSecrets");
    assertThat(data.sharedSecrets().keySet()).isEqualTo(names(shared));
    for (Map.Entry<String, SharedSecretData> s : data.sharedSecrets().entrySet()) {
      JsonNode exp = shared.get(s.getKey());
      // In the file's order: the original stores a list.
      List<String> owners = new ArrayList<>();
      exp.get("owners").forEach(n -> owners.add(n.asText()));
      assertThat(s.getValue().owners()).containsExactlyElementsOf(owners);
      checkSecret(data, s.getKey(), s.getValue().secret(), exp);
    }

    JsonNode hostSecrets = expected.get("hostSecrets");
    assertThat(data.hostSecrets().keySet()).isEqualTo(names(hostSecrets));
    for (Map.Entry<String, Map<String, StoredSecret>> h : data.hostSecrets().entrySet()) {
      JsonNode expHost = hostSecrets.get(h.getKey());
      assertThat(h.getValue().keySet()).isEqualTo(names(expHost));
      for (Map.Entry<String, StoredSecret> s : h.getValue().entrySet()) {
        checkSecret(data, h.getKey() + "/" + s.getKey(), s.getValue(), expHost.get(s.getKey()));
      }
    }
  }

  private void checkSecret(FleetData data, String what, StoredSecret secret, JsonNode exp)
      throws Exception {
    assertThat(secret.createdAt()).as(what).isEqualTo(Instant.parse(exp.get("createdAt").asText()));
    if (exp.has("expiresAt")) {
      assertThat(secret.expiresAt())
          .as(what)
          .contains(Instant.parse(exp.get("expiresAt").asText()));
    } else {
      assertThat(secret.expiresAt()).as(what).isEmpty();
    }
    if (exp.has("generationData")) {
      assertThat(secret.generationData()).as(what).contains(exp.get("generationData"));
    } else {
      assertThat(secret.generationData()).as(what).isEmpty();
    }
    JsonNode parts = exp.get("parts");
    assertThat(secret.parts().keySet()).as(what).isEqualTo(names(parts));
    for (Map.Entry<String, SecretPart> p : secret.parts().entrySet()) {
      JsonNode ep = parts.get(p.getKey());
      SecretPart part = p.getValue();
      String partName = what + "." + p.getKey();
      assertThat(part.isEncrypted()).as(partName).isEqualTo(ep.get("encrypted").asBoolean());
      if (!part.isEncrypted()) {
        assertThat(part.text()).as(partName).isEqualTo(ep.get("text").asText());
        continue;
      }
      Set<String> decryptableBy = texts(ep.get("decryptableBy"));
      int length = ep.get("length").asInt();
      String sha256 = ep.get("sha256").asText();
      byte[] age = part.bytes();
      checkAgeFile(data, partName, age, decryptableBy, length);
      checkLibraryDecryption(partName, age, decryptableBy, length, sha256);
      checkDecryption(partName, age, decryptableBy, length, sha256);
    }
  }

  /** The recipients and payload size, read from the age file itself (no decryption). */
  private static void checkAgeFile(
      FleetData data, String what, byte[] age, Set<String> decryptableBy, int length)
      throws Exception {
    String text = new String(age, StandardCharsets.ISO_8859_1);
    assertThat(text).as(what).startsWith("age-encryption.org/v1\n");
    int mac = text.indexOf("\n--- ");
    assertThat(mac).as(what).isPositive();
    int payload = text.indexOf('\n', mac + 1) + 1;
    List<String> tags = new ArrayList<>();
    for (String line : text.substring(0, mac).split("\n")) {
      if (line.startsWith("-> ssh-ed25519 ")) {
        tags.add(line.split(" ")[2]);
      }
    }
    Set<String> expectedTags = new HashSet<>();
    for (String host : decryptableBy) {
      String key = data.hostKey(host).orElseThrow();
      assertThat(Files.readString(DATA.resolve("keys/" + host + ".pub")).strip())
          .isEqualTo(key.strip());
      byte[] wire = Base64.getDecoder().decode(key.split(" ")[1]);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(wire);
      expectedTags.add(
          Base64.getEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 4)));
    }
    assertThat(tags).as(what + " recipients").hasSize(decryptableBy.size());
    assertThat(new HashSet<>(tags)).as(what + " recipients").isEqualTo(expectedTags);
    // One STREAM chunk: a 16-byte nonce, then the plaintext and a 16-byte tag.
    assertThat(age.length - payload).as(what + " payload").isEqualTo(16 + length + 16);
  }

  /** Decrypts with this library's {@link Age}: the listed hosts can, the others cannot. */
  private static void checkLibraryDecryption(
      String what, byte[] age, Set<String> decryptableBy, int length, String sha256)
      throws Exception {
    for (String host : List.of("alpha", "beta", "gamma")) {
      List<String> identity = List.of(Files.readString(DATA.resolve("keys/" + host)));
      if (decryptableBy.contains(host)) {
        byte[] plain = Age.decrypt(age, identity);
        assertThat(plain).as(what + " decrypted with " + host).hasSize(length);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(plain)))
            .as(what)
            .isEqualTo(sha256);
      } else {
        assertThatThrownBy(() -> Age.decrypt(age, identity))
            .as(what + " must not decrypt with " + host)
            .isInstanceOf(SecretException.class);
      }
    }
  }

  /** Decrypts with the real age CLI: the listed hosts can, the others cannot. */
  private void checkDecryption(
      String what, byte[] age, Set<String> decryptableBy, int length, String sha256)
      throws Exception {
    Path ageCli = ExternalTools.require("age");
    for (String host : List.of("alpha", "beta", "gamma")) {
      Path key = dir.resolve(host + ".key");
      if (!Files.exists(key)) {
        Files.copy(DATA.resolve("keys/" + host), key);
      }
      Process p =
          new ProcessBuilder(ageCli.toString(), "-d", "-i", key.toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(age);
      }
      byte[] plain;
      try (InputStream out = p.getInputStream()) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        out.transferTo(buf);
        plain = buf.toByteArray();
      }
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      if (decryptableBy.contains(host)) {
        assertThat(p.exitValue()).as(what + " decrypts with " + host).isZero();
        assertThat(plain).as(what).hasSize(length);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(plain)))
            .as(what)
            .isEqualTo(sha256);
      } else {
        assertThat(p.exitValue()).as(what + " must not decrypt with " + host).isNotZero();
      }
    }
  }

  private static Set<String> names(JsonNode object) {
    Set<String> s = new TreeSet<>();
    object.fieldNames().forEachRemaining(s::add);
    return s;
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> s = new TreeSet<>();
    array.forEach(n -> s.add(n.asText()));
    return s;
  }
}
