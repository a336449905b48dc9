package io.fleet.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.GeneratorSpec;
import io.fleet.api.Generators;
import io.fleet.api.SecretException;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import io.fleet.api.spi.Services;
import io.fleet.testkit.ExternalTools;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorsTest {
  static AgeCli age;
  static TestKeys owner1;
  static TestKeys owner2;
  static TestKeys outsider;
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @BeforeAll
  static void keys() {
    owner1 = TestKeys.generate();
    owner2 = TestKeys.generate();
    outsider = TestKeys.generate();
  }

  static AgeCli age() {
    if (age == null) {
      age = AgeCli.require();
    }
    return age;
  }

  static SecretGenerator generator(String kind) {
    Map<String, SecretGenerator> all =
        Services.discoverAll(SecretGenerator.class).stream()
            .collect(Collectors.toMap(SecretGenerator::kind, g -> g));
    assertThat(all).containsKey(kind);
    return all.get(kind);
  }

  static TestRequest request(GeneratorSpec g) {
    return new TestRequest(g, List.of(owner1.recipient, owner2.recipient), age(), NOW);
  }

  /** Decrypts with each owner (equal results) and checks the outsider cannot. */
  static byte[] privatePart(StoredSecret s, String part) {
    SecretPart p = s.part(part).orElseThrow();
    assertThat(p.isEncrypted()).isTrue();
    byte[] a = age().decrypt(p.bytes(), List.of(owner1.identity));
    byte[] b = age().decrypt(p.bytes(), List.of(owner2.identity));
    assertThat(a).isEqualTo(b);
    assertThatThrownBy(() -> age().decrypt(p.bytes(), List.of(outsider.identity)))
        .isInstanceOf(SecretException.class);
    return a;
  }

  @Test
  void everyBuiltInKindIsRegistered() {
    List<String> kinds = new ArrayList<>();
    Services.discoverAll(SecretGenerator.class).forEach(g -> kinds.add(g.kind()));
    assertThat(kinds)
        .contains(
            Generators.PASSWORD,
            Generators.RANDOM_BYTES,
            Generators.ED25519,
            Generators.RSA,
            Generators.WIREGUARD,
            Generators.X509_CA,
            Generators.X509_LEAF,
            Generators.SCRIPT);
  }

  @Test
  void passwordHasLengthAndAlphabet() {
    StoredSecret s =
        generator(Generators.PASSWORD).generate(request(Generators.password(40, "abcé")));
    String pw = new String(privatePart(s, "secret"), StandardCharsets.UTF_8);
    assertThat(pw.codePointCount(0, pw.length())).isEqualTo(40);
    assertThat(pw).matches("[abcé]{40}");
    assertThat(s.createdAt()).isEqualTo(NOW);
    assertThat(s.parts()).containsOnlyKeys("secret");
    StoredSecret other =
        generator(Generators.PASSWORD).generate(request(Generators.password(40, "abcé")));
    assertThat(new String(privatePart(other, "secret"), StandardCharsets.UTF_8)).isNotEqualTo(pw);
  }

  @Test
  void passwordRejectsBadParameters() {
    assertThatThrownBy(
            () -> generator(Generators.PASSWORD).generate(request(passwordSpec(0, "ab"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("test-secret")
        .hasMessageContaining("length");
    assertThatThrownBy(
            () -> generator(Generators.PASSWORD).generate(request(passwordSpec(80, "aaa"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("alphabet");
    // A spec read from JSON skips Generators.password's check; the generator refuses it too.
    assertThatThrownBy(
            () -> generator(Generators.PASSWORD).generate(request(passwordSpec(3, "abcdefgh"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("too weak")
        .hasMessageContaining("at least 22");
  }

  @Test
  void randomBytesHaveTheLength() {
    StoredSecret s =
        generator(Generators.RANDOM_BYTES).generate(request(Generators.randomBytes(64)));
    byte[] bytes = privatePart(s, "secret");
    assertThat(bytes).hasSize(64);
    assertThat(bytes).isNotEqualTo(new byte[64]);
  }

  @Test
  void ed25519KeyIsAcceptedBySshKeygen(@TempDir Path dir) throws Exception {
    Path keygen = ExternalTools.require("ssh-keygen");
    StoredSecret s = generator(Generators.ED25519).generate(request(Generators.ed25519()));
    byte[] key = privatePart(s, "secret");
    assertThat(new String(key, StandardCharsets.US_ASCII))
        .startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    Path file = dir.resolve("id_ed25519");
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, key);
    Process p = new ProcessBuilder(keygen.toString(), "-y", "-f", file.toString()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertThat(p.waitFor()).as("ssh-keygen -y: %s", err).isZero();
    String publicLine = s.part("public").orElseThrow().text();
    assertThat(publicLine).startsWith("ssh-ed25519 AAAA");
    assertThat(out.split(" ")[1]).isEqualTo(publicLine.split(" ")[1]);
  }

  @Test
  void rsaPublicKeyMatchesPrivateKey() throws Exception {
    StoredSecret s = generator(Generators.RSA).generate(request(Generators.rsa(2048)));
    RSAPrivateCrtKey priv =
        (RSAPrivateCrtKey)
            KeyFactory.getInstance("RSA")
                .generatePrivate(
                    new PKCS8EncodedKeySpec(pem("PRIVATE KEY", privatePart(s, "secret"))));
    RSAPublicKey pub =
        (RSAPublicKey)
            KeyFactory.getInstance("RSA")
                .generatePublic(
                    new X509EncodedKeySpec(
                        pem("PUBLIC KEY", s.part("public").orElseThrow().bytes())));
    assertThat(pub.getModulus().bitLength()).isEqualTo(2048);
    assertThat(priv.getModulus()).isEqualTo(pub.getModulus());
    assertThat(priv.getPublicExponent()).isEqualTo(pub.getPublicExponent());
    assertThatThrownBy(() -> generator(Generators.RSA).generate(request(Generators.rsa(1024))))
        .isInstanceOf(SecretException.class);
  }

  @Test
  void wireguardPublicKeyMatchesPrivateKey() throws Exception {
    StoredSecret s = generator(Generators.WIREGUARD).generate(request(Generators.wireguard()));
    byte[] priv =
        Base64.getDecoder().decode(new String(privatePart(s, "secret"), StandardCharsets.US_ASCII));
    byte[] pub = Base64.getDecoder().decode(s.part("public").orElseThrow().text());
    assertThat(priv).hasSize(32);
    assertThat(pub).hasSize(32);
    assertThat(priv[0] & 7).isZero();
    assertThat(priv[31] & 0xc0).isEqualTo(0x40);
    // Independent check with the JDK's X25519: DH(priv, P) == DH(p, pub) for a fresh pair (p, P).
    KeyPairGenerator kpg = KeyPairGenerator.getInstance("X25519");
    KeyPair eph = kpg.generateKeyPair();
    KeyFactory kf = KeyFactory.getInstance("XDH");
    KeyAgreement a = KeyAgreement.getInstance("X25519");
    a.init(kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, priv)));
    a.doPhase(eph.getPublic(), true);
    byte[] s1 = a.generateSecret();
    PublicKey ours =
        kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, littleEndian(pub)));
    KeyAgreement b = KeyAgreement.getInstance("X25519");
    b.init(eph.getPrivate());
    b.doPhase(ours, true);
    assertThat(b.generateSecret()).isEqualTo(s1);
  }

  private static BigInteger littleEndian(byte[] le) {
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return new BigInteger(1, be);
  }

  @Test
  void leafCertificateVerifiesAgainstItsCaAndCarriesTheSans() throws Exception {
    TestKeys operator = TestKeys.generate();
    TestRequest caReq =
        new TestRequest(
            Generators.x509Ca("test-ca", Duration.ofDays(30)),
            List.of(owner1.recipient, operator.recipient),
            age(),
            NOW);
    StoredSecret ca = generator(Generators.X509_CA).generate(caReq);
    X509Certificate caCert = cert(ca);
    caCert.verify(caCert.getPublicKey());
    assertThat(caCert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(caCert.getSubjectX500Principal().getName()).isEqualTo("CN=test-ca");
    assertThat(ca.expiresAt()).contains(caCert.getNotAfter().toInstant());
    assertThat(ca.expiresAt()).contains(NOW.plus(Duration.ofDays(30)));

    TestRequest leafReq =
        request(
                Generators.x509Leaf(
                    "ca", "kubernetes", List.of("api.example.org", "10.0.0.1"), Duration.ofDays(7)))
            .dependency("ca", ca, operator.identity);
    StoredSecret leaf = generator(Generators.X509_LEAF).generate(leafReq);
    X509Certificate cert = cert(leaf);
    cert.verify(caCert.getPublicKey());
    assertThat(cert.getIssuerX500Principal()).isEqualTo(caCert.getSubjectX500Principal());
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=kubernetes");
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    List<String> sans = new ArrayList<>();
    cert.getSubjectAlternativeNames().forEach(l -> sans.add(l.get(0) + ":" + l.get(1)));
    assertThat(sans).containsExactlyInAnyOrder("2:api.example.org", "7:10.0.0.1");
    assertThat(leaf.expiresAt()).contains(cert.getNotAfter().toInstant());
    assertThat(leaf.expiresAt())
        .contains(NOW.plus(Duration.ofDays(7)).truncatedTo(ChronoUnit.SECONDS));
    // The leaf's private key belongs to its certificate.
    var key =
        KeyFactory.getInstance("EC")
            .generatePrivate(
                new PKCS8EncodedKeySpec(pem("PRIVATE KEY", privatePart(leaf, "secret"))));
    var sig = java.security.Signature.getInstance("SHA256withECDSA");
    sig.initSign(key);
    sig.update(new byte[] {1, 2, 3});
    byte[] signature = sig.sign();
    sig.initVerify(cert.getPublicKey());
    sig.update(new byte[] {1, 2, 3});
    assertThat(sig.verify(signature)).isTrue();

    // Without a way to decrypt the CA's key, a leaf cannot be signed.
    TestRequest noKey =
        request(Generators.x509Leaf("ca", "x", List.of(), Duration.ofDays(1)))
            .dependency("ca", ca, null);
    assertThatThrownBy(() -> generator(Generators.X509_LEAF).generate(noKey))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("operator identity");
  }

  @Test
  void leafNeverOutlivesItsCa() throws Exception {
    TestKeys operator = TestKeys.generate();
    StoredSecret ca =
        generator(Generators.X509_CA)
            .generate(
                new TestRequest(
                    Generators.x509Ca("short-ca", Duration.ofDays(2)),
                    List.of(operator.recipient),
                    age(),
                    NOW));
    StoredSecret leaf =
        generator(Generators.X509_LEAF)
            .generate(
                request(Generators.x509Leaf("ca", "svc", List.of("svc"), Duration.ofDays(365)))
                    .dependency("ca", ca, operator.identity));
    assertThat(leaf.expiresAt()).isEqualTo(ca.expiresAt());
  }

  static X509Certificate cert(StoredSecret s) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(s.part("public").orElseThrow().bytes()));
  }

  static byte[] pem(String label, byte[] text) {
    return io.fleet.secrets.internal.Pem.decode(label, text, "test");
  }

  @Test
  void scriptGeneratorCollectsOutEncryptingOnTheHost() {
    age();
    String script =
        "echo -n 'not-so-secret' > $out/public\n"
            + "echo -n 'top-secret-value' | encrypt > $out/secret\n"
            + "echo -n 2030-01-02T03:04:05Z > $out/expires_at\n"
            + "echo 'progress to stdout'\n";
    StoredSecret s =
        generator(Generators.SCRIPT)
            .generate(request(Generators.script(script)).host(new ProcessConnection("local")));
    assertThat(s.part("public").orElseThrow().text()).isEqualTo("not-so-secret");
    assertThat(new String(privatePart(s, "secret"), StandardCharsets.UTF_8))
        .isEqualTo("top-secret-value");
    assertThat(s.expiresAt()).contains(Instant.parse("2030-01-02T03:04:05Z"));
    assertThat(s.createdAt()).isEqualTo(NOW);
  }

  @Test
  void scriptGeneratorReadsCreatedAtAndArmoredParts() {
    age();
    String script =
        "echo -n 1700000000 > $out/created_at\n"
            + "printf 'line1\\nline2\\n' | age -a -R \"$FLEET_RECIPIENTS\" > $out/secret\n";
    StoredSecret s =
        generator(Generators.SCRIPT)
            .generate(request(Generators.script(script)).host(new ProcessConnection("local")));
    assertThat(s.createdAt()).isEqualTo(Instant.ofEpochSecond(1700000000));
    assertThat(new String(privatePart(s, "secret"), StandardCharsets.UTF_8))
        .isEqualTo("line1\nline2\n");
  }

  @Test
  void scriptGeneratorFailsWhenOutIsMissingOrEmptyOrThePrivatePartIsPlain() {
    age();
    SecretGenerator g = generator(Generators.SCRIPT);
    assertThatThrownBy(
            () ->
                g.generate(
                    request(Generators.script("rm -rf \"$out\""))
                        .host(new ProcessConnection("local"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("removed $out");
    assertThatThrownBy(
            () ->
                g.generate(request(Generators.script("true")).host(new ProcessConnection("local"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("left no parts");
    assertThatThrownBy(
            () ->
                g.generate(
                    request(Generators.script("echo -n hunter2 > $out/secret"))
                        .host(new ProcessConnection("local"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("unencrypted")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    assertThatThrownBy(
            () ->
                g.generate(
                    request(Generators.script("exit 7")).host(new ProcessConnection("local"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("exit code 7");
    assertThatThrownBy(() -> g.generate(request(Generators.script("true"))))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("localConnection");
  }

  /** A password spec as it could come from JSON, not checked by {@link Generators#password}. */
  private static io.fleet.api.GeneratorSpec passwordSpec(int length, String alphabet) {
    return Generators.custom(
        Generators.PASSWORD,
        java.util.Map.of(
            "length",
            com.fasterxml.jackson.databind.node.IntNode.valueOf(length),
            "alphabet",
            com.fasterxml.jackson.databind.node.TextNode.valueOf(alphabet)));
  }
}
