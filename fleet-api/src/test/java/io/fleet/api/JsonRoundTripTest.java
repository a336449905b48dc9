package io.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.HostData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.StorePathInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonRoundTripTest {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String SECRET = "hunter2-very-secret";

  private static <T> T roundTrip(T value, Class<T> type) {
    String json = FleetJson.toJson(value);
    T back = FleetJson.fromJson(json, type);
    assertThat(back).as(json).isEqualTo(value);
    assertThat(back.hashCode()).isEqualTo(value.hashCode());
    assertThat(FleetJson.toJson(back)).isEqualTo(json);
    return back;
  }

  static Fleet richFleet() {
    ObjectNode nixos = JSON.objectNode();
    nixos.putArray("imports").add("lanzaboote");
    nixos.put("gpus", 4L);
    return Fleet.builder()
        .name("prod")
        .setting("nixos", nixos)
        .host(
            "cp-1",
            h ->
                h.system("x86_64-linux")
                    .tags("cp", "k8s")
                    .target(
                        DeployTarget.builder()
                            .user("deploy")
                            .address("fe80::1")
                            .port(2222)
                            .jumpHost(DeployTarget.parse("bastion.example:22"))
                            .build())
                    .systemAttribute("fleetConfigurations.default.hosts.cp-1")
                    .systemPath("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system")
                    .secret(
                        "gitlab",
                        s ->
                            s.generator(Generators.password(24))
                                .fileOwner("gitlab")
                                .fileGroup("gitlab")
                                .fileMode("0440")))
        .host("worker-1", h -> h.system("aarch64-linux"))
        .sharedSecret(
            "ca.pem",
            s ->
                s.expectedOwners("cp-1", "worker-1")
                    .regenerateOnOwnerAdded(false)
                    .generator(Generators.x509Ca("ca", Duration.ofDays(365))))
        .sharedSecret(
            "api.pem",
            s ->
                s.expectedOwners("cp-1")
                    .regenerateOnOwnerRemoved(true)
                    .dependsOn("ca.pem")
                    .renewBefore(Duration.ofDays(30))
                    .expectedGenerationData(JSON.objectNode().put("serial", 7L))
                    .generator(
                        Generators.x509Leaf(
                            "ca.pem", "api", List.of("cp-1", "10.0.0.1"), Duration.ofDays(90))))
        .module(f -> f.host("worker-1", h -> h.tags("from-module")))
        .build();
  }

  @Test
  void fleet() {
    Fleet fleet = richFleet();
    Fleet back = roundTrip(fleet, Fleet.class);
    assertThat(back.validate().modules()).hasSize(1);
    assertThat(back.host("cp-1").target().orElseThrow().jumpHost()).isPresent();
  }

  @Test
  void emptyFleet() {
    roundTrip(Fleet.builder().build(), Fleet.class);
  }

  @Test
  void valueTypes() {
    Fleet fleet = richFleet();
    roundTrip(fleet.host("cp-1"), Host.class);
    roundTrip(fleet.host("worker-1"), Host.class);
    roundTrip(fleet.sharedSecret("api.pem").orElseThrow(), SecretSpec.class);
    roundTrip(fleet.host("cp-1").target().orElseThrow(), DeployTarget.class);
    roundTrip(
        Generators.x509Leaf("ca", "cn", List.of("a"), Duration.ofDays(1)), GeneratorSpec.class);
    roundTrip(Generators.script("echo hi > $out/public").onHost("cp-1"), GeneratorSpec.class);
    roundTrip(
        Generators.custom(
            "mine", Map.of("n", JSON.numberNode(3L), "big", JSON.numberNode(1L << 40))),
        GeneratorSpec.class);
    roundTrip(
        StorePathInfo.builder()
            .path("/nix/store/aaaa-x")
            .narSize(1234)
            .addReferences("/nix/store/aaaa-x", "/nix/store/bbbb-y")
            .build(),
        StorePathInfo.class);
  }

  @Test
  void hostJsonAlwaysHasTheAllTag() {
    Host h = FleetJson.fromJson("{\"name\":\"x\",\"tags\":[\"web\"]}", Host.class);
    assertThat(h.tags()).containsExactly("all", "web");
  }

  static StoredSecret storedSecret() {
    return StoredSecret.builder()
        .createdAt(Instant.parse("2026-10-02T05:35:03.162455407Z"))
        .expiresAt(Instant.parse("2027-11-01T12:00:00Z"))
        .generationData(
            JSON.objectNode()
                .put("serial", 7L)
                .put("ca", true)
                .putNull("note")
                .set("sans", JSON.arrayNode().add("a")))
        .putParts(
            "secret",
            SecretPart.encrypted(
                ("age-encryption.org/v1\n" + SECRET).getBytes(StandardCharsets.UTF_8)))
        .putParts(
            "public",
            SecretPart.plaintext("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
        .putParts("id", SecretPart.plaintext("wg-pub"))
        .putParts("bin", SecretPart.plaintext(new byte[] {0, 1, 2, (byte) 0xff}))
        .putExtraFields("futureField", JSON.objectNode().put("x", 1))
        .build();
  }

  static FleetData fleetData() {
    return FleetData.builder()
        .gcRootPrefix("fleet-gc-Zz9Yy8Xx")
        .addManagerKeys(JSON.textNode("age1manager"))
        .putHosts(
            "alpha",
            HostData.builder()
                .encryptionKey("ssh-ed25519 AAAAC3Nz root@alpha")
                .putExtraFields("note", JSON.textNode("kept"))
                .build())
        .putHosts("beta", HostData.withKey("ssh-ed25519 AAAAC3Nz root@beta"))
        .putSharedSecrets("ca.pem", SharedSecretData.of(List.of("alpha", "beta"), storedSecret()))
        .putHostSecrets("alpha", Map.of("token", storedSecret()))
        .putExtraFields("extraUnknownField", JSON.objectNode().put("me", "please"))
        .build();
  }

  @Test
  void fleetDataWithEveryField() {
    FleetData data = fleetData();
    FleetData back = roundTrip(data, FleetData.class);
    assertThat(back.extraFields()).containsKey("extraUnknownField");
    assertThat(back.hosts().get("alpha").extraFields()).containsKey("note");
    assertThat(back.hostSecret("alpha", "token").orElseThrow().extraFields())
        .containsKey("futureField");
    roundTrip(storedSecret(), StoredSecret.class);
    roundTrip(data.hosts().get("alpha"), HostData.class);
    roundTrip(data.sharedSecrets().get("ca.pem"), SharedSecretData.class);
  }

  @Test
  void unknownFieldsSitBesideTheKnownOnesInJson() throws Exception {
    String json = FleetJson.toJson(fleetData());
    JsonNode tree = FleetJson.mapper().readTree(json);
    assertThat(tree.get("extraUnknownField").get("me").asText()).isEqualTo("please");
    assertThat(tree.has("extraFields")).isFalse();
    assertThat(tree.get("hosts").get("alpha").get("note").asText()).isEqualTo("kept");
    assertThat(
            tree.get("hostSecrets").get("alpha").get("token").get("futureField").get("x").asInt())
        .isEqualTo(1);

    FleetData read =
        FleetJson.fromJson(
            "{\"version\":\"0.1.0\",\"newTopLevel\":[1,2,3],\"hosts\":{\"a\":{\"encryptionKey\":\"k\",\"weight\":3}}}",
            FleetData.class);
    assertThat(read.extraFields()).containsOnlyKeys("newTopLevel");
    assertThat(read.hosts().get("a").extraFields()).containsOnlyKeys("weight");
    assertThat(FleetJson.toJson(read)).contains("\"newTopLevel\"").contains("\"weight\"");
  }

  @Test
  void secretPartsAreTheirRawStrings() throws Exception {
    JsonNode parts = FleetJson.mapper().readTree(FleetJson.toJson(storedSecret())).get("parts");
    assertThat(parts.get("id").asText()).isEqualTo("<PLAINTEXT>wg-pub");
    assertThat(parts.get("public").asText())
        .isEqualTo(
            "<PLAINTEXT-NL>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    assertThat(parts.get("bin").asText()).isEqualTo("<BASE64-ENCODED>\nAAEC/w\n");
    assertThat(parts.get("secret").asText()).startsWith("<ENCRYPTED><BASE64-ENCODED>\nYWdl");
  }

  @Test
  void numbersCompareEqualHoweverTheyWereMade() {
    // 7L and a parsed 7 are different JsonNode classes; the model makes them equal.
    StoredSecret a =
        StoredSecret.builder().createdAt(Instant.EPOCH).generationData(JSON.numberNode(7L)).build();
    StoredSecret b =
        StoredSecret.builder().createdAt(Instant.EPOCH).generationData(JSON.numberNode(7)).build();
    assertThat(a).isEqualTo(b);
    assertThat(Generators.randomBytes(3))
        .isEqualTo(
            Generators.custom(Generators.RANDOM_BYTES, Map.of("length", JSON.numberNode(3L))));
  }

  @Test
  void fleetDataReplacingEntriesWorks() {
    FleetData data = fleetData();
    FleetData changed =
        data.withHostKey("alpha", "ssh-ed25519 NEW root@alpha")
            .withSharedSecret("ca.pem", SharedSecretData.of(List.of("alpha"), storedSecret()))
            .withHostSecret("alpha", "token", storedSecret())
            .withHostSecret("alpha", "second", storedSecret());
    assertThat(changed.hostKey("alpha")).contains("ssh-ed25519 NEW root@alpha");
    assertThat(changed.hosts().get("alpha").extraFields()).containsKey("note");
    assertThat(changed.sharedSecret("ca.pem").orElseThrow().owners()).containsExactly("alpha");
    assertThat(changed.hostSecrets().get("alpha")).containsOnlyKeys("second", "token");
    FleetData removed =
        changed
            .withoutHostSecret("alpha", "token")
            .withoutHostSecret("alpha", "second")
            .withoutSharedSecret("ca.pem");
    assertThat(removed.hostSecrets()).isEmpty();
    assertThat(removed.sharedSecrets()).isEmpty();
    assertThat(data.hostKey("alpha")).contains("ssh-ed25519 AAAAC3Nz root@alpha");
  }

  @Test
  void fleetDataIsDeeplyImmutable() {
    FleetData read =
        FleetJson.fromJson(
            "{\"hostSecrets\":{\"a\":{\"s\":{\"createdAt\":\"2026-01-01T00:00:00Z\"}}}}",
            FleetData.class);
    assertThatThrownBy(() -> read.hostSecrets().get("a").clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void malformedJsonIsAConfigErrorWithPosition() {
    assertThatThrownBy(
            () -> FleetJson.fromJson("{\n  \"version\": 3,\n  \"hosts\": [", FleetData.class))
        .isInstanceOfSatisfying(
            FleetConfigException.class, e -> assertThat(e.line()).isGreaterThanOrEqualTo(2));
    assertThatThrownBy(
            () ->
                FleetJson.fromJson(
                    "{\"parts\":{\"x\":\"<NOPE>abc\"},\"createdAt\":\"2026-01-01T00:00:00Z\"}",
                    StoredSecret.class))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("unknown encoding <NOPE>");
  }

  @Test
  void toStringShowsNoSecret() {
    byte[] secretBytes = SECRET.getBytes(StandardCharsets.UTF_8);
    SecretPart plain = SecretPart.plaintext(SECRET);
    SecretPart enc = SecretPart.encrypted(secretBytes);
    assertThat(plain.toString()).doesNotContain(SECRET).contains(String.valueOf(SECRET.length()));
    assertThat(enc.toString()).doesNotContain(SECRET).doesNotContain("aHVudGVy");

    StoredSecret stored =
        StoredSecret.builder()
            .createdAt(Instant.EPOCH)
            .putParts("secret", enc)
            .putParts("public", plain)
            .build();
    assertThat(stored.toString()).doesNotContain(SECRET).doesNotContain("aHVudGVy");
    FleetData data = FleetData.empty().withHostSecret("a", "s", stored);
    assertThat(data.toString()).doesNotContain(SECRET).doesNotContain("aHVudGVy");
    assertThat(SharedSecretData.of(List.of("a"), stored).toString()).doesNotContain(SECRET);

    Command cmd = Command.builder().addArgv("tee", "/run/x").stdin(secretBytes).build();
    assertThat(cmd.toString()).doesNotContain(SECRET).contains("tee");
    assertThat(cmd.stdin()).isPresent();
    assertThat(CommandResult.of(0, SECRET, SECRET).toString()).doesNotContain(SECRET);
  }

  @Test
  void commandChecksItsInput() {
    assertThatThrownBy(() -> Command.of())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("at least a program name");
    assertThatThrownBy(() -> Command.builder().addArgv("env").putEnv("A-B", "x").build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("'A-B'");
    assertThat(Command.of("echo", "a b").shellLine()).isEqualTo("echo 'a b'");
  }
}
