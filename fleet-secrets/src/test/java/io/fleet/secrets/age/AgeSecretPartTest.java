package io.fleet.secrets.age;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.api.SecretException;
import io.fleet.api.data.SecretPart;
import io.fleet.api.spi.SecretCipher;
import io.fleet.testkit.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** age files inside the fleet data model: the SPI, {@link SecretPart} and the original's files. */
class AgeSecretPartTest {
  private static final Pattern ENCRYPTED =
      Pattern.compile("<ENCRYPTED><BASE64-ENCODED>\\s*\\n(.*?)''", Pattern.DOTALL);

  @Test
  void theSecretCipherSpiFindsAge() {
    SecretCipher cipher = SecretCipher.discover();
    assertThat(cipher).isInstanceOf(AgeSecretCipher.class);
    String identity = Age.generateIdentity();
    byte[] file =
        cipher.encrypt(
            "s3cret".getBytes(StandardCharsets.UTF_8), List.of(Age.recipientOf(identity)));
    assertThat(cipher.decrypt(file, List.of(identity))).asString().isEqualTo("s3cret");
    assertThatThrownBy(() -> cipher.decrypt(file, List.of(Age.generateIdentity())))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("none of the 1 identities");
  }

  @Test
  void anEncryptedPartRoundTripsThroughItsRawString() throws Exception {
    Path keys = ExternalTools.testData("fleet-nix/keys");
    String alphaPub = Files.readString(keys.resolve("alpha.pub")).strip();
    String alphaKey = Files.readString(keys.resolve("alpha"));
    String identity = Age.generateIdentity();
    byte[] plain = "a secret\nwith two lines".getBytes(StandardCharsets.UTF_8);
    SecretPart part =
        SecretPart.encrypted(Age.encrypt(plain, List.of(alphaPub, Age.recipientOf(identity))));
    String raw = part.raw();
    assertThat(raw).startsWith("<ENCRYPTED><BASE64-ENCODED>\n").doesNotContain("a secret");
    for (String line : raw.substring(raw.indexOf('\n') + 1).split("\n")) {
      assertThat(line.length()).isBetween(1, 64);
    }
    SecretPart back = SecretPart.parseRaw(raw);
    assertThat(back).isEqualTo(part);
    assertThat(back.isEncrypted()).isTrue();
    assertThat(Age.decrypt(back.bytes(), List.of(alphaKey))).isEqualTo(plain);
    assertThat(Age.decrypt(back.bytes(), List.of(identity))).isEqualTo(plain);
  }

  @Test
  void theOriginalFleetFilesDecryptWithTheirHostKeys() throws Exception {
    Path dir = ExternalTools.testData("fleet-nix");
    Map<String, String> hostKeys = new TreeMap<>();
    try (var s = Files.list(dir.resolve("keys"))) {
      for (Path p : s.filter(p -> !p.toString().endsWith(".pub")).toList()) {
        hostKeys.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    assertThat(hostKeys).containsKeys("alpha", "beta", "gamma");
    ObjectMapper json = new ObjectMapper();
    int checked = 0;
    try (var s = Files.list(dir)) {
      for (Path nix : s.filter(p -> p.toString().endsWith(".fleet.nix")).sorted().toList()) {
        String name = nix.getFileName().toString().replace(".fleet.nix", "");
        List<String> expected = new ArrayList<>();
        collectExpected(json.readTree(dir.resolve(name + ".expected.json").toFile()), expected);
        List<String> found = new ArrayList<>();
        Matcher m = ENCRYPTED.matcher(Files.readString(nix));
        while (m.find()) {
          byte[] file = Base64.getMimeDecoder().decode(m.group(1).replaceAll("\\s", ""));
          String digest = null;
          TreeSet<String> by = new TreeSet<>();
          for (Map.Entry<String, String> host : hostKeys.entrySet()) {
            try {
              byte[] plain = Age.decrypt(file, List.of(host.getValue()));
              String d = describe(plain.length, sha256(plain));
              assertThat(digest == null || digest.equals(d)).isTrue();
              digest = d;
              by.add(host.getKey());
            } catch (AgeException e) {
              assertThat(e.kind()).isEqualTo(AgeException.Kind.NO_MATCH);
            }
          }
          found.add(digest + " by " + by);
        }
        assertThat(found).as(name).containsExactlyInAnyOrderElementsOf(expected);
        checked += found.size();
      }
    }
    assertThat(checked).isEqualTo(6);
  }

  private static void collectExpected(JsonNode node, List<String> out) {
    if (node.isObject()) {
      if (node.path("encrypted").asBoolean(false)) {
        TreeSet<String> by = new TreeSet<>();
        node.path("decryptableBy").forEach(h -> by.add(h.asText()));
        out.add(describe(node.path("length").asInt(), node.path("sha256").asText()) + " by " + by);
      }
      node.forEach(child -> collectExpected(child, out));
    }
  }

  private static String describe(int length, String sha256) {
    return length + " bytes sha256 " + sha256;
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
